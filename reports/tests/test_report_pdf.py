"""The PDF of a meeting report, opened and read back."""

import datetime
import io
import re

import pytest
from django.utils import translation
from pypdf import PdfReader
from weasyprint import HTML

from actions.models import Instrument, Item, ReportingUnit, Status
from reports import pdf_in_parts
from reports.documents import (
    DRAW_ALL,
    FontsOnlyFetcher,
    font_urls,
    render_pdf,
    report_head,
    report_html,
    report_sections,
)
from reports.snapshot import STATUS_ORDER, take
from reports.tests.meetings import accepted, meeting

pytestmark = pytest.mark.django_db

CUTOFF = datetime.date(2025, 12, 23)


def read(data: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    return reader, [page.extract_text() for page in reader.pages]


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Each font the pages use, and whether its program is in the file."""
    fonts = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described.get("/FontDescriptor").get_object()
            fonts[str(font["/BaseFont"])] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def trackable_codes(unit_code: str | None = None) -> list[str]:
    items = Item.objects.filter(kind__in=Item.TRACKABLE_KINDS).exclude(code="")
    if unit_code:
        items = items.filter(applies_to__code=unit_code)
    return list(items.values_list("code", flat=True))


def compact(text: str) -> str:
    # Text extraction breaks lines and may split a code such as "1.3.1 (d)" at the space.
    return re.sub(r"\s+", "", text)


# The words a reader of each language sees on the cover and in every running footer.
LANGUAGE_WORDS = {
    "en": ("Summary", "Page 2 of"),
    "ru": ("Сводка", "Страница 2 из"),
    "mn": ("Хураангуй", "Хуудас 2 /"),
    "kk": ("Қорытынды", "2-бет"),
}


@pytest.mark.parametrize("language", ["en", "ru", "mn", "kk"])
def test_a_unit_report_reads_back_in_each_language(people, language):
    accepted(people, "2.2.1", "MN", on=datetime.date(2024, 5, 2), status=Status.COMPLETED, progress=100,
             narrative="Passages for kulan were opened in the railway fence.")  # fmt: skip
    cop = meeting(cutoff=CUTOFF)
    snapshot = take(cop, list(Instrument.objects.all()), ReportingUnit.objects.get(code="MN"), language)
    reader, pages = read(render_pdf(snapshot))
    text = "\n".join(pages)

    assert len(reader.pages) >= 10
    # Fonts: DejaVu, embedded, so that Ө Ү Қ Ә show on any reader's machine.
    fonts = embedded_fonts(reader)
    assert fonts and all(fonts.values())
    assert all("DejaVu" in name for name in fonts)
    # The cover: symbol, meeting, place.
    assert "UNEP/CMS/COP15/Inf.X" in pages[0]
    assert "COP15" in pages[0] and "Campo Grande, Brazil" in pages[0]
    summary_word, page_words = LANGUAGE_WORDS[language]
    assert summary_word in text
    # Running header (symbol) and page numbers on the pages after the cover, none on the cover.
    assert "UNEP/CMS/COP15/Inf.X" in pages[1]
    assert page_words in pages[1]
    assert f"{len(reader.pages)}" in pages[-1]
    # Every activity, recommendation, action and sub-item of Mongolia is in the matrix.
    missing = [code for code in trackable_codes("MN") if compact(code) not in compact(text)]
    assert missing == []
    assert "Passages for kulan were opened in the railway fence." in text


def test_the_regional_report_lists_every_activity_of_every_unit(people):
    accepted(people, "1.1.1", "KZ", on=datetime.date(2024, 3, 1), status=Status.IN_PROGRESS, progress=40)
    cop = meeting(cutoff=CUTOFF)
    snapshot = take(cop, list(Instrument.objects.all()), None, "en")
    reader, pages = read(render_pdf(snapshot))
    text = "\n".join(pages)
    assert len(reader.pages) > 50
    assert [code for code in trackable_codes() if compact(code) not in compact(text)] == []
    # Annexes: one per reporting unit, each starting on its own page.
    annexes = [page for page in pages if re.search(r"^Annex \d+: ", page, re.MULTILINE)]
    assert len({re.search(r"Annex (\d+):", page).group(1) for page in annexes}) == ReportingUnit.objects.count()
    # The matrix header is repeated on each page the table runs over.
    matrix_pages = [page for page in pages if "status matrix" in page and "CAMI" in page]
    assert len(matrix_pages) > 5
    assert all("AF" in page and "UZ" in page for page in matrix_pages)


def test_the_document_follows_the_meeting_document_layout(people):
    accepted(people, "2.2.1", "KZ", on=datetime.date(2024, 5, 2), status=Status.IN_PROGRESS)
    previous = meeting("COP14", cutoff=datetime.date(2023, 11, 14), period_start=datetime.date(2019, 11, 20))
    cop = meeting(cutoff=CUTOFF)
    snapshot = take(cop, list(Instrument.objects.filter(slug="cami-pow")), ReportingUnit.objects.get(code="KZ"), "en")
    with translation.override("en"):
        html = report_html(snapshot)
    # Page rules a meeting document needs: page numbers, running header, repeated table headers,
    # rows kept whole, fonts embedded from files, and the matrix across the page.
    assert "counter(page)" in html and "counter(pages)" in html
    assert "string(part)" in html
    assert "thead { display: table-header-group; }" in html
    assert "tr { break-inside: avoid; }" in html
    assert "@font-face" in html and "DejaVuSans.ttf" in html
    assert "size: A4 landscape" in html
    text = "\n".join(read(render_pdf(snapshot))[1])
    assert f"{previous.name}" in text
    # Changes since the previous meeting: 2.2.1 went from no report to in progress.
    changes = text[text.index("Changes since the previous meeting") :]
    assert "2.2.1" in changes and "No report" in changes and "In progress" in changes


def test_a_narrative_is_text_and_the_renderer_fetches_only_the_fonts(people, tmp_path):
    target = tmp_path / "secret.txt"
    target.write_text("secret")
    narrative = f'<img src="{target.as_uri()}"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    accepted(people, "2.2.1", "KZ", on=datetime.date(2024, 5, 2), narrative=narrative)
    kz = ReportingUnit.objects.get(code="KZ")
    snapshot = take(meeting(cutoff=CUTOFF), list(Instrument.objects.filter(slug="cami-pow")), kz, "en")
    html = report_html(snapshot)
    # The narrative is text in the document, not markup.
    assert "<img src" not in html and "&lt;img src=" in html
    assert "<img src" in "\n".join(read(render_pdf(snapshot))[1])
    fetcher = FontsOnlyFetcher()
    for url in (target.as_uri(), "http://127.0.0.1:9/x.css", "file:///etc/hostname"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch(font_urls()["normal"]).read(4) == b"\x00\x01\x00\x00"


def queries_to_report(language: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.excel_exports import render_xlsx

    with CaptureQueriesContext(connection) as captured:
        snapshot = take(meeting(f"M{language}", cutoff=CUTOFF), list(Instrument.objects.all()), None, language)
        report_html(snapshot)
        render_xlsx(snapshot)
    return len(captured)


def test_the_queries_of_a_report_do_not_grow_with_its_narratives(people):
    accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 2, 1))
    accepted(people, "2.3", "KZ", on=datetime.date(2025, 2, 1), instrument="vilm")
    few = queries_to_report("kk")
    for code in ("1.1.2", "1.1.3", "1.1.4", "1.2.1", "2.2.1"):
        accepted(people, code, "KZ", on=datetime.date(2025, 3, 1))
        accepted(people, code, "MN", on=datetime.date(2025, 3, 1))
    assert queries_to_report("ru") == few
    assert few < 30


def structure_tags(reader: PdfReader) -> set[str]:
    """The kinds of element in the PDF's structure tree (H1, Table, TH...)."""
    tags, stack = set(), [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        if hasattr(node, "get_object"):
            node = node.get_object()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not hasattr(node, "get"):
            continue
        if "/S" in node:
            tags.add(str(node["/S"]).lstrip("/"))
        kids = node.get("/K")
        if kids is not None:
            stack.append(kids)
    return tags


@pytest.mark.parametrize(("language", "priority"), [("ru", "Высокий"), ("kk", "Жоғары"), ("en", "High")])
def test_the_report_is_a_tagged_pdf_read_in_order(people, language, priority):
    accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 3, 1), status=Status.IN_PROGRESS)
    cop = meeting(cutoff=CUTOFF)
    kz = ReportingUnit.objects.get(code="KZ")
    snapshot = take(cop, list(Instrument.objects.filter(slug="cami-pow")), kz, language)
    reader, pages = read(render_pdf(snapshot))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and root["/Lang"] == language
    with translation.override(language):
        assert reader.metadata.title == f"{translation.gettext('Progress report')}: {cop.name}"
    assert {"H1", "H2", "Table", "TH", "TD", "TR"} <= structure_tags(reader)
    # On a matrix page, each activity's code and text come before its priority and status.
    item = Item.objects.get(instrument__slug="cami-pow", code="1.1.1")
    matrix = next(page for page in pages if "1.1.1" in page and priority in page and "1.1.2" in page)
    start = matrix.index("1.1.1")
    words = item.text_in(language).split()[:3]
    assert start < matrix.index(" ".join(words), start) < matrix.index(priority, start)


