import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from reports.charts import STATUS_STYLE, share_bar, status_bars
from reports.snapshot import STATUS_ORDER

SVG = "{http://www.w3.org/2000/svg}"
GEOMETRY = ("x", "y", "width", "height")
ROWS = [
    ("Objective 1", {"completed": 3, "in-progress": 5, "none": 12}),
    ("Objective 2", {"not-started": 1, "planned": 1, "delayed": 1}),
]


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    return root


def rows_of(root):
    return root.findall(f"{SVG}g[@class='row']")


def segments(row):
    return row.findall(f"{SVG}rect[@class='segment']")


def frame(row):
    return row.find(f"{SVG}rect[@class='frame']")


def texts(element):
    return ["".join(text.itertext()) for text in element.iter(f"{SVG}text")]


def test_one_segment_per_status_present():
    root = parse(status_bars(ROWS, title="By objective"))
    rows = rows_of(root)
    assert len(rows) == 2
    for (_label, counts), row in zip(ROWS, rows, strict=True):
        assert len(segments(row)) == len(counts)
        # Drawn in the order of the legend, whatever the order of the counts.
        drawn = [rect.get("data-status") for rect in segments(row)]
        assert drawn == [status for status in STATUS_ORDER if status in counts]
        for rect in segments(row):
            assert rect.get("fill") == STATUS_STYLE[rect.get("data-status")].colour


def test_segment_widths_are_proportional_and_fill_the_bar():
    root = parse(status_bars(ROWS, title="By objective"))
    for (_label, counts), row in zip(ROWS, rows_of(root), strict=True):
        bar = frame(row)
        x, width = float(bar.get("x")), float(bar.get("width"))
        total = sum(counts.values())
        for rect in segments(row):
            assert float(rect.get("x")) == pytest.approx(x, abs=0.1)
            expected = width * counts[rect.get("data-status")] / total
            assert float(rect.get("width")) == pytest.approx(expected, abs=0.1)
            x += expected
        assert x == pytest.approx(float(bar.get("x")) + width, abs=0.1)


def test_counts_inside_segments_and_totals_on_the_right():
    root = parse(status_bars([("Objective 1", {"completed": 30, "none": 10})], title="By objective"))
    row_texts = texts(rows_of(root)[0])
    assert row_texts[0] == "Objective 1"
    assert f"{STATUS_STYLE['completed'].symbol}\N{NO-BREAK SPACE}30" in row_texts
    assert f"{STATUS_STYLE['none'].symbol}\N{NO-BREAK SPACE}10" in row_texts
    assert row_texts[-1] == "40"


def test_narrow_segment_has_no_text():
    root = parse(status_bars([("Objective 1", {"completed": 1, "none": 999})], title="By objective"))
    assert texts(rows_of(root)[0]) == ["Objective 1", f"{STATUS_STYLE['none'].symbol}\N{NO-BREAK SPACE}999", "1000"]


def test_description_states_every_figure():
    root = parse(status_bars(ROWS, title="By objective"))
    desc = root.find(f"{SVG}desc").text
    assert "Objective 1: In progress 5, Completed 3, No report 12 (total 20)" in desc
    assert "Objective 2: Not started 1, Planned 1, Delayed 1 (total 3)" in desc


def test_accessible_name_and_description():
    root = parse(status_bars(ROWS, title="By objective"))
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title.text == "By objective"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == root.find(f"{SVG}desc").get("id")


def test_empty_row_is_an_outline():
    root = parse(status_bars([("Objective 3", {}), ("Objective 4", {"none": 0})], title="By objective"))
    for row in rows_of(root):
        assert segments(row) == []
        assert frame(row).get("fill") == "none"
        assert texts(row)[-1] == "0"
    assert "Objective 3: No data" in root.find(f"{SVG}desc").text
    # Nothing occurs, so there is nothing to explain.
    assert root.find(f"{SVG}g[@class='legend']") is None


def test_no_rows_says_no_data():
    root = parse(status_bars([], title="By objective"))
    assert texts(root) == ["No data"]
    assert root.find(f"{SVG}desc").text == "No data"


def test_legend_lists_the_statuses_that_occur_in_order():
    root = parse(status_bars(ROWS, title="By objective"))
    items = root.findall(f"{SVG}g[@class='legend']/{SVG}g")
    shown = [item.get("data-status") for item in items]
    assert shown == ["not-started", "planned", "in-progress", "completed", "delayed", "none"]
    assert texts(items[0]) == [STATUS_STYLE["not-started"].symbol, "Not started"]
    assert texts(items[-1]) == [STATUS_STYLE["none"].symbol, "No report"]


def test_height_grows_with_rows():
    def height(rows):
        root = parse(status_bars(rows, title="By objective"))
        assert root.get("viewBox") == f"0 0 640 {root.get('height')}"
        return float(root.get("height"))

    one = [("Objective", {"completed": 1})]
    assert height(one * 2) > height(one)
    assert height(one * 10) - height(one * 9) == pytest.approx(height(one * 2) - height(one))


def test_long_label_wraps_whole_and_keeps_its_full_text_as_tooltip():
    label = "Objective 1: Protect the critical habitats of migratory ungulates across the whole region"
    for labels_above in (False, True):
        root = parse(status_bars([(label, {"completed": 1})], title="By objective", labels_above=labels_above))
        row = rows_of(root)[0]
        assert row.find(f"{SVG}title").text == label
        *lines, _count, _total = texts(row)
        assert len(lines) > 1 and " ".join(lines) == label
        # The lines stand one under another, and the bar below (or beside) the last of them.
        baselines = [float(text.get("y")) for text in row.iter(f"{SVG}text")][: len(lines)]
        assert baselines == sorted(baselines) and len(set(baselines)) == len(lines)
        bar_top = float(frame(row).get("y"))
        assert (bar_top > baselines[-1]) == labels_above


