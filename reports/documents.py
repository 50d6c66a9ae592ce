"""A meeting report rendered from a snapshot: a PDF laid out like a CMS meeting document.

The PDF is HTML and CSS made by Django templates and laid out by WeasyPrint. WeasyPrint fetches
nothing but the embedded fonts: a narrative that names an image or a stylesheet gets no request
out of the renderer. The report is a series of sections that each start on a new page, so that a
long one can be laid out in parts on every core (reports/pdf_in_parts.py). The Excel version of
the same content is in reports/excel_exports.py.
"""

import logging
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from weasyprint import HTML

from reports import charts, pdf_in_parts
from reports.pdf_in_parts import PDF_VARIANT, PageShape, Section
from reports.snapshot import STATUS_ORDER, Snapshot, status_label
from reports.templatetags.report_tags import css_string

logger = logging.getLogger(__name__)

FONT_FILES = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}

Progress = Callable[[int, str], None]


def font_urls() -> dict[str, str]:
    directory = Path(settings.REPORT_FONT_DIRECTORY)
    return {weight: (directory / name).as_uri() for weight, name in FONT_FILES.items()}


class FontsOnlyFetcher(pdf_in_parts.FilesOnlyFetcher):
    """Gives WeasyPrint the report's font files and refuses every other address."""

    def __init__(self):
        super().__init__(font_urls().values())


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


# A long narratives section is cut before an activity after this many narratives (some 30
# pages), so that no part of a report laid out in parts is much longer than that.
NARRATIVES_PER_RUN = 300

# Which margin texts the page rules draw: all of them in a report laid out whole; a part draws its
# running headers, and the page numbers are drawn over the joined pages.
DRAW_ALL = {"running_headers": True, "page_numbers": True}
DRAW_IN_PARTS = {"running_headers": True, "page_numbers": False}
DRAW_PAGE_NUMBERS = {"running_headers": False, "page_numbers": True}


def narrative_runs(snapshot: Snapshot) -> list[dict]:
    """The narratives section in runs that each start on a new page.

    Each instrument's narratives start a run; a run is cut before an activity once it holds
    NARRATIVES_PER_RUN narratives, never inside one activity's narratives.
    """
    runs = []
    for part in snapshot.parts:
        updates: list = []
        for update in part.narratives:
            if len(updates) >= NARRATIVES_PER_RUN and update.item_id != updates[-1].item_id:
                runs.append(
                    {"part": part, "updates": updates, "opens_instrument": not any(run["part"] is part for run in runs)}
                )
                updates = []
            updates.append(update)
        runs.append(
            {"part": part, "updates": updates, "opens_instrument": not any(run["part"] is part for run in runs)}
        )
    for index, run in enumerate(runs):
        run["opens_section"] = index == 0
    return runs


def report_context(snapshot: Snapshot, draw: dict) -> dict:
    return {
        "snapshot": snapshot,
        "meeting": snapshot.meeting,
        "instruments": snapshot.parts,
        "fonts": font_urls(),
        "page_number": page_number_content(),
        "draw": draw,
    }


def report_head(snapshot: Snapshot, draw: dict) -> str:
    """The document from <!DOCTYPE> to </head>, in the active language."""
    return render_to_string("reports/pdf/head.html", report_context(snapshot, draw))


def report_sections(snapshot: Snapshot) -> list[Section]:
    """The report's body, section by section, in the active language."""
    context = report_context(snapshot, DRAW_ALL)

    def section(name: str, numbered: bool = True, **extra) -> Section:
        return Section(render_to_string(f"reports/pdf/section_{name}.html", {**context, **extra}), numbered)

    sections = [
        section("cover", numbered=False, meeting_original=meeting_original(snapshot)),
        section("summary", charts=charts_of(snapshot)),
        *(section("matrix", part=part, status_legend=status_legend()) for part in snapshot.parts),
        *(
            section("narratives", run=run, section_heading=_("Narratives of the reporting period"))
            for run in narrative_runs(snapshot)
        ),
        section("gaps"),
        section("changes"),
        *(section("annex", annex=annex, annex_number=number) for number, annex in enumerate(snapshot.annexes, start=1)),
    ]
    return sections


def report_html(snapshot: Snapshot) -> str:
    """The whole report as one HTML document, as WeasyPrint lays it out in one process."""
    with translation.override(snapshot.language):
        return pdf_in_parts.html_document(report_head(snapshot, DRAW_ALL), report_sections(snapshot))


def page_numbers_html(snapshot: Snapshot, pages: list[PageShape]) -> str:
    """A document of as many pages as the report, of the same shapes, showing only the page numbers."""
    with translation.override(snapshot.language):
        return render_to_string(
            "reports/pdf/page_numbers.html", {**report_context(snapshot, DRAW_PAGE_NUMBERS), "pages": pages}
        )


def processes_for(sections: list[Section]) -> int:
    """How many processes lay out a report: one for a short report, whose parts would cost more
    to start and join than they save; otherwise REPORT_PROCESSES, by default every core."""
    if sum(len(section.html) for section in sections) < settings.REPORT_PARTS_MIN_CHARACTERS:
        return 1
    return settings.REPORT_PROCESSES or pdf_in_parts.processes_available()


def render_pdf(snapshot: Snapshot, progress: Progress | None = None, figures: dict | None = None) -> bytes:
    """The report's PDF; `figures`, when given, receives how it was laid out (for the benchmark)."""
    progress = progress or (lambda percent, step: None)
    figures = {} if figures is None else figures
    progress(30, "templating")
    with translation.override(snapshot.language):
        sections = report_sections(snapshot)
        processes = figures["processes"] = processes_for(sections)
        progress(40, "layout")
        if processes >= 2:
            try:
                return pdf_in_parts.render(
                    report_head(snapshot, DRAW_IN_PARTS),
                    sections,
                    lambda pages: page_numbers_html(snapshot, pages),
                    font_urls().values(),
                    processes,
                    figures=figures,
                )
            except BrokenProcessPool:
                # A worker was killed (out of memory, say): the report is still made, whole.
                logger.exception("A worker laying out a report in parts stopped; laying it out whole")
                figures["processes"] = 1
        html = pdf_in_parts.html_document(report_head(snapshot, DRAW_ALL), sections)
        document = HTML(string=html, url_fetcher=FontsOnlyFetcher()).render()
        progress(85, "writing")
        return document.write_pdf(pdf_variant=PDF_VARIANT)
