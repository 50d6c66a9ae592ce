"""An item's text as the reader sees it: in their language, or marked where a fallback stands in."""

from django import template
from django.urls import translate_url
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from actions.content_translations import LANGUAGE_NAMES
from actions.models import STATUS_SYMBOLS

register = template.Library()


@register.simple_tag
def text_of(item, words: int = 0, chars: int = 0) -> str:
    """The text in a `lang` span; where it is not yet translated, the language it is shown in."""
    shown = item.displayed_language()
    text = item.text or ""
    if words:
        text = Truncator(text).words(words)
    if chars:
        text = Truncator(text).chars(chars)
    if shown == get_language():
        return format_html('<span lang="{}">{}</span>', shown, text)
    language = LANGUAGE_NAMES.get(shown, shown)
    return format_html(
        '<span lang="{}">{}</span> <span class="fallback" title="{}">({})</span>',
        shown,
        text,
        gettext("Not yet translated into this language"),
        language,
    )


@register.filter
def in_language(path: str, language: str) -> str:
    """The same page in another language: /kk/instruments/vilm/ -> /mn/instruments/vilm/."""
    return translate_url(path, language)


@register.simple_tag
def status_of(update) -> str:
    """An update's status as every page shows it: its symbol, its name and its percentage if given."""
    symbol = STATUS_SYMBOLS.get(update.status, "–")
    percentage = format_html(" · {}&nbsp;%", localize(update.progress)) if update.progress is not None else ""
    return format_html(
        '<span class="status status-{}"><span class="symbol" aria-hidden="true">{}</span> {}{}</span>',
        update.status,
        symbol,
        update.get_status_display(),
        percentage,
    )


@register.filter
def language_name(code: str) -> str:
    """A language's name in the reader's language: kk is "Kazakh" in English, "Казахский" in Russian."""
    return LANGUAGE_NAMES.get(code, "")
