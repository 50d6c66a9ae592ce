"""A meeting report rendered from a snapshot: a PDF laid out like a CMS meeting document.

The PDF is HTML and CSS made by Django templates and laid out by WeasyPrint. WeasyPrint fetches
nothing but the embedded fonts: a narrative that names an image or a stylesheet gets no request
out of the renderer. The Excel version of the same content is in reports/excel_exports.py.
"""

from collections.abc import Callable
from pathlib import Path
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from reports import charts
from reports.snapshot import STATUS_ORDER, Snapshot, status_label
from reports.templatetags.report_tags import css_string

FONT_FILES = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}

Progress = Callable[[int, str], None]


def font_urls() -> dict[str, str]:
    directory = Path(settings.REPORT_FONT_DIRECTORY)
    return {weight: (directory / name).as_uri() for weight, name in FONT_FILES.items()}


class FontsOnlyFetcher(URLFetcher):
    """Gives WeasyPrint the report's font files and refuses every other address."""

    def __init__(self):
        super().__init__(allowed_protocols=("file",))
        self.allowed = set(font_urls().values())

    def fetch(self, url, headers=None):
        if url not in self.allowed:
            raise ValueError(f"The report fetches no resource: {url}")
        path = Path(url2pathname(url.removeprefix("file:")))
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": "font/ttf"})


def page_number_content() -> str:
    """ "Page 3 of 12" in the report's language, as a CSS `content` value with page counters."""
    text = _("Page %(page)s of %(pages)s") % {"page": "\0page\0", "pages": "\0pages\0"}
    parts = []
    for index, piece in enumerate(text.split("\0")):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(css_string(piece))
    # Counters and escaped strings (css_string) only: safe to put in the stylesheet as it is.
    return mark_safe(" ".join(parts))


def status_legend() -> list[dict]:
    return [{"key": key, "symbol": charts.STATUS_STYLE[key].symbol, "label": status_label(key)} for key in STATUS_ORDER]


def charts_of(snapshot: Snapshot) -> list[dict]:
    """The summary charts of each instrument, as SVG, each with its figures as a table.

    In the PDF each chart is a tagged figure whose alternative text holds its figures; the table
    after it gives the same numbers to a reader who cannot see the bars or wants to copy them.
    """
    drawn = []
    for part in snapshot.parts:
        name = part.instrument.short_title
        charted = []
        objective_rows = [(figure.label, figure.counts) for figure in part.by_objective]
        objective_title = _("Status by objective: %(instrument)s") % {"instrument": name}
        charted.append(
            {
                "heading": _("Status by objective"),
                "chart": charts.status_bars(objective_rows, title=objective_title, figures_in_title=True),
                "table": charts.status_table(objective_rows, caption=objective_title),
            }
        )
        if len(part.by_unit) > 1:
            unit_rows = [(figure.label, figure.counts) for figure in part.by_unit]
            unit_title = _("Status by reporting unit: %(instrument)s") % {"instrument": name}
            charted.append(
                {
                    "heading": _("Status by reporting unit"),
                    "chart": charts.status_bars(unit_rows, title=unit_title, figures_in_title=True),
                    "table": charts.status_table(unit_rows, caption=unit_title),
                }
            )
        if part.has_priorities:
            # A single share: its figure is written under the chart's heading, no table needed.
            charted.append(
                {
                    "heading": _("High priority activities with progress"),
                    "chart": charts.share_bar(
                        part.high_priority.count,
                        part.high_priority.total,
                        title=_("High priority activities with progress: %(instrument)s") % {"instrument": name},
                        label=_("High priority activities with progress"),
                        figures_in_title=True,
                    ),
                    "table": None,
                }
            )
        drawn.append({"part": part, "charts": charted})
    return drawn


def meeting_original(snapshot: Snapshot):
    """The meeting's own name and place, marked as English, when the cover shows a translation."""
    original = snapshot.meeting.original_wording(snapshot.language)
    return format_html('<span lang="en">{}</span>', original) if original else ""


def report_html(snapshot: Snapshot) -> str:
    with translation.override(snapshot.language):
        context = {
            "snapshot": snapshot,
            "meeting": snapshot.meeting,
            "meeting_original": meeting_original(snapshot),
            "charts": charts_of(snapshot),
            "fonts": font_urls(),
            "page_number": page_number_content(),
            "status_legend": status_legend(),
        }
        return render_to_string("reports/pdf/report.html", context)


# Tagged PDF for accessibility (PDF/UA-1): the document's language and title, and a structure tree
# of headings, lists and tables that screen readers follow, in reading order.
PDF_VARIANT = "pdf/ua-1"


def render_pdf(snapshot: Snapshot, progress: Progress | None = None) -> bytes:
    progress = progress or (lambda percent, step: None)
    progress(30, "templating")
    html = report_html(snapshot)
    progress(40, "layout")
    document = HTML(string=html, url_fetcher=FontsOnlyFetcher()).render()
    progress(85, "writing")
    return document.write_pdf(pdf_variant=PDF_VARIANT)
