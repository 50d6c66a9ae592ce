import re

from django import template
from django.utils.safestring import SafeString, mark_safe

from reports import charts
from reports.snapshot import status_label

register = template.Library()

# What a CSS string may hold as it is: letters and digits of every alphabet, spaces and a little
# punctuation. Every other character is written as a hexadecimal escape, so that no text (a meeting
# symbol typed by the Secretariat, a translation) can end the string with a quote or a line break,
# escape its end with a backslash, or close the report's <style> element with "</style>".
CSS_PLAIN = re.compile(r"[^\w .,:()-]")


@register.filter
def css_string(text) -> SafeString:
    """`text` as a CSS string literal, for a `content:` of the report's stylesheet."""
    escaped = CSS_PLAIN.sub(lambda match: f"\\{ord(match.group()):x} ", str(text))
    return mark_safe(f'"{escaped}"')


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
def status_print_fill(status: str) -> str:
    return charts.STATUS_STYLE[status].print_fill


@register.filter
def status_name(status: str) -> str:
    return status_label(status)


@register.filter
def translation_kind_of(record, language: str) -> str:
    return record.translation_kind(language)
