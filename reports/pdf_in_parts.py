"""A long report laid out on every core: WeasyPrint lays out its parts in processes of their own,
and the parts are joined into one tagged PDF.

WeasyPrint lays a document out in one thread, and a regional report of several hundred pages
takes a minute and more than a gigabyte. The report is made of sections that each start on a new
page (reports/documents.py), so a run of whole sections lays out alone exactly as it does inside
the whole document: the same lines on the same pages. What the parts cannot know alone is
drawn or built once they are all laid out:

- the page numbers, "Page n of m": a small document of page numbers only, one page per page of
  the report, laid out with the same page rules and laid over each page as an artifact;
- the bookmarks: each part reports its headings' bookmark levels, and the tree is built over all
  pages by WeasyPrint's own rule, so that a heading continuing a section nests where it would
  have in the whole document;
- the structure tree (PDF/UA): WeasyPrint tags each page's content under the document element, page
  by page, so the parts' elements follow one another under one document element, and the parent
  tree's keys are shifted past the earlier parts' pages.

This module imports no Django: the workers it starts have only WeasyPrint and the part's HTML.
"""

import io
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.request import url2pathname

import pikepdf
from weasyprint import HTML
from weasyprint.anchors import make_page_bookmark_tree
from weasyprint.matrix import Matrix
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Tagged PDF for accessibility (PDF/UA-1): the document's language and title, and a structure tree
# of headings, lists and tables that screen readers follow, in reading order.
PDF_VARIANT = "pdf/ua-1"
# PDF points per CSS pixel, the scale at which WeasyPrint writes a page (write_pdf with zoom 1).
POINTS_PER_PIXEL = 0.75


class FilesOnlyFetcher(URLFetcher):
    """Gives WeasyPrint the files it is allowed (the report's fonts) and refuses every other address."""

    def __init__(self, allowed: Iterable[str]):
        super().__init__(allowed_protocols=("file",))
        self.allowed = set(allowed)

    def fetch(self, url, headers=None):
        if url not in self.allowed:
            raise ValueError(f"The report fetches no resource: {url}")
        path = Path(url2pathname(url.removeprefix("file:")))
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": "font/ttf"})


@dataclass(frozen=True)
class Section:
    """A piece of the report's body that starts on a new page; `numbered` is False for the cover."""

    html: str
    numbered: bool = True


@dataclass
class LaidOutPart:
    """A part as its worker returns it: its PDF, and what joining needs to know of each page."""

    pdf: bytes
    numbered: bool
    # Per page: (width, height) in CSS pixels, and WeasyPrint's bookmarks on the page:
    # (level, label, (x, y), state).
    page_sizes: list[tuple[float, float]] = field(default_factory=list)
    bookmarks: list[list[tuple]] = field(default_factory=list)
    # The worker's own figures, for the benchmark: seconds to lay out and write, peak memory.
    seconds: float = 0.0
    peak_mb: float = 0.0


def html_document(head: str, sections: Sequence[Section]) -> str:
    """One HTML document of the head (from <!DOCTYPE> to </head>) and the sections."""
    return f"{head}<body>{''.join(section.html for section in sections)}</body></html>"


def lay_out(html: str, allowed_files: Iterable[str], numbered: bool = True) -> LaidOutPart:
    """Lay out and write one part (in a worker process)."""
    started = time.perf_counter()
    document = HTML(string=html, url_fetcher=FilesOnlyFetcher(allowed_files)).render()
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    return LaidOutPart(
        pdf=pdf,
        numbered=numbered,
        page_sizes=[(page.width, page.height) for page in document.pages],
        bookmarks=[list(page.bookmarks) for page in document.pages],
        seconds=time.perf_counter() - started,
        peak_mb=peak_mb(),
    )


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM, Linux; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def parts_of(sections: Sequence[Section], parts_wanted: int) -> list[list[Section]]:
    """Runs of consecutive sections of about `parts_wanted` equal sizes, the cover alone first.

    A section joins the run unless more than half of it would fall beyond the run's share. The
    cover is laid out alone because its pages are the ones without a page number.
    """
    runs: list[list[Section]] = []
    body = [section for section in sections if section.numbered]
    runs += [[section] for section in sections if not section.numbered]
    target = max(1, sum(len(section.html) for section in body) / max(1, parts_wanted))
    current: list[Section] = []
    size = 0
    for section in body:
        if current and size + len(section.html) / 2 > target:
            runs.append(current)
            current, size = [], 0
        current.append(section)
        size += len(section.html)
    if current:
        runs.append(current)
    return runs


def processes_available() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def render(
    head: str,
    sections: Sequence[Section],
    page_numbers_html: Callable[[list["PageShape"]], str],
    allowed_files: Iterable[str],
    processes: int,
    parts_per_process: int = 4,
    figures: dict | None = None,
) -> bytes:
    """The whole report as one PDF, its parts laid out by `processes` workers.

    `page_numbers_html` is given the shape of every page and returns the HTML of a document of
    as many pages, each showing only its page number.
    `figures`, when given, receives each part's seconds and peak memory and the joining's seconds.
    Several parts per process keep each worker's memory to its part's, and let a worker that
    finishes early take the next part; each worker lays out one part and ends, returning its memory.
    """
    allowed = sorted(allowed_files)
    runs = parts_of(sections, processes * parts_per_process)
    # The largest parts first, so that no worker is left with a large one at the end.
    order = sorted(range(len(runs)), key=lambda index: -sum(len(section.html) for section in runs[index]))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(max_workers=min(processes, len(runs)), mp_context=context, max_tasks_per_child=1) as pool:
        futures = {
            index: pool.submit(lay_out, html_document(head, runs[index]), allowed, runs[index][0].numbered)
            for index in order
        }
        parts = [futures[index].result() for index in range(len(runs))]
    shapes = [
        PageShape(width=width, height=height, numbered=part.numbered)
        for part in parts
        for width, height in part.page_sizes
    ]
    numbers = HTML(string=page_numbers_html(shapes), url_fetcher=FilesOnlyFetcher(allowed)).render()
    if len(numbers.pages) != len(shapes):
        raise RuntimeError(f"The page numbers came to {len(numbers.pages)} pages for {len(shapes)}.")
    numbers_pdf = numbers.write_pdf()
    joining = time.perf_counter()
    joined = join(parts, numbers_pdf)
    if figures is not None:
        figures.update(
            parts=[{"seconds": part.seconds, "peak_mb": part.peak_mb, "pages": len(part.page_sizes)} for part in parts],
            join_seconds=time.perf_counter() - joining,
        )
    return joined