def header_overflows(document) -> list[tuple[str, float]]:
    """Texts of table header cells laid out wider than their cell, with how far they run over (pt)."""
    from weasyprint.formatting_structure import boxes

    over = []

    def walk(box, cell=None):
        if isinstance(box, boxes.TableCellBox) and box.element_tag == "th":
            cell = box
        if isinstance(box, boxes.TextBox) and cell is not None:
            right = cell.content_box_x() + cell.width
            if box.position_x + box.width > right + 0.5:
                over.append((box.text, round(box.position_x + box.width - right, 1)))
        for child in getattr(box, "children", []):
            walk(child, cell)

    for page in document.pages:
        walk(page._page_box)
    return over


@pytest.mark.parametrize("language", ["ru", "mn", "kk", "en"])
def test_no_header_runs_into_the_next_column(people, language):
    accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 3, 1), status=Status.IN_PROGRESS)
    kz = ReportingUnit.objects.get(code="KZ")
    snapshot = take(meeting(cutoff=CUTOFF), list(Instrument.objects.all()), kz, language)

    document = HTML(string=report_html(snapshot), url_fetcher=FontsOnlyFetcher()).render()
    assert header_overflows(document) == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_figure_table_with_every_status_keeps_room_for_its_labels(language):
    """A regional report can show every status in one chart; its table's labels keep 30 % of the
    width instead of a few letters, and no status name runs into the next column."""
    from django.template.loader import render_to_string
    from weasyprint.formatting_structure import boxes

    from reports import charts, documents

    label = "1 To address key threats and issues currently not (sufficiently) covered by existing work"
    with translation.override(language):
        table = charts.status_table([(label, dict.fromkeys(STATUS_ORDER, 3))], caption="Status by objective")
        css = render_to_string(
            "reports/pdf/report.css",
            {
                "fonts": font_urls(),
                "meeting": {"symbol": "X", "name": "X"},
                "page_number": "",
                "draw": documents.DRAW_ALL,
            },
        )
        html = render_to_string("reports/pdf/figure_table.html", {"table": table})
    document = HTML(
        string=f'<html lang="{language}"><style>{css}</style>{html}', url_fetcher=FontsOnlyFetcher()
    ).render()
    assert len(table.statuses) == len(STATUS_ORDER)
    assert header_overflows(document) == []

    def cells(box):
        if isinstance(box, boxes.TableCellBox):
            yield box
        for child in getattr(box, "children", []):
            yield from cells(child)

    laid_out = list(cells(document.pages[0]._page_box))
    row_label = next(cell for cell in laid_out if cell.element.get("scope") == "row")
    page_width = document.pages[0]._page_box.width
    assert row_label.width > 0.25 * page_width


