"""A report laid out in parts on several processes is the report laid out whole: the same pages,
page numbers, running headers, bookmarks and structure tree."""

import datetime
import io
from concurrent.futures.process import BrokenProcessPool
from types import SimpleNamespace

import pytest
from django.utils import translation
from pypdf import PdfReader

from actions.models import Instrument, ReportingUnit, Status
from reports import documents
from reports.pdf_in_parts import Section, parts_of
from reports.snapshot import take
from reports.tests.meetings import accepted, meeting

CUTOFF = datetime.date(2025, 12, 23)


def outline_of(reader: PdfReader) -> list[tuple[int, str, int]]:
    """Every bookmark as (depth, title, page index), in order."""
    flat = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                flat.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return flat


def page_of(reader: PdfReader) -> dict[int, int]:
    return {page.indirect_reference.idnum: index for index, page in enumerate(reader.pages)}


def structure_of(reader: PdfReader) -> tuple[list[tuple[int, str, int | None]], set[int]]:
    """The structure tree from the document element down, as (depth, type, page index) in reading
    order, and the object numbers of its elements."""
    pages = page_of(reader)
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    flat, numbers = [], set()

    def walk(reference, depth):
        node = reference.get_object()
        if not hasattr(node, "get") or node.get("/Type") not in (None, "/StructElem") or "/S" not in node:
            return
        if hasattr(reference, "idnum"):
            numbers.add(reference.idnum)
        page = node.get("/Pg")
        flat.append((depth, str(node["/S"]), pages.get(page.idnum) if page is not None else None))
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids.get_object(), list) else [kids]:
            walk(kid, depth + 1)

    for top in root["/K"] if isinstance(root["/K"], list) else [root["/K"]]:
        walk(top, 0)
    return flat, numbers


def marked_content_of(reader: PdfReader) -> list[list[str]]:
    """For each page, the types of the elements of the structure tree that its marked contents
    belong to, by MCID (the parent tree). Margin texts left out of the tree are left out here."""
    nums = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    by_key = {int(nums[index]): nums[index + 1].get_object() for index in range(0, len(nums), 2)}
    assert len(by_key) == len(nums) // 2, "parent tree keys are unique"
    _, in_tree = structure_of(reader)
    marked = []
    for page in reader.pages:
        elements = by_key[int(page["/StructParents"])]
        marked.append([str(element.get_object()["/S"]) for element in elements if element.idnum in in_tree])
    return marked


