"""The numbers in the menu: what waits for the person signed in.

Counted here and nowhere else (tracker.context_processors.menu_counts shows them). Each is one
COUNT query on an index, so the menu costs the same few queries whatever the size of the history.
"""

from dataclasses import dataclass

from actions.models import Notification, Progress, StatusUpdate
from actions.permissions import is_secretariat_user, writable_unit_ids


@dataclass(frozen=True)
class MenuCounts:
    # Updates waiting for review, for those who review.
    review: int = 0
    # The person's units' updates returned and not yet answered by a new submission: as on My
    # reporting, the item's latest submitted update in the unit is the returned one.
    returned: int = 0
    # Notifications in the inbox not yet read.
    unread: int = 0


def menu_counts(user) -> MenuCounts:
    if not user.is_authenticated or not user.is_active:
        return MenuCounts()
    review = StatusUpdate.objects.pending().count() if is_secretariat_user(user) else 0
    units = writable_unit_ids(user)
    returned = (
        Progress.objects.filter(unit_id__in=units, latest__state=StatusUpdate.State.RETURNED).count() if units else 0
    )
    unread = Notification.objects.inbox(user).unread().count()
    return MenuCounts(review=review, returned=returned, unread=unread)


def menu_counts_of(request) -> MenuCounts:
    """The counts of the person making `request`, counted once per request (the menu and the page's
    ETag, actions.data_version.conditional_page, both read them)."""
    if not hasattr(request, "_tracker_menu_counts"):
        user = getattr(request, "user", None)
        request._tracker_menu_counts = menu_counts(user) if user else MenuCounts()
    return request._tracker_menu_counts
