"""Which fields hold text in every language (a column per language)."""

from modeltranslation.translator import TranslationOptions, register

from actions.models import Agency, Footnote, Instrument, Item, ReportingUnit


@register(ReportingUnit)
class ReportingUnitTranslation(TranslationOptions):
    fields = ("name",)


@register(Agency)
class AgencyTranslation(TranslationOptions):
    fields = ("name",)


@register(Instrument)
class InstrumentTranslation(TranslationOptions):
    fields = ("title", "short_title", "adopted_at", "description", "preamble", "vision", "goal")


@register(Item)
class ItemTranslation(TranslationOptions):
    fields = ("text",)


@register(Footnote)
class FootnoteTranslation(TranslationOptions):
    fields = ("text",)
