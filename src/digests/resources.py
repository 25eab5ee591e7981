"""Where the data files of config/ are: inside an installed wheel, or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).parent / "_config"
_CHECKOUT = Path(__file__).resolve().parents[2] / "config"


def config_dir() -> Path:
    """The directory holding the default feeds, vocabularies and example settings."""
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def config_file(name: str) -> Path:
    """A file of the config directory; raise FileNotFoundError if it is not there."""
    path = config_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"newsdigest data file missing: {path}")
    return path
