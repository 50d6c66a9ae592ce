"""Status charts as inline SVG, drawn on the server.

The same markup goes into the PDF reports (WeasyPrint runs no JavaScript) and into HTML pages, so
a chart is one self-contained `<svg>` element: no scripts, no external references, every text
escaped. Each chart carries its title in `<title>` and all its figures in `<desc>`, so a screen
reader loses nothing.

Geometry is written with a dot whatever the language, since SVG attributes do not follow the
locale; the numbers a reader sees are localised text. Widths of text are estimated from the font
size, as neither the PDF nor the browser can be asked to measure.

The charts draw no visible heading: the page around them does, in its own typography.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from actions.models import STATUS_SYMBOLS, Status
from reports.snapshot import NO_REPORT, STATUS_ORDER, status_label

FONT_FAMILY = "DejaVu Sans, sans-serif"
INK = "#1a1a1a"
MUTED = "#555555"
FRAME = "#666666"
# Not a status colour, so a share is never read as one status.
SHARE_COLOUR = "#0072B2"
# DejaVu Sans averages a little over half an em per character (Latin and Cyrillic alike);
# erring wide keeps estimated text inside its box.
CHAR_WIDTH = 0.62
# No text in a chart is smaller, at the chart's own size (WCAG's readable minimum on screen).
MIN_TEXT_SIZE = 12


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


# How much of a status colour stays in the PDF's fills (the rest is white).
PRINT_FILL_STRENGTH = 0.45


@dataclass(frozen=True)
class StatusStyle:
    """How a status is drawn: a fill colour and the symbol the rest of the site shows for it."""

    colour: str
    symbol: str

    @property
    def print_fill(self) -> str:
        """The colour lightened for a cell or badge of the PDF that carries a dark symbol: full
        colours such as Completed's green leave a black ● nearly invisible in grey print."""
        r, g, b = (round(255 - (255 - int(self.colour[i : i + 2], 16)) * PRINT_FILL_STRENGTH) for i in (1, 3, 5))
        return f"#{r:02X}{g:02X}{b:02X}"

    @property
    def ink(self) -> str:
        """Black or white, whichever reads better on the colour."""
        luminance = _luminance(self.colour)
        return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


# Okabe–Ito colours, chosen so that neighbours in STATUS_ORDER also differ in lightness and stay
# apart in grey print; the symbols (actions.models.STATUS_SYMBOLS) carry the meaning where neither does.
STATUS_STYLE: Mapping[str, StatusStyle] = {
    Status.NOT_STARTED: StatusStyle("#CCCCCC", STATUS_SYMBOLS[Status.NOT_STARTED]),
    Status.PLANNED: StatusStyle("#E69F00", STATUS_SYMBOLS[Status.PLANNED]),
    Status.IN_PROGRESS: StatusStyle("#F0E442", STATUS_SYMBOLS[Status.IN_PROGRESS]),
    Status.COMPLETED: StatusStyle("#009E73", STATUS_SYMBOLS[Status.COMPLETED]),
    Status.ONGOING: StatusStyle("#56B4E9", STATUS_SYMBOLS[Status.ONGOING]),
    Status.DELAYED: StatusStyle("#D55E00", STATUS_SYMBOLS[Status.DELAYED]),
    Status.NOT_APPLICABLE: StatusStyle("#999999", STATUS_SYMBOLS[Status.NOT_APPLICABLE]),
    NO_REPORT: StatusStyle("#FFFFFF", "?"),
}


