"""An item's text as the reader sees it: in their language, or marked where a fallback stands in."""

from django import template
from django.urls import translate_url
from django.utils.formats import date_format, localize
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from actions.content_translations import LANGUAGE_NAMES
from actions.models import STATUS_SYMBOLS, Status, StatusUpdate

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


# The names of the statuses and states, as their choices give them (translated when shown).
STATUS_NAMES = dict(Status.choices)
STATE_NAMES = dict(StatusUpdate.State.choices)


@register.simple_tag
def status_of(update) -> str:
    """An update's status as every page shows it: its symbol, its name and its percentage if given."""
    status = update.status
    percentage = format_html(" · {}&nbsp;%", localize(update.progress)) if update.progress is not None else ""
    return format_html(
        '<span class="status status-{}"><span class="symbol" aria-hidden="true">{}</span> {}{}</span>',
        status,
        STATUS_SYMBOLS.get(status, "–"),
        STATUS_NAMES.get(status, status),
        percentage,
    )


@register.simple_tag
def update_line(update) -> str:
    """An update in a list: its status (a link to it), its state, the date its work refers to and
    its author. Drawn in Python, not by an include: lists of histories show dozens of them."""
    author = update.author
    return format_html(
        '<a href="{}">{}</a>\n<span class="state state-{}">{}</span>\n<span class="muted">{} · {}</span>',
        update.get_absolute_url(),
        status_of(update),
        update.state,
        STATE_NAMES.get(update.state, update.state),
        date_format(update.refers_to, "DATE_FORMAT") if update.refers_to else "",
        author.get_full_name() or author.username,
    )


@register.filter
def language_name(code: str) -> str:
    """A language's name in the reader's language: kk is "Kazakh" in English, "Казахский" in Russian."""
    return LANGUAGE_NAMES.get(code, "")
