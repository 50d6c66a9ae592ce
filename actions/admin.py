"""The Secretariat's admin: every text with its four language fields."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from actions.models import Agency, CrossReference, Footnote, Instrument, Item, ReportingUnit, ResponsibleParty


@admin.register(ReportingUnit)
class ReportingUnitAdmin(TranslationAdmin):
    list_display = ["code", "name", "kind", "position"]
    list_filter = ["kind"]


@admin.register(Agency)
class AgencyAdmin(TranslationAdmin):
    list_display = ["name", "acronym", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["key", "name_en", "name_ru", "name_mn", "name_kk", "acronym"]


@admin.register(Instrument)
class InstrumentAdmin(TranslationAdmin):
    list_display = ["short_title", "slug", "adopted_on", "period_start", "period_end"]
    filter_horizontal = ["applies_to"]


class ResponsiblePartyInline(admin.TabularInline):
    model = ResponsibleParty
    extra = 0
    autocomplete_fields = ["agency"]


class FootnoteInline(TranslationStackedInline):
    model = Footnote
    extra = 0


class CrossReferenceInline(admin.TabularInline):
    model = CrossReference
    fk_name = "source"
    extra = 0
    raw_id_fields = ["target"]


@admin.register(Item)
class ItemAdmin(TranslationAdmin):
    list_display = ["code", "kind", "short_text", "priority", "due", "instrument"]
    list_filter = ["instrument", "kind", "priority", "due_precision"]
    search_fields = ["code", "text_en", "text_ru", "text_mn", "text_kk", "responsible_raw"]
    raw_id_fields = ["parent"]
    filter_horizontal = ["applies_to"]
    inlines = [ResponsiblePartyInline, FootnoteInline, CrossReferenceInline]
    readonly_fields = ["path", "sort_key"]
    list_select_related = ["instrument"]

    @admin.display(description=_("text"))
    def short_text(self, item):
        return item.text[:100]

    def save_model(self, request, obj, form, change):
        obj.place_in_tree()
        super().save_model(request, obj, form, change)
