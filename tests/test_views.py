"""Every view type renders through the console (text, Markdown) and JSON renderers, and feed
text stays inert in Markdown. The samples live in tests/view_samples.py, shared with the chat
platforms' renderer tests."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from bot.views import View
from bot.views.render_console import escape_markdown, render_markdown, render_text
from bot.views.render_json import render_json
from tests.view_samples import HOSTILE, SAMPLES, listing, notice

ALL = [pytest.param(view, id=f"{type(view).__name__}-{i}") for views in SAMPLES.values()
       for i, view in enumerate(views)]  # fmt: skip


def test_every_view_type_has_samples() -> None:
    assert set(SAMPLES) == set(get_args(View))


@pytest.mark.parametrize("view", ALL)
def test_every_sample_renders_in_every_format(view: View) -> None:
    text = render_text(view)
    markdown = render_markdown(view)
    data = json.loads(render_json(view))
    assert text.strip()
    assert markdown.strip()
    assert data["view"]


@pytest.mark.parametrize("view", ALL)
def test_markdown_never_carries_raw_feed_markup(view: View) -> None:
    markdown = render_markdown(view)
    assert "**bold**" not in markdown
    assert "<@&123>" not in markdown
    if HOSTILE in render_text(view):  # the sample holds the hostile text
        assert escape_markdown(HOSTILE) in markdown


def test_a_notice_shows_its_fields_and_a_list_says_when_it_is_empty() -> None:
    text = render_text(notice())
    assert "Time: 07:30 Europe/Berlin, weekdays" in text
    assert "Next digest: 2026-11-20 09:00 UTC" in text  # the moment, not the fallback text
    assert "No feeds yet: add one with /feeds add." in render_text(listing(0))
    assert json.loads(render_json(listing(0)))["empty"] is True
