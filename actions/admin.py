"""The Secretariat's admin: every text with its four language fields."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline
from simple_history.admin import SimpleHistoryAdmin

from actions.models import (
    Agency,
    CrossReference,
    Evidence,
    Footnote,
    Instrument,
    Invitation,
    Item,
    Meeting,
    Profile,
    ReportingUnit,
    ResponsibleParty,
    StatusUpdate,
    TranslationKind,
    UpdateEvent,
)


class TranslationHistoryAdmin(SimpleHistoryAdmin, TranslationAdmin):
    """Four language fields, and the history of every change with who made it."""

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history looks the object up without checking the id first: "abc" or a
        # number beyond the column's range would be a server error instead of "not found".
        try:
            key = self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        if isinstance(key, int) and not 0 < key < 2**63:
            raise Http404
        return super().history_view(request, object_id, extra_context)


@admin.register(ReportingUnit)
class ReportingUnitAdmin(TranslationHistoryAdmin):
    list_display = ["code", "name", "kind", "position"]
    list_filter = ["kind"]


@admin.register(Agency)
class AgencyAdmin(TranslationHistoryAdmin):
    list_display = ["name", "acronym", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["key", "name_en", "name_ru", "name_mn", "name_kk", "acronym"]


@admin.register(Instrument)
class InstrumentAdmin(TranslationHistoryAdmin):
    list_display = ["short_title", "short_name", "slug", "adopted_on", "period_start", "period_end"]
    filter_horizontal = ["applies_to"]


class ResponsiblePartyInline(TranslationTabularInline):
    model = ResponsibleParty
    extra = 0
    exclude = ["translation_kinds"]
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
class ItemAdmin(TranslationHistoryAdmin):
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


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["units"]


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class PersonAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, ProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active", "is_superuser"]
    list_select_related = ["profile"]

    @admin.display(description=_("role"))
    def role(self, user):
        profile = getattr(user, "profile", None)
        return profile.get_role_display() if profile else ""


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "created_at", "expires_at", "accepted_by", "invited_by"]
    filter_horizontal = ["units"]
    readonly_fields = ["accepted_by", "invited_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.invited_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Meeting)
class MeetingAdmin(TranslationAdmin):
    list_display = ["name", "body", "place", "starts_on", "symbol", "cutoff"]
    list_filter = ["body"]
    exclude = ["translation_kinds"]

    def save_model(self, request, obj, form, change):
        # The English name is the meeting's own; a name or place in another language is an
        # unofficial translation unless it was recorded as official.
        kinds = {}
        for language in settings.MODELTRANSLATION_LANGUAGES:
            if getattr(obj, f"name_{language}") or getattr(obj, f"place_{language}"):
                kept = obj.translation_kinds.get(language)
                default = TranslationKind.ORIGINAL if language == "en" else TranslationKind.UNOFFICIAL
                kinds[language] = kept or default
        obj.translation_kinds = kinds
        super().save_model(request, obj, form, change)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Shown, never edited: a field the model does not let a form edit ("at") is otherwise a
        # FieldError, and the update's admin page a server error.
        return self.fields


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["file_name", "url", "content_type", "size"]


class UpdateEventInline(ReadOnlyInline):
    model = UpdateEvent
    fields = ["action", "user", "at", "comment"]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    """Read only: the history of updates is append-only; the workflow happens in the site's pages."""

    list_display = ["item", "unit", "status", "state", "author", "created_at"]
    list_filter = ["state", "status", "unit", "item__instrument", "source"]
    list_select_related = ["item", "unit", "author"]
    search_fields = ["item__code", "narrative"]
    inlines = [EvidenceInline, UpdateEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