@dataclass(frozen=True)
class PageShape:
    width: float
    height: float
    numbered: bool

    @property
    def landscape(self) -> bool:
        return self.width > self.height


def join(parts: Sequence[LaidOutPart], page_numbers_pdf: bytes) -> bytes:
    """One PDF of the parts' pages, with one structure tree, one outline and the page numbers."""
    first = pikepdf.open(io.BytesIO(parts[0].pdf))
    tree_root = first.Root.StructTreeRoot
    document_element = tree_root.K[0]
    nums = tree_root.ParentTree.Nums
    next_key = _next_key(nums)
    for part in parts[1:]:
        source = pikepdf.open(io.BytesIO(part.pdf))
        source_root = source.Root.StructTreeRoot
        page_count = len(first.pages)
        first.pages.extend(source.pages)
        # Copied after the pages, so that the elements' /Pg point to the pages just copied.
        copied_root = first.copy_foreign(source_root)
        for page in first.pages[page_count:]:
            page.obj.StructParents = page.obj.StructParents + next_key
        source_nums = copied_root.ParentTree.Nums
        for position in range(0, len(source_nums), 2):
            key, value = int(source_nums[position]), source_nums[position + 1]
            nums.append(key + next_key)
            nums.append(value)
        for annotation_page in first.pages[page_count:]:
            for annotation in annotation_page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = annotation.StructParent + next_key
        copied_document = copied_root.K[0]
        for element in copied_document.K:
            element.P = document_element
            document_element.K.append(element)
        # Elements of the margin boxes (running headers) are in the parent tree only, not under
        # the document element; they too get the one document element as their parent.
        for position in range(1, len(source_nums), 2):
            value = source_nums[position]
            for element in value if isinstance(value, pikepdf.Array) else [value]:
                if element.get("/P") is not None and element.P.objgen == copied_document.objgen:
                    element.P = document_element
        next_key += _next_key(source_nums)
    tree_root.ParentTreeNextKey = next_key
    _add_page_numbers(first, page_numbers_pdf)
    _add_outline(first, parts)
    output = io.BytesIO()
    # A fixed /ID from the content: the same report generated again is the same file.
    first.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def _next_key(nums) -> int:
    keys = [int(nums[position]) for position in range(0, len(nums), 2)]
    return max(keys) + 1 if keys else 0


def _add_page_numbers(pdf: pikepdf.Pdf, page_numbers_pdf: bytes) -> None:
    """Draw each page's number over it, marked as an artifact: it is not part of the text read out."""
    numbers = pikepdf.open(io.BytesIO(page_numbers_pdf))
    for page, number_page in zip(pdf.pages, numbers.pages, strict=True):
        form = pdf.copy_foreign(number_page.as_form_xobject())
        # WeasyPrint's pages share one resource dictionary: each page gets its own, with its own
        # XObjects, to name its own page number in.
        resources = pikepdf.Dictionary(dict(page.obj.get("/Resources", pikepdf.Dictionary()).items()))
        resources.XObject = pikepdf.Dictionary(dict(resources.get("/XObject", pikepdf.Dictionary()).items()))
        page.obj.Resources = resources
        # A fixed name (not a random one) keeps the file the same when generated again.
        name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name("/PageNumber"), replace_existing=False)
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(b"\nQ\n/Artifact BMC q " + name.unparse() + b" Do Q EMC\n")


def _add_outline(pdf: pikepdf.Pdf, parts: Sequence[LaidOutPart]) -> None:
    """The bookmarks of all parts as one tree, nested as WeasyPrint nests them in a whole document."""
    pages = [
        SimpleNamespace(bookmarks=bookmarks, height=height)
        for part in parts
        for bookmarks, (_width, height) in zip(part.bookmarks, part.page_sizes, strict=True)
    ]
    root: list = []
    skipped_levels: list = []
    last_by_depth = [root]
    previous_level = 0
    for page_number, page in enumerate(pages):
        matrix = Matrix(a=POINTS_PER_PIXEL, d=-POINTS_PER_PIXEL, f=page.height * POINTS_PER_PIXEL)
        previous_level = make_page_bookmark_tree(
            page, skipped_levels, last_by_depth, previous_level, page_number, matrix
        )

    def items(subtrees) -> list[pikepdf.OutlineItem]:
        made = []
        for label, (page_number, x, y), children, state in subtrees:
            destination = pikepdf.Array([pdf.pages[page_number].obj, pikepdf.Name.XYZ, x, y, 0])
            item = pikepdf.OutlineItem(label, destination)
            item.is_closed = state == "closed"
            item.children.extend(items(children))
            made.append(item)
        return made

    with pdf.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(items(root))