def _num(value: float) -> str:
    """A number for an SVG attribute: always a dot, never a locale's comma."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _join(parts) -> SafeString:
    return mark_safe("".join(conditional_escape(part) for part in parts))


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _wrap(text: str, width: float, size: float) -> list[str]:
    """The text broken into lines that fit the width, at spaces; a word longer than a line is split."""
    room = max(int(width / (size * CHAR_WIDTH)), 2)
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > room:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:room])
            word = word[room:]
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line or not lines:
        lines.append(line)
    return lines


def _lines(x: float, first_baseline: float, lines: list[str], *, size: float, line_height: float) -> SafeString:
    """Lines of text, one <text> each, so that every renderer places them alike."""
    return _join(_text(x, first_baseline + index * line_height, line, size=size) for index, line in enumerate(lines))


def _text(x: float, y: float, content, *, size: float = 11, anchor: str = "start", fill: str = INK) -> SafeString:
    return format_html(
        '<text x="{}" y="{}" font-family="{}" font-size="{}" text-anchor="{}" fill="{}">{}</text>',
        _num(x),
        _num(y),
        FONT_FAMILY,
        _num(size),
        anchor,
        fill,
        content,
    )


def _baseline(top: float, height: float, size: float) -> float:
    # Centres digits and capitals vertically without dominant-baseline, which not every renderer knows.
    return top + height / 2 + size * 0.36


def _svg(
    *, chart_id: str | None, title, desc: str, width: float, height: float, body, figures_in_title: bool = False
) -> SafeString:
    chart_id = chart_id or f"chart-{uuid.uuid4().hex[:12]}"
    if figures_in_title:
        # A tagged PDF takes a figure's alternative text from the SVG's <title> alone (WeasyPrint
        # writes no /Alt from <desc>), so there the title carries the figures too.
        title = _("%(title)s. %(figures)s") % {"title": title, "figures": desc}
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-labelledby="{id}-title" aria-describedby="{id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=_num(width),
        h=_num(height),
        title=title,
        desc=desc,
        body=_join(body),
    )


def percent_text(count: int, total: int) -> str:
    """`count` of `total` as a percentage in the active language: whole, or with one decimal."""
    percent = round(100 * count / total, 1)
    return number_format(percent, 0 if percent == int(percent) else 1)


def status_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    *,
    title: str,
    width: float = 640,
    chart_id: str | None = None,
    labels_above: bool = False,
    figures_in_title: bool = False,
) -> SafeString:
    """Horizontal 100 % bars of status counts, one per row, with a legend below.

    `rows` are `(label, counts)` pairs, counts keyed by the keys of STATUS_ORDER (a missing key
    counts 0). Each bar shows a row's statuses in STATUS_ORDER, with the count (and the symbol,
    where there is room) inside each segment; the label stands on the left (or above the bar,
    with `labels_above`, for a narrow chart), wrapped over as many lines as it needs, and the
    total on the right. A row without items is an empty outline. The legend lists the statuses
    that occur. No text is smaller than 12 px at the chart's own size. `chart_id` makes the ids
    inside the chart unique on a page; without one a random id is used. With `figures_in_title`
    the title says the figures too, for a PDF's alternative text.
    """
    if width < 240:
        raise ValueError("A status chart needs a width of at least 240.")
    size = small = MIN_TEXT_SIZE
    line_height, bar_height, gap = 15, 16, 8
    total_width = max(_text_width("0000", size), 28)
    label_width = width - gap - total_width if labels_above else round(width * 0.3)
    bar_x = 0.5 if labels_above else label_width + gap
    bar_width = width - bar_x - gap - total_width

    prepared = []
    for label, counts in rows:
        unknown = set(counts) - set(STATUS_ORDER)
        if unknown:
            raise ValueError(f"Unknown status keys: {sorted(unknown)}")
        if any(counts.get(status, 0) < 0 for status in STATUS_ORDER):
            raise ValueError("Status counts cannot be negative.")
        figures = [(status, counts[status]) for status in STATUS_ORDER if counts.get(status, 0)]
        prepared.append((str(label), figures, sum(count for _status, count in figures)))

    body = []
    descriptions = []
    row_top = 0.0
    for label, figures, total in prepared:
        label_lines = _wrap(label, label_width, size)
        label_height = len(label_lines) * line_height
        if labels_above:
            top = row_top + label_height + 3
            label_baseline = row_top + size
            row_height = label_height + 3 + bar_height + gap
        else:
            row_height = max(bar_height, label_height) + gap
            top = row_top + (row_height - bar_height) / 2
            label_baseline = row_top + (row_height - label_height) / 2 + size * 0.86
        row_top += row_height
        text_y = _baseline(top, bar_height, size)
        parts = [
            format_html("<title>{}</title>", label),
            _lines(0, label_baseline, label_lines, size=size, line_height=line_height),
        ]
        done = 0
        described = []
        for status, count in figures:
            style = STATUS_STYLE[status]
            x = bar_x + bar_width * done / total
            done += count
            segment_width = bar_x + bar_width * done / total - x
            figure = _("%(status)s %(count)s") % {"status": status_label(status), "count": number_format(count)}
            described.append(figure)
            parts.append(
                format_html(
                    '<rect class="segment" data-status="{}" data-count="{}" x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}" stroke="#ffffff" stroke-width="1"><title>{}</title></rect>',
                    status,
                    count,
                    _num(x),
                    _num(top),
                    _num(segment_width),
                    _num(bar_height),
                    style.colour,
                    figure,
                )
            )
            for inside in (f"{style.symbol}\N{NO-BREAK SPACE}{number_format(count)}", number_format(count)):
                if _text_width(inside, small) + 4 <= segment_width:
                    parts.append(
                        _text(
                            x + segment_width / 2,
                            _baseline(top, bar_height, small),
                            inside,
                            size=small,
                            anchor="middle",
                            fill=style.ink,
                        )
                    )
                    break
        # Drawn over the segments, so a row with no items, or one ending in white "no report",
        # still shows where the bar ends.
        parts.append(
            format_html(
                '<rect class="frame" x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}" stroke-width="0.75"/>',
                _num(bar_x),
                _num(top),
                _num(bar_width),
                _num(bar_height),
                FRAME,
            )
        )
        parts.append(_text(width, text_y, number_format(total), size=size, anchor="end"))
        body.append(format_html('<g class="row">{}</g>', _join(parts)))

        if figures:
            descriptions.append(
                _("%(label)s: %(figures)s (total %(total)s)")
                % {"label": label, "figures": ", ".join(described), "total": number_format(total)}
            )
        else:
            descriptions.append(_("%(label)s: %(value)s") % {"label": label, "value": _("No data")})

    height = row_top
    if not prepared:
        height = bar_height + gap
        body.append(_text(0, _baseline(0, height, size), _("No data"), size=size, fill=MUTED))
        descriptions.append(_("No data"))

    # The legend flows left to right and wraps like text.
    occurring = {status for _label, figures, _total in prepared for status, _count in figures}
    swatch, line_height = 14, 20
    # Half a stroke in from the edge, so the swatch outline is not clipped.
    x, y = 0.5, height + 10
    items = []
    for status in (status for status in STATUS_ORDER if status in occurring):
        style = STATUS_STYLE[status]
        name = status_label(status)
        item_width = swatch + 5 + _text_width(name, size) + 16
        if x > 0.5 and x + item_width > width:
            x, y = 0.5, y + line_height
        items.append(
            format_html(
                '<g class="legend-item" data-status="{}"><rect x="{}" y="{}" width="{}" height="{}" fill="{}" '
                'stroke="{}" stroke-width="0.75"/>{}{}</g>',
                status,
                _num(x),
                _num(y),
                swatch,
                swatch,
                style.colour,
                FRAME,
                _text(
                    x + swatch / 2,
                    _baseline(y, swatch, small),
                    style.symbol,
                    size=small,
                    anchor="middle",
                    fill=style.ink,
                ),
                _text(x + swatch + 5, _baseline(y, swatch, size), name, size=size),
            )
        )
        x += item_width
    if items:
        body.append(format_html('<g class="legend">{}</g>', _join(items)))
        height = y + swatch + 2

    return _svg(
        chart_id=chart_id,
        title=title,
        desc="; ".join(descriptions),
        width=width,
        height=height,
        body=body,
        figures_in_title=figures_in_title,
    )


@dataclass(frozen=True)
class FigureTable:
    """The numbers of a status chart as a table: the same rows, one column per status that occurs."""

    caption: str
    statuses: list[tuple[str, str, str]]  # (key, symbol, label)
    rows: list[tuple[str, list[int], int]]  # (label, a count per status, total)

    @property
    def number_column_percent(self) -> float:
        """Each number column's share of the width when the row labels keep 30 % of it."""
        return round(70 / (len(self.statuses) + 1), 2)


