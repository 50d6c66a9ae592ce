"""The data of the tracker: the instruments as written, the people who report, and their reports."""

from actions.models.discussion import UpdateComment
from actions.models.instruments import (
    PRIORITY_RANK,
    Agency,
    CrossReference,
    DuePrecision,
    Footnote,
    Instrument,
    Item,
    ItemQuerySet,
    Priority,
    ReportingUnit,
    ResponsibleParty,
    TranslatedContent,
    TranslationKind,
)
from actions.models.notifications import Notification
from actions.models.people import EmailFrequency, Invitation, Meeting, Profile, Reminder, Role
from actions.models.progress import (
    STATUS_SYMBOLS,
    Evidence,
    Progress,
    Status,
    StatusUpdate,
    UpdateEvent,
    WorkbookConfirmation,
)
from actions.models.uploads import PendingUpload
from actions.models.versions import DataVersion

__all__ = [
    "PRIORITY_RANK",
    "Agency",
    "CrossReference",
    "DataVersion",
    "DuePrecision",
    "EmailFrequency",
    "Evidence",
    "Footnote",
    "Instrument",
    "Invitation",
    "Item",
    "ItemQuerySet",
    "Meeting",
    "Notification",
    "PendingUpload",
    "Priority",
    "Profile",
    "Progress",
    "Reminder",
    "ReportingUnit",
    "ResponsibleParty",
    "Role",
    "Status",
    "STATUS_SYMBOLS",
    "StatusUpdate",
    "TranslatedContent",
    "TranslationKind",
    "UpdateComment",
    "UpdateEvent",
    "WorkbookConfirmation",
]
