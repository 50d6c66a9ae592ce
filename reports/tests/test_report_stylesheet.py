"""Texts that reach the PDF's stylesheet (the running header's meeting symbol, the page numbers) are
CSS strings whatever they hold: a symbol that looks like CSS or HTML is printed as it is typed,
and the stylesheet around it keeps every rule."""

import datetime
import io
import re

import pytest
import tinycss2
from pypdf import PdfReader
from weasyprint import HTML

from actions.models import Instrument
from reports.documents import FontsOnlyFetcher, report_html
from reports.snapshot import take
from reports.templatetags.report_tags import css_string
from reports.tests.meetings import meeting

pytestmark = pytest.mark.django_db

HOSTILE_SYMBOLS = [
    'X"; } @import url(http://127.0.0.1:1/); a{content:"',
    "UNEP/CMS</style><p>broken</p>",
    "back\\slash 'single' \\\"",
    "line\nbreak",
]


class RecordingFetcher(FontsOnlyFetcher):
    def __init__(self):
        super().__init__()
        self.asked = []

    def fetch(self, url, headers=None):
        self.asked.append(url)
        return super().fetch(url, headers)


def stylesheet(html: str) -> str:
    return re.search(r"<style>(.*?)</style>", html, re.DOTALL).group(1)


def header_content(css: str) -> list:
    """The tokens of `content` in the @top-left margin box of the first @page rule."""
    page = next(rule for rule in tinycss2.parse_stylesheet(css) if rule.type == "at-rule" and rule.at_keyword == "page")
    top_left = next(
        rule for rule in tinycss2.parse_blocks_contents(page.content) if getattr(rule, "at_keyword", "") == "top-left"
    )
    content = next(
        rule for rule in tinycss2.parse_blocks_contents(top_left.content) if getattr(rule, "name", "") == "content"
    )
    return [token for token in content.value if token.type != "whitespace"]


@pytest.mark.parametrize("text", HOSTILE_SYMBOLS + ["Әбілқайыр 12 (a) b-c.d", "", "\x00", "\r\x0c\x1b"])
def test_css_string_reads_back_as_the_same_text(text):
    tokens = tinycss2.parse_component_value_list(css_string(text))
    assert len(tokens) == 1 and tokens[0].type == "string"
    assert tokens[0].value == text.replace("\x00", "\ufffd")
    assert "<" not in css_string(text) and "\n" not in css_string(text)


@pytest.mark.parametrize("symbol", HOSTILE_SYMBOLS)
def test_a_meeting_symbol_that_looks_like_css_is_printed_as_typed(people, symbol):
    cop = meeting(cutoff=datetime.date(2025, 12, 23), symbol=symbol)
    snapshot = take(cop, list(Instrument.objects.filter(slug="vilm")), None, "en")
    html = report_html(snapshot)
    css = stylesheet(html)
    # One <style> element, with the whole stylesheet: the symbol closed nothing.
    assert html.count("<style>") == 1 and "broken</p>" not in css
    assert "@import" not in css.replace("\\40 import", "")
    # The running header is one string, the symbol itself; the rules after it are all there.
    assert [(token.type, token.value) for token in header_content(css)] == [("string", symbol)]
    assert "@page matrix" in css and "section.cover" in css

    fetcher = RecordingFetcher()
    data = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert all(url.startswith("file:") for url in fetcher.asked), fetcher.asked
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    printed = re.sub(r"\s+", " ", symbol).strip()
    assert printed in re.sub(r"\s+", " ", pages[1]), pages[1][:300]
    assert "Page 2 of" in pages[1]
