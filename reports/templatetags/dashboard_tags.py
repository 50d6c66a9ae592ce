from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import urlencode

from reports.charts import STATUS_STYLE, percent_text
from reports.snapshot import PROGRESS_STATUSES

register = template.Library()

# The statuses counted as "with progress", as one filter value.
WITH_PROGRESS = ",".join(PROGRESS_STATUSES)


@register.simple_tag
def progress_url(scope: dict, **filters) -> str:
    """The address of the list behind a figure: the dashboard's scope and the figure's filters.

    A value holding commas stands for several choices: status="in-progress,completed".
    """
    query = {key: value for key, value in scope.items()}
    for key, value in filters.items():
        if value is None or value == "":
            continue
        query[key] = value.split(",") if isinstance(value, str) and "," in value else value
    return f"{reverse('reports:progress')}?{urlencode(query, doseq=True)}"


@register.simple_tag
def with_progress() -> str:
    return WITH_PROGRESS


@register.filter
def percent_of(count: int, total: int) -> str:
    """`count` as a percentage of `total`, in the active language's number format."""
    if not total:
        return "–"
    return f"{percent_text(count, total)}\N{NO-BREAK SPACE}%"


@register.filter
def share_percent(share) -> str:
    return percent_of(share.count, share.total)


@register.filter
def status_badge(cell) -> str:
    """A state with its symbol, its name and any percentage (reports/dashboard.css colours it)."""
    percent = format_html(" · {}\N{NO-BREAK SPACE}%", number_format(cell.progress)) if cell.progress is not None else ""
    derived = format_html(' <span class="derived">({})</span>', cell.derived_note) if cell.derived else ""
    return format_html(
        '<span class="cell-status s-{}"><span aria-hidden="true">{}</span> {}{}{}</span>',
        cell.status,
        STATUS_STYLE[cell.status].symbol,
        cell.label,
        percent,
        derived,
    )


@register.filter
def counts_of(counts, status: str) -> int:
    return counts[status]