def status_table(rows: Sequence[tuple[str, Mapping[str, int]]], *, caption: str) -> FigureTable:
    """The figures `status_bars` draws for `rows`, for a table beside the chart."""
    occurring = [status for status in STATUS_ORDER if any(counts.get(status, 0) for _label, counts in rows)]
    return FigureTable(
        caption=caption,
        statuses=[(status, STATUS_STYLE[status].symbol, status_label(status)) for status in occurring],
        rows=[
            (str(label), [counts.get(status, 0) for status in occurring], sum(counts.values()))
            for label, counts in rows
        ],
    )


def share_bar(
    count: int,
    total: int,
    *,
    title: str,
    label: str,
    width: float = 480,
    chart_id: str | None = None,
    figures_in_title: bool = False,
) -> SafeString:
    """One bar filled to `count` of `total`, with the label and "N of M (P %)" above it.

    With a total of 0 there is nothing to share out: the chart says so in words and draws no bar.
    `chart_id` makes the ids inside the chart unique on a page; without one a random id is used.
    """
    if not 0 <= count <= total:
        raise ValueError("A share needs 0 <= count <= total.")
    if width < 160:
        raise ValueError("A share bar needs a width of at least 160.")
    size, bar_height, line_height = MIN_TEXT_SIZE, 14, 15
    label = str(label)
    if total:
        value = _("%(count)s of %(total)s (%(percent)s %%)") % {
            "count": number_format(count),
            "total": number_format(total),
            "percent": percent_text(count, total),
        }
    else:
        value = _("No data")
    # The label wraps in the room the figure leaves on its first line.
    room = width - _text_width(value, size) - 12
    label_lines = _wrap(label, room, size)
    line = len(label_lines) * line_height + 3
    body = [
        _lines(0, size, label_lines, size=size, line_height=line_height),
        _text(width, size, value, size=size, anchor="end", fill=INK if total else MUTED),
    ]
    # Half a stroke in from the edges, so the outline is not clipped.
    inset = 0.5
    bar_width = width - 2 * inset
    if total:
        if count:
            body.append(
                format_html(
                    '<rect class="share" x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    _num(inset),
                    _num(line),
                    _num(bar_width * count / total),
                    bar_height,
                    SHARE_COLOUR,
                )
            )
        body.append(
            format_html(
                '<rect class="frame" x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{}" stroke-width="0.75"/>',
                _num(inset),
                _num(line),
                _num(bar_width),
                bar_height,
                FRAME,
            )
        )
    desc = _("%(label)s: %(value)s") % {"label": label, "value": value}
    return _svg(
        chart_id=chart_id,
        title=title,
        desc=desc,
        width=width,
        height=line + bar_height + 1,
        body=body,
        figures_in_title=figures_in_title,
    )
