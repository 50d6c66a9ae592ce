"""The data of the tracker: the instruments as written, the people who report, and their reports."""

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
from actions.models.people import Invitation, Meeting, Profile, Reminder, Role
from actions.models.progress import Evidence, Progress, Status, StatusUpdate, UpdateEvent, WorkbookConfirmation

__all__ = [
    "PRIORITY_RANK",
    "Agency",
    "CrossReference",
    "DuePrecision",
    "Evidence",
    "Footnote",
    "Instrument",
    "Invitation",
    "Item",
    "ItemQuerySet",
    "Meeting",
    "Priority",
    "Profile",
    "Progress",
    "Reminder",
    "ReportingUnit",
    "ResponsibleParty",
    "Role",
    "Status",
    "StatusUpdate",
    "TranslatedContent",
    "TranslationKind",
    "UpdateEvent",
    "WorkbookConfirmation",
]