def test_every_status_symbol_stays_legible_in_grey_print():
    """The PDF's fills are light enough for the dark symbol on every status (WCAG AAA, 7:1): the
    contrast of luminances is what a grey printer keeps."""
    from reports.charts import STATUS_STYLE, _luminance

    for status, style in STATUS_STYLE.items():
        fill = _luminance(style.print_fill)
        assert (fill + 0.05) / (_luminance("#111111") + 0.05) >= 7, status
    # Completed, the darkest colour, is still a fill one can see on white paper.
    assert _luminance(STATUS_STYLE["completed"].print_fill) < 0.75


def figures_with_alt(reader: PdfReader) -> list[str]:
    """The alternative text of every Figure in the PDF's structure tree (empty for none)."""
    alts, stack = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        if hasattr(node, "get_object"):
            node = node.get_object()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not hasattr(node, "get"):
            continue
        if node.get("/S") == "/Figure":
            alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        if kids is not None:
            stack.append(kids)
    return alts


def summary_pdf(snapshot) -> bytes:
    """The cover and the summary, where the charts are, laid out as in the whole report; the
    regional annexes, which take most of a regional report's minute, are left out."""
    with translation.override(snapshot.language):
        cover, summary = report_sections(snapshot)[:2]
        html = pdf_in_parts.html_document(report_head(snapshot, DRAW_ALL), [cover, summary])
        return (
            HTML(string=html, url_fetcher=FontsOnlyFetcher()).render().write_pdf(pdf_variant=pdf_in_parts.PDF_VARIANT)
        )