def test_no_chart_text_is_under_12_px():
    label = "Objective 1: Protect the critical habitats of migratory ungulates across the whole region"
    for svg in (
        status_bars(ROWS + [(label, {"completed": 1})], title="By objective"),
        status_bars(ROWS, title="By objective", width=300, labels_above=True),
        share_bar(1, 3, title="Progress", label=label, width=300),
    ):
        sizes = [float(text.get("font-size")) for text in parse(svg).iter(f"{SVG}text")]
        assert sizes and min(sizes) >= 12


def test_a_long_share_label_wraps_beside_its_figure():
    label = "High priority activities with progress: Kyrgyz Republic"
    root = parse(share_bar(3, 35, title="High", label=label, width=300))
    *lines, figure = texts(root)
    assert " ".join(lines) == label and figure == "3 of 35 (8.6 %)"
    assert float(root.find(f"{SVG}rect[@class='frame']").get("y")) > float(
        list(root.iter(f"{SVG}text"))[len(lines) - 1].get("y")
    )


def test_numeric_attributes_keep_a_dot_in_russian():
    with translation.override("ru"):
        bars = status_bars([("Цель 1", {"completed": 1, "planned": 2}), ("Цель 2", {"delayed": 7})], title="Цели")
        share = share_bar(1, 3, title="Доля", label="С прогрессом")
    for svg in (bars, share):
        root = parse(svg)
        for element in root.iter():
            for name in GEOMETRY:
                if name in element.attrib:
                    float(element.get(name))
        assert all(float(n) >= 0 for n in root.get("viewBox").split(" "))
    assert any("," not in rect.get("width") and "." in rect.get("width") for rect in parse(bars).iter(f"{SVG}rect"))
    shown = texts(parse(share))
    assert any("33,3" in text for text in shown)
    assert "33,3" in parse(share).find(f"{SVG}desc").text


def test_text_is_escaped():
    nasty = '<script>alert(1)</script> & "x"'
    svg = status_bars([(nasty, {"completed": 1})], title=nasty)
    root = parse(svg)
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    assert root.find(f"{SVG}title").text == nasty
    assert rows_of(root)[0].find(f"{SVG}title").text == nasty
    assert nasty in root.find(f"{SVG}desc").text
    share = parse(share_bar(1, 2, title=nasty, label=nasty))
    assert not [element for element in share.iter() if element.tag.endswith("script")]
    assert share.find(f"{SVG}title").text == nasty


def test_share_bar():
    root = parse(share_bar(1, 3, title="Progress", label="Items with progress"))
    assert texts(root) == ["Items with progress", "1 of 3 (33.3 %)"]
    share = root.find(f"{SVG}rect[@class='share']")
    bar = root.find(f"{SVG}rect[@class='frame']")
    assert float(share.get("width")) == pytest.approx(float(bar.get("width")) / 3, abs=0.1)
    assert root.find(f"{SVG}desc").text == "Items with progress: 1 of 3 (33.3 %)"


def test_share_bar_whole_numbers_have_no_decimals():
    assert texts(parse(share_bar(1, 2, title="Progress", label="Done")))[-1] == "1 of 2 (50 %)"
    assert texts(parse(share_bar(0, 4, title="Progress", label="Done")))[-1] == "0 of 4 (0 %)"


def test_share_bar_without_items_says_so():
    root = parse(share_bar(0, 0, title="Progress", label="Items with progress"))
    assert root.findall(f".//{SVG}rect") == []
    assert texts(root) == ["Items with progress", "No data"]
    assert root.find(f"{SVG}desc").text == "Items with progress: No data"


def test_ids_are_unique_across_charts():
    page = (
        "<div>"
        + status_bars(ROWS, title="A")
        + status_bars(ROWS, title="B")
        + share_bar(1, 2, title="C", label="D")
        + "</div>"
    )
    ids = [element.get("id") for element in ET.fromstring(page).iter() if element.get("id")]
    assert len(ids) == 9
    assert len(set(ids)) == len(ids)


def test_given_chart_id_is_used():
    root = parse(share_bar(1, 2, title="C", label="D", chart_id="progress-1"))
    assert root.get("id") == "progress-1"
    assert root.get("aria-labelledby") == "progress-1-title"


def test_self_contained():
    for svg in (status_bars(ROWS, title="A"), share_bar(1, 2, title="C", label="D")):
        for element in parse(svg).iter():
            assert element.tag.removeprefix(SVG) not in {"script", "image", "style", "foreignObject", "a", "use"}
            assert not [name for name in element.attrib if name.endswith("href") or name.startswith("on")]


def test_styles_cover_every_status():
    assert list(STATUS_STYLE) == list(STATUS_ORDER)
    assert len({style.colour for style in STATUS_STYLE.values()}) == len(STATUS_ORDER)
    assert len({style.symbol for style in STATUS_STYLE.values()}) == len(STATUS_ORDER)


@pytest.mark.parametrize(
    "call",
    [
        lambda: status_bars([("A", {"finished": 1})], title="T"),
        lambda: status_bars([("A", {"completed": -1})], title="T"),
        lambda: share_bar(3, 2, title="T", label="L"),
        lambda: share_bar(-1, 2, title="T", label="L"),
    ],
)
def test_bad_figures_are_refused(call):
    with pytest.raises(ValueError):
        call()


def test_renders_in_weasyprint():
    from weasyprint import HTML

    with translation.override("ru"):
        svg = status_bars(ROWS, title="Цели") + share_bar(1, 3, title="Доля", label="С прогрессом")
    pdf = HTML(string="<html><body>" + svg + "</body></html>").write_pdf()
    assert pdf.startswith(b"%PDF")
