"""An item's text as the reader sees it: in their language, or marked where a fallback stands in."""

from django import template
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from actions.content_translations import LANGUAGE_NAMES

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
