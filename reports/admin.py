from django.contrib import admin

from reports.models import MeetingReport


@admin.register(MeetingReport)
class MeetingReportAdmin(admin.ModelAdmin):
    """The archive, read-only: a report is made on its page (/meeting-reports/), never edited."""

    list_display = ["meeting", "scope_name", "language", "format", "state", "requested_by", "requested_at"]
    list_filter = ["state", "format", "language", "meeting"]
    readonly_fields = [field.name for field in MeetingReport._meta.fields] + ["instruments"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