def lines(page) -> list[str]:
    # The page number is drawn last on a joined page: compare the lines, not their order.
    return sorted(line.strip() for line in page.extract_text().splitlines() if line.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_report_laid_out_in_parts_is_the_report_laid_out_whole(people, settings, monkeypatch, language):
    for code, on in (("1.1.1", datetime.date(2024, 3, 1)), ("1.2.1", datetime.date(2024, 4, 1)),
                     ("2.2.1", datetime.date(2024, 5, 2))):  # fmt: skip
        accepted(people, code, "KZ", on=on, status=Status.IN_PROGRESS, progress=30,
                 narrative=f"Work on {code} went on along the railway. " * 40)  # fmt: skip
    # Narratives cut after every narrative, so that the narratives section spans several parts.
    monkeypatch.setattr(documents, "NARRATIVES_PER_RUN", 1)
    snapshot = take(
        meeting(cutoff=CUTOFF), list(Instrument.objects.all()), ReportingUnit.objects.get(code="KZ"), language
    )

    settings.REPORT_PROCESSES = 1
    whole = PdfReader(io.BytesIO(documents.render_pdf(snapshot)))
    settings.REPORT_PROCESSES = 2
    settings.REPORT_PARTS_MIN_CHARACTERS = 0
    with translation.override(language):
        sections = documents.report_sections(snapshot)
    assert len(parts_of(sections, 2 * 4)) > 4
    in_parts = PdfReader(io.BytesIO(documents.render_pdf(snapshot)))

    assert len(in_parts.pages) == len(whole.pages) > 10
    assert [page.mediabox for page in in_parts.pages] == [page.mediabox for page in whole.pages]
    # Every page's text, its running header and its "n-бет, барлығы m" / "Страница n из m" included.
    assert [lines(page) for page in in_parts.pages] == [lines(page) for page in whole.pages]
    last = len(whole.pages)
    numbers = {"kk": f"{last}-бет, барлығы {last}", "ru": f"Страница {last} из {last}"}[language]
    assert numbers in in_parts.pages[-1].extract_text()
    assert "UNEP/CMS/COP15/Inf.X" in in_parts.pages[1].extract_text()
    # The cover has no page number.
    assert "1-бет" not in in_parts.pages[0].extract_text() and "Страница 1" not in in_parts.pages[0].extract_text()
    # Bookmarks nest across parts as in the whole document.
    assert outline_of(in_parts) == outline_of(whole)
    assert len(outline_of(whole)) > 10
    # One structure tree, the same elements on the same pages, and every page's marked content
    # belonging to the same kinds of element.
    tree = structure_of(in_parts)[0]
    assert tree == structure_of(whole)[0]
    assert [top for top in tree if top[0] == 0] == [(0, "/Document", None)]
    assert {"/H1", "/H2", "/H3", "/Table", "/TD", "/Figure"} <= {kind for _, kind, _ in tree}
    assert marked_content_of(in_parts) == marked_content_of(whole)
    root, whole_root = in_parts.trailer["/Root"], whole.trailer["/Root"]
    assert root["/Lang"] == whole_root["/Lang"] == language
    assert bool(root["/MarkInfo"]["/Marked"]) and bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert in_parts.metadata.title == whole.metadata.title
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    # The page numbers are drawn as artifacts, outside the text a screen reader follows.
    assert all(b"/Artifact BMC" in page.get_contents().get_data() for page in in_parts.pages[1:])
    # Generated again, the same file.
    assert documents.render_pdf(snapshot) == documents.render_pdf(snapshot)


def test_the_cover_is_a_part_of_its_own_and_the_others_are_runs_of_about_equal_size():
    sections = [Section("c" * 10, numbered=False), *(Section(str(index) * size) for index, size in enumerate(
        [100, 5, 5, 300, 100, 100, 100, 90, 10]))]  # fmt: skip
    parts = parts_of(sections, 3)
    assert parts[0] == [sections[0]]
    # Consecutive, each section once, in the report's order.
    assert [section for part in parts for section in part] == sections
    assert [sum(len(section.html) for section in part) for part in parts[1:]] == [410, 300, 100]
    assert parts_of(sections[:1], 3) == [[sections[0]]]


def test_the_narratives_are_cut_before_an_activity_and_each_instrument_opens_a_run(monkeypatch):
    monkeypatch.setattr(documents, "NARRATIVES_PER_RUN", 2)

    def updates(*items):
        return [SimpleNamespace(item_id=item) for item in items]

    cami, vilm, plan = (SimpleNamespace(narratives=updates(*items)) for items in ([1, 1, 1, 2, 3, 3, 4], [7], []))
    runs = documents.narrative_runs(SimpleNamespace(parts=[cami, vilm, plan]))
    assert [[update.item_id for update in run["updates"]] for run in runs] == [[1, 1, 1], [2, 3, 3], [4], [7], []]
    assert [run["part"] for run in runs] == [cami, cami, cami, vilm, plan]
    assert [run["opens_instrument"] for run in runs] == [True, False, False, True, True]
    assert [run["opens_section"] for run in runs] == [True, False, False, False, False]


@pytest.mark.django_db
def test_a_report_whose_worker_stopped_is_laid_out_whole(people, settings, monkeypatch):
    settings.REPORT_PARTS_MIN_CHARACTERS = 0
    settings.REPORT_PROCESSES = 2

    def killed(*args, **kwargs):
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(documents.pdf_in_parts, "render", killed)
    snapshot = take(meeting(cutoff=CUTOFF), list(Instrument.objects.filter(slug="vilm")), None, "en")
    figures = {}
    reader = PdfReader(io.BytesIO(documents.render_pdf(snapshot, figures=figures)))
    assert figures["processes"] == 1
    assert "Page 2 of" in reader.pages[1].extract_text()
