"""Who may do what, checked on the server for every view and download.

The `rules` below answer for one object; `visible_updates` filters a queryset the same way, since
rules cannot filter querysets (actions/tests/test_permissions.py proves the two agree).

- The Secretariat (and administrators) read every unit, review submitted updates, invite people,
  and report for the units of kind "CMS Secretariat".
- A focal point reads and reports for their own units.
- A ministry viewer reads their own units and writes nothing.
- An update's discussion is read by whoever may see the update and written by the Secretariat and
  the focal points of its unit; comments, like updates, are never changed.
- Nobody changes an update once it is submitted; drafts are seen only by those who may report for
  the unit. With PUBLIC_PROGRESS on, anyone may read accepted updates.
"""

import rules
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q

from actions.models import ReportingUnit, Role, StatusUpdate


def profile_of(user):
    """The profile (role, units) of an active, signed-in person; None otherwise."""
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.profile
    except ObjectDoesNotExist:
        return None


def is_secretariat_user(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    profile = profile_of(user)
    return profile is not None and profile.role == Role.SECRETARIAT


def _own_unit_ids(user) -> frozenset[int]:
    # Cached on the user object: one query per request, however many checks.
    if not hasattr(user, "_tracker_unit_ids"):
        profile = profile_of(user)
        user._tracker_unit_ids = frozenset(profile.units.values_list("pk", flat=True)) if profile else frozenset()
    return user._tracker_unit_ids


def writable_unit_ids(user) -> frozenset[int]:
    """The units `user` may report for."""
    if is_secretariat_user(user):
        if not hasattr(user, "_tracker_secretariat_unit_ids"):
            user._tracker_secretariat_unit_ids = frozenset(
                ReportingUnit.objects.filter(kind=ReportingUnit.Kind.SECRETARIAT).values_list("pk", flat=True)
            )
        return user._tracker_secretariat_unit_ids
    profile = profile_of(user)
    if profile is not None and profile.role == Role.FOCAL_POINT:
        return _own_unit_ids(user)
    return frozenset()


def readable_unit_ids(user) -> frozenset[int] | None:
    """The units whose updates `user` may read; None means all of them."""
    if is_secretariat_user(user):
        return None
    return _own_unit_ids(user) if profile_of(user) is not None else frozenset()


def writable_units(user):
    return ReportingUnit.objects.filter(pk__in=writable_unit_ids(user)).alphabetical()


def readable_units(user):
    readable = readable_unit_ids(user)
    units = ReportingUnit.objects.all() if readable is None else ReportingUnit.objects.filter(pk__in=readable)
    return units.alphabetical()


def visible_updates(queryset, user):
    """The updates of `queryset` that `user` may see (the `actions.view_update` rule)."""
    draft = StatusUpdate.State.DRAFT
    condition = Q(state=draft, unit_id__in=writable_unit_ids(user))
    readable = readable_unit_ids(user)
    if readable is None:
        condition |= ~Q(state=draft)
    elif readable:
        condition |= ~Q(state=draft) & Q(unit_id__in=readable)
    if settings.PUBLIC_PROGRESS:
        condition |= Q(state=StatusUpdate.State.ACCEPTED)
    return queryset.filter(condition)


@rules.predicate
def is_secretariat(user) -> bool:
    return is_secretariat_user(user)


@rules.predicate
def reports_for_unit(user, unit) -> bool:
    return unit is not None and unit.pk in writable_unit_ids(user)


@rules.predicate
def reads_unit(user, unit) -> bool:
    readable = readable_unit_ids(user)
    return unit is not None and (readable is None or unit.pk in readable)


@rules.predicate
def can_see_update(user, update) -> bool:
    if update.state == StatusUpdate.State.DRAFT:
        return update.unit_id in writable_unit_ids(user)
    if settings.PUBLIC_PROGRESS and update.state == StatusUpdate.State.ACCEPTED:
        return True
    readable = readable_unit_ids(user)
    return readable is None or update.unit_id in readable


@rules.predicate
def is_draft_of_own_unit(user, update) -> bool:
    return update.state == StatusUpdate.State.DRAFT and update.unit_id in writable_unit_ids(user)


@rules.predicate
def is_pending(user, update) -> bool:
    return update.state == StatusUpdate.State.SUBMITTED


@rules.predicate
def is_returned_to_own_unit(user, update) -> bool:
    return update.state == StatusUpdate.State.RETURNED and update.unit_id in writable_unit_ids(user)


@rules.predicate
def discusses_update(user, update) -> bool:
    """The two sides of an update's discussion: the Secretariat and the focal points of its unit."""
    if update.state == StatusUpdate.State.DRAFT:
        return False
    if is_secretariat_user(user):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role == Role.FOCAL_POINT and update.unit_id in _own_unit_ids(user)


@rules.predicate
def has_any_unit(user) -> bool:
    readable = readable_unit_ids(user)
    return readable is None or bool(readable) or bool(writable_unit_ids(user))


rules.add_perm("actions.report_for_unit", reports_for_unit)
rules.add_perm("actions.read_unit", reads_unit)
rules.add_perm("actions.view_update", can_see_update)
rules.add_perm("actions.edit_update", is_draft_of_own_unit)
rules.add_perm("actions.review_update", is_secretariat & is_pending)
rules.add_perm("actions.revise_update", is_returned_to_own_unit)
rules.add_perm("actions.review", is_secretariat)
# The discussion under an update is read by whoever may see the update, and written by its two sides.
rules.add_perm("actions.view_comments", can_see_update)
rules.add_perm("actions.add_comment", can_see_update & discusses_update)
rules.add_perm("actions.invite", is_secretariat)
rules.add_perm("actions.manage_translations", is_secretariat)
rules.add_perm("actions.use_reporting", has_any_unit)


def allowed(user, permission: str, obj=None) -> bool:
    """Ask the rules above directly. `user.has_perm` says yes to every superuser for everything,
    which would let an administrator change submitted updates; the workflow rules hold for all."""
    return rules.has_perm(permission, user, obj)
