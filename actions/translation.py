"""Which fields hold text in every language (a column per language)."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from actions.models import Agency, Footnote, Instrument, Item, Meeting, ReportingUnit, ResponsibleParty


@register(ReportingUnit)
class ReportingUnitTranslation(TranslationOptions):
    fields = ("name",)


@register(Agency)
class AgencyTranslation(TranslationOptions):
    fields = ("name",)


@register(Instrument)
class InstrumentTranslation(TranslationOptions):
    fields = ("title", "short_title", "short_name", "adopted_at", "description", "preamble", "vision", "goal")


@register(Item)
class ItemTranslation(TranslationOptions):
    fields = ("text",)


@register(Footnote)
class FootnoteTranslation(TranslationOptions):
    fields = ("text",)


@register(ResponsibleParty)
class ResponsiblePartyTranslation(TranslationOptions):
    fields = ("note",)


@register(Meeting)
class MeetingTranslation(TranslationOptions):
    fields = ("name", "place")


# History of the reference data, registered after the translations so that it records every
# language column (registering it first makes saving fail).
for model in (ReportingUnit, Agency, Instrument, Item, Footnote):
    simple_history.register(model, app=model._meta.app_label)
simple_history.register(ResponsibleParty, app="actions")
