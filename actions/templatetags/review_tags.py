"""The rows of the Secretariat's review queue (actions/review_queue.html).

A row shows an update with its item, unit, the status in force and the proposed one, its
narrative, evidence, date and author: about forty lookups, filters and tags in a template, drawn
thirty times a page. Drawn here in Python, a page takes a fraction of the time; the markup is
the template's, the texts the same messages.
"""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from actions.templatetags.content_tags import language_name, status_of, text_of

register = template.Library()


@register.simple_tag
def review_row(update) -> str:
    """The queue's row of a pending update; `update.previous` (the accepted update in force, or
    None) and `update.ticked` are set by the view."""
    item, unit, author = update.item, update.unit, update.author
    citation = item.citation
    label = gettext("Select %(code)s for %(unit)s") % {"code": citation, "unit": unit.name}
    if update.previous is not None:
        in_force = status_of(update.previous)
    else:
        in_force = format_html('<span class="muted">{}</span>', gettext("None accepted yet"))
    revision = format_html('<br><span class="muted">{}</span>', gettext("revision")) if update.revision_of_id else ""
    if update.narrative:
        narrative = format_html(
            '<span lang="{}">{}</span><br><span class="muted">{}</span>',
            update.narrative_language,
            Truncator(update.narrative).words(40, truncate=" …"),
            language_name(update.narrative_language),
        )
    else:
        narrative = "—"
    evidence = format_html_join(
        mark_safe("<br>"),
        "{}",
        ((piece.file_name if piece.file else Truncator(piece.url).chars(60),) for piece in update.evidence.all()),
    )
    submitted = date_format(timezone.localtime(update.submitted_at), "DATE_FORMAT") if update.submitted_at else ""
    return format_html(
        '<tr><td><input type="checkbox" name="updates" value="{pk}" id="select-{pk}" class="select-update"{checked}'
        ' aria-label="{label}"></td>'
        '<td><a class="code" href="{url}">{citation}</a><br>{text}</td>'
        "<td>{unit}</td><td>{in_force}</td><td>{status}{revision}</td><td>{narrative}</td><td>{evidence}</td>"
        '<td>{submitted}<br><span class="muted">{author}</span></td></tr>',
        pk=update.pk,
        checked=mark_safe(" checked") if update.ticked else "",
        label=label,
        url=update.get_absolute_url(),
        citation=citation,
        text=text_of(item, words=25),
        unit=unit.name,
        in_force=in_force,
        status=status_of(update),
        revision=revision,
        narrative=narrative,
        evidence=evidence or "—",
        submitted=submitted,
        author=author.get_full_name() or author.username,
    )
