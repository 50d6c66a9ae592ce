"""The version of what the reading pages show, and the page parts cached under it.

Dashboards spend most of their time computing and drawing figures that change only when an update
is accepted or the reference data (instruments, items, units, agencies, meetings) is edited. Those
events replace the token of `DataVersion` in their own transaction; a cached part's
key holds the token, so the next reader after an accepted update gets freshly computed figures and
no one ever reads a part made before it. Submissions, drafts, comments and notifications do not
change the token: the cached parts show accepted states only.

The token lives in the database, not the cache, so every web process reads the same one whatever
the cache backend (the local-memory cache of one process, or Redis shared by all). Each cached
part's key also holds what makes it differ between readers (docs/deployment.md says which cache).
"""

import functools
import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags

from actions.models import (
    Agency,
    CrossReference,
    DataVersion,
    Footnote,
    Instrument,
    Item,
    Meeting,
    Progress,
    ReportingUnit,
    ResponsibleParty,
    StatusUpdate,
)

# What the reading pages show from the reference data: any change of these replaces the token.
REFERENCE_MODELS = (Agency, CrossReference, Footnote, Instrument, Item, Meeting, ReportingUnit, ResponsibleParty)
# A day: parts are found again by their key, not kept fresh by expiry; expiry only frees space.
TIMEOUT = 24 * 60 * 60


def current() -> str:
    token = DataVersion.objects.values_list("token", flat=True).first()
    if token is None:
        token = DataVersion.objects.get_or_create(pk=1)[0].token
    return str(token)


def changed() -> None:
    """Replace the token, in the transaction that makes the change.

    Other connections see the new token when, and only when, they see the change: a reader before
    the commit keeps the old token with the old data, a reader after it gets both new. (PostgreSQL
    holds the row until the commit, so two accepting transactions take turns on it; they are short.)"""
    if not DataVersion.objects.filter(pk=1).update(token=uuid.uuid4()):
        DataVersion.objects.get_or_create(pk=1)


def _code_fingerprint() -> str:
    """The templates and modules that draw the cached parts: a deployment of other code makes
    other keys, so a shared cache never serves parts drawn by the code before."""
    digest = hashlib.sha256()
    for app in ("actions", "reports"):
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*")):
            if path.suffix in {".py", ".html"} and not {"tests", "migrations"} & set(path.parts):
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE = _code_fingerprint()


def cached_part(name: str, varies_on: tuple, render):
    """`render()`'s text (or a file's bytes), kept under the data version and `varies_on` (everything
    that makes the part differ between readers and requests: language, unit, the reader's rights...)."""
    key = hashlib.sha256(repr((CODE, name, current(), varies_on)).encode()).hexdigest()
    key = f"part:{name}:{key}"
    text = cache.get(key)
    if text is None:
        text = render()
        cache.set(key, text, TIMEOUT)
    return text


def page_facts(request) -> tuple | None:
    """What a reading page shows that can change, but for the reader's CSRF secret (page_etag).

    The data version (every accepted update, every edit of the reference data), the address with
    its query and the language; who reads and with what rights (role, units, account flags) and
    the menu's counts (a submission changes the Secretariat's "Review (n)"). None, so the page is
    drawn and never answered "not modified", while a message waits to be shown on it.
    """
    from actions.counts import menu_counts_of
    from actions.permissions import profile_of, readable_unit_ids, writable_unit_ids

    if len(get_messages(request)):
        return None
    user = request.user
    readable = readable_unit_ids(user)
    profile = profile_of(user)
    # The rights the reading pages follow (actions.rules): the role and the units of the profile.
    rights = (
        user.pk,
        user.is_active,
        user.is_staff,
        user.is_superuser,
        profile.role if profile else None,
        None if readable is None else sorted(readable),
        sorted(writable_unit_ids(user)),
    )
    counted = menu_counts_of(request)
    return (CODE, current(), request.get_full_path(), translation.get_language(), rights, counted)


def page_etag(facts: tuple, request) -> str:
    """The ETag of a page showing `facts` to the reader of `request`: with the secret behind the
    CSRF tokens of its forms, so that a page kept by the browser holds valid ones. A first visit
    has no secret until the page's forms make one: the ETag sent with that page is made after it
    is drawn (conditional_page), from the same facts."""
    seen = (facts, request.META.get("CSRF_COOKIE", ""))
    return '"' + hashlib.sha256(repr(seen).encode()).hexdigest()[:32] + '"'


def conditional_page(view):
    """A reading page that a browser holding it already gets as "304 Not Modified", without being
    drawn again: the ETag it sends back (If-None-Match) is compared with page_etag before the view
    runs. The page may be kept by the reader's browser only (private) and is asked for again on
    every visit (no-cache).

    Only a page drawn in full (200) carries the ETag, so only a reader who was shown this page,
    with these rights and these data, is ever answered 304; a redirect to sign in or a refusal
    never is. Only an exact ETag counts: "*" or If-Match, which HTTP lets a client send, change
    nothing, so no header answers for the view's own checks.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        facts = page_facts(request)
        # Compressed pages carry the weak form W/"..." (GZipMiddleware), which the browser sends back.
        held = {etag.removeprefix("W/") for etag in parse_etags(request.headers.get("If-None-Match", "")[:2000])}
        if facts is not None and page_etag(facts, request) in held:
            response = HttpResponseNotModified()
        else:
            response = view(request, *args, **kwargs)
            if facts is None or response.status_code != 200:
                return response
        # Made from the facts read before the page was drawn (never from newer data than it shows).
        response["ETag"] = page_etag(facts, request)
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return wrapper


def _reference_changed(sender, **kwargs):
    changed()


def _progress_saved(sender, instance, created=False, update_fields=None, **kwargs):
    # A submission creates the row or raises its version and sets `latest`; only `current` is an
    # accepted state.
    if created and instance.current_id is None:
        return
    if update_fields is None or "current" in update_fields:
        changed()


def _update_saved(sender, instance, **kwargs):
    if instance.state == StatusUpdate.State.ACCEPTED:
        changed()


def connect() -> None:
    for model in REFERENCE_MODELS:
        post_save.connect(_reference_changed, sender=model, dispatch_uid=f"data-version-{model.__name__}")
        post_delete.connect(_reference_changed, sender=model, dispatch_uid=f"data-version-del-{model.__name__}")
    for through in (Item.applies_to.through, Instrument.applies_to.through, Item.agencies.through):
        m2m_changed.connect(_reference_changed, sender=through, dispatch_uid=f"data-version-{through.__name__}")
    post_save.connect(_progress_saved, sender=Progress, dispatch_uid="data-version-progress")
    post_delete.connect(_reference_changed, sender=Progress, dispatch_uid="data-version-progress-del")
    post_save.connect(_update_saved, sender=StatusUpdate, dispatch_uid="data-version-update")
    post_delete.connect(_update_saved, sender=StatusUpdate, dispatch_uid="data-version-update-del")
