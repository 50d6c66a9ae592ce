from django import forms
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from actions.forms import BoundedModelChoiceField, BoundedModelMultipleChoiceField
from actions.models import Instrument, Meeting, ReportingUnit
from actions.permissions import is_secretariat_user, writable_unit_ids
from reports.models import MeetingReport

REGION = "region"


class MeetingChoiceField(BoundedModelChoiceField):
    def label_from_instance(self, meeting):
        return _("%(meeting)s, cut-off %(cutoff)s") % {
            "meeting": meeting.name,
            "cutoff": date_format(meeting.cutoff, "DATE_FORMAT"),
        }


class MeetingReportForm(forms.Form):
    """What to report: the meeting (its cut-off), instruments, scope, language and format.

    The scope offers what the person may generate: the whole region and every unit for the
    Secretariat, their own units for a focal point.
    """

    meeting = MeetingChoiceField(label=_("Meeting"), queryset=Meeting.objects.order_by("-starts_on"), empty_label=None)
    instruments = BoundedModelMultipleChoiceField(
        label=_("Instruments"), queryset=Instrument.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    scope = forms.ChoiceField(label=_("Scope"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    format = forms.ChoiceField(label=_("Format"), choices=MeetingReport.Format.choices, widget=forms.RadioSelect)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if is_secretariat_user(user):
            units = ReportingUnit.objects.alphabetical()
            choices = [(REGION, _("The whole region"))]
        else:
            units = ReportingUnit.objects.filter(pk__in=writable_unit_ids(user)).alphabetical()
            choices = []
        self.units = {unit.code: unit for unit in units}
        self.fields["scope"].choices = choices + [(unit.code, unit.name) for unit in units]
        self.fields["instruments"].initial = list(Instrument.objects.values_list("pk", flat=True))
        self.fields["language"].initial = get_language()
        self.fields["format"].initial = MeetingReport.Format.PDF
        next_meeting = self.fields["meeting"].queryset.first()
        if next_meeting:
            self.fields["meeting"].initial = next_meeting.pk

    def clean_scope(self):
        scope = self.cleaned_data["scope"]
        return None if scope == REGION else self.units[scope]
