"""An article page's main text, extracted with trafilatura (runs in a worker process)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def extract_main_text(page: bytes, url: str) -> str | None:
    """The article's body text, or None if the page holds none that trafilatura can find."""
    # Imported here, in the worker that needs it: it costs a third of a second at start-up.
    import trafilatura  # noqa: PLC0415

    # trafilatura logs every page it cannot read at WARNING; one page is not worth that here.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    text = trafilatura.extract(
        page,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        # No deduplicate=True: its cache is process-wide, so a page extracted again (an edited
        # article) or sharing paragraphs with another would come back empty.
    )
    if not text:
        return None
    lines = (" ".join(line.split()) for line in str(text).splitlines())
    return "\n".join(line for line in lines if line) or None
