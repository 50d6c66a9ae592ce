"""The heat map of a dashboard: an instrument's activities down, reporting units across.

Each cell shows the status's colour and its symbol, and carries the status's name for screen
readers, so it reads in grey print and without colour vision. Each cell links to the item's
timeline in that unit (the activity page with the unit's history). Headings (objectives, issues) are
rows of their own, so the matrix follows the instrument's structure.

The matrix has thousands of cells; it is written here in Python rather than in a template, where
it would cost the better part of a second to render.
"""

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from reports.charts import STATUS_STYLE
from reports.snapshot import STATUS_ORDER, InstrumentPart, status_label


def _first_line(text: str, limit: int = 90) -> str:
    line = text.split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def heat_map(part: InstrumentPart, *, caption: str, unit_link=None) -> SafeString:
    """The part's matrix as an HTML table. `unit_link(unit)` gives a column header's address."""
    labels = {status: escape(status_label(status)) for status in STATUS_ORDER}
    symbols = {status: escape(STATUS_STYLE[status].symbol) for status in STATUS_ORDER}
    units = part.units
    not_applicable = escape(_("Does not apply"))
    html = [
        format_html('<table class="heat-map"><caption>{}</caption><thead><tr>', caption),
        format_html('<th scope="col">{}</th>', _("Activity")),
    ]
    for unit in units:
        name = escape(unit.name)
        code = escape(unit.code)
        header = f'<abbr title="{name}">{code}</abbr>'
        if unit_link is not None:
            header = f'<a href="{escape(unit_link(unit))}" aria-label="{name}">{code}</a>'
        html.append(f'<th scope="col">{header}</th>')
    html.append("</tr></thead><tbody>")
    columns = len(units) + 1
    item_url = reverse("actions:item", args=["INSTRUMENT", "SLUG"])
    for row in part.rows:
        item = row.item
        text = escape(_first_line(item.text))
        if not row.trackable:
            html.append(
                f'<tr class="heading depth-{item.depth}"><th scope="rowgroup" colspan="{columns}">'
                f"{escape(item.code)} {text}</th></tr>"
            )
            continue
        url = escape(item_url.replace("INSTRUMENT", item.instrument.slug).replace("SLUG", item.slug))
        code = escape(item.code)
        html.append(
            f'<tr class="depth-{item.depth}"><th scope="row"><a href="{url}">{code}</a> '
            f'<span class="text">{text}</span></th>'
        )
        for unit in units:
            cell = row.cells.get(unit.pk)
            if cell is None:
                html.append(f'<td class="na"><span class="visually-hidden">{not_applicable}</span></td>')
                continue
            status = cell.status
            percent = f" {number_format(cell.progress)}&nbsp;%" if cell.progress is not None else ""
            derived, mark = "", ""
            if cell.derived:
                # A dashed cell, and words saying so: the state comes from the activity's sub-items.
                derived, mark = f" ({escape(cell.derived_note)})", " derived"
            # Each cell leads to the item's timeline in that unit: the activity page with its history.
            unit_code = escape(unit.code)
            html.append(
                f'<td class="s-{status}{mark}" title="{labels[status]}{percent}{derived}">'
                f'<a href="{url}?history={unit_code}#unit-{unit_code}">'
                f'<span aria-hidden="true">{symbols[status]}</span>'
                f'<span class="visually-hidden">{labels[status]}{percent}{derived}</span></a></td>'
            )
        html.append("</tr>")
    html.append("</tbody></table>")
    return mark_safe("".join(html))
