from django import template

from reports import charts
from reports.snapshot import status_label

register = template.Library()


@register.filter
def cell_of(row, unit):
    """The row's state in `unit`, or None where the item does not apply to it."""
    return row.cells.get(unit.pk)


@register.filter
def status_symbol(status: str) -> str:
    return charts.STATUS_STYLE[status].symbol


@register.filter
def status_colour(status: str) -> str:
    return charts.STATUS_STYLE[status].colour


@register.filter
def status_name(status: str) -> str:
    return status_label(status)


@register.filter
def translation_kind_of(record, language: str) -> str:
    return record.translation_kind(language)