@pytest.mark.parametrize(
    ("language", "in_progress", "total"), [("kk", "Орындалуда", "Барлығы"), ("ru", "Выполняется", "Всего")]
)
def test_each_chart_is_a_figure_with_its_figures_and_a_table_of_them(people, language, in_progress, total):
    accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 3, 1), status=Status.IN_PROGRESS)
    accepted(people, "1.1.2", "MN", on=datetime.date(2025, 3, 1), status=Status.COMPLETED)
    cop = meeting(cutoff=CUTOFF)
    snapshot = take(cop, list(Instrument.objects.filter(slug="cami-pow")), None, language)
    part = snapshot.parts[0]
    reader, pages = read(summary_pdf(snapshot))
    alts = figures_with_alt(reader)
    # Three charts: by objective, by unit, the high priority share; each says its figures.
    assert len(alts) == 3 and all(alts)
    with translation.override(language):
        kz_name = ReportingUnit.objects.get(code="KZ").name
        by_unit_title = translation.gettext("Status by reporting unit: %(instrument)s") % {
            "instrument": part.instrument.short_title
        }
    kz = next(figure for figure in part.by_unit if figure.label == kz_name)
    assert kz.counts[Status.IN_PROGRESS] == 1
    by_unit_alt = next(alt for alt in alts if alt.startswith(by_unit_title))
    with translation.override(language):
        said = translation.gettext("%(status)s %(count)s") % {"status": in_progress, "count": 1}
    assert f"{kz_name}: {said}, " in by_unit_alt
    # The table after the chart holds the same numbers: the unit's row, one count per status that
    # occurs (completed, in progress, no report), then the total.
    text = "\n".join(pages)
    assert total in text
    row = next(line for line in text.splitlines() if line.startswith(kz_name + " "))
    occurring = [key for key in STATUS_ORDER if any(figure.counts.get(key) for figure in part.by_unit)]
    assert row.split()[-len(occurring) - 1 :] == [str(kz.counts.get(key, 0)) for key in occurring] + [str(kz.total)]
