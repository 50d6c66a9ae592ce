"""Forms of the reporting workflow. They validate input; the writes happen in actions.services."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from actions.evidence import check_evidence_file
from actions.models import Evidence, Instrument, Invitation, ReportingUnit, Role, Status, StatusUpdate
from actions.services import UpdateContent

# The rules of an update's fields, shared by the web forms and the offline workbook
# (actions.reporting_workbook), so that a value refused on one is refused on the other.


@dataclass(frozen=True)
class PercentReading:
    value: int | None
    # Said to the person when the value was read in a way they may not expect ("0.4 was read as 40 %").
    note: str = ""


def _number_text(value) -> str:
    """A number as the person wrote it, without float noise: 0.4, 12.5, 150."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _percent_text(number) -> str:
    """What a value was read as, in the reader's number format: 12,5 in Russian and Kazakh."""
    return number_format(Decimal(_number_text(float(number))).normalize(), use_l10n=True)


def read_percent(value, *, percent_format: bool = False) -> PercentReading:
    """Progress as people type it: 40, "40", "40 %", "40%", "12,5"; a spreadsheet's 0.4.

    A spreadsheet stores "40 %" as the number 0.4, whatever the cell's format: a number from a
    spreadsheet strictly between 0 and 1, or any number in a cell formatted as per cent, is a fraction
    and read as per cent (said in the note). Texts are read as written, with "%" allowed and a decimal
    comma or point. Progress is a whole per cent from 0 to 100: a fraction of a per cent is refused
    with what was read, never rounded silently. Raises ValidationError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return PercentReading(None)
    note = ""
    if isinstance(value, bool):
        raise ValidationError(_("Progress must be a whole number from 0 to 100."), code="invalid")
    if isinstance(value, int | float):
        number = Decimal(_number_text(value))
        written = _percent_text(number)  # as the spreadsheet shows it to this reader
        if percent_format or 0 < number < 1:
            number *= 100
            note = _("%(written)s was read as %(percent)s %%.") % {"written": written, "percent": _percent_text(number)}
    else:
        written = str(value).strip()[:40]
        match = re.fullmatch(r"([+-]?\d+(?:[.,]\d+)?)\s*[%\uFF05\u066A]?", written)
        if not match:
            raise ValidationError(
                _("“%(written)s” is not a number. Enter the progress as a whole number from 0 to 100."),
                code="invalid",
                params={"written": written},
            )
        try:
            number = Decimal(match.group(1).replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Progress must be a whole number from 0 to 100."), code="invalid") from None
    read_as = {"written": written, "percent": _percent_text(number)}
    if not 0 <= number <= 100:
        raise ValidationError(
            _("%(written)s was read as %(percent)s %%: progress goes from 0 to 100 %%."),
            code="out_of_range",
            params=read_as,
        )
    if number != number.to_integral_value():
        raise ValidationError(
            _(
                "%(written)s was read as %(percent)s %%: progress is a whole number of per cent. "
                "Enter it rounded, for example %(lower)s or %(upper)s."
            ),
            code="fraction",
            params={**read_as, "lower": int(number), "upper": int(number) + 1},
        )
    return PercentReading(int(number), note)


class PercentField(forms.Field):
    """A progress in per cent, read by `read_percent`; the widget lets people type "40 %"."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 5, "maxlength": 10})

    def to_python(self, value):
        return read_percent(value).value


def validate_refers_to(value: datetime.date) -> None:
    if value > timezone.localdate() + datetime.timedelta(days=366):
        raise ValidationError(_("The date is more than a year ahead."), code="future")


LINK_MAX_LENGTH = Evidence._meta.get_field("url").max_length


def clean_link(value: str) -> str:
    """One evidence link: a full http(s) address no longer than the column that stores it."""
    url = value.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            _("Enter a full web address starting with http:// or https://."), code="invalid"
        ) from None
    if len(url) > LINK_MAX_LENGTH:
        raise ValidationError(
            _("This web address has %(length)d characters; at most %(limit)d are kept."),
            code="max_length",
            params={"length": len(url), "limit": LINK_MAX_LENGTH},
        )
    return url


# The largest id a database column holds: SQLite refuses a larger number with an OverflowError
# instead of finding nothing.
MAX_ID = 2**63 - 1
# The largest version number a PositiveIntegerField holds on PostgreSQL.
MAX_VERSION = 2**31 - 1


def _out_of_range(field, value) -> bool:
    """Whether `value` cannot be an id of `field`'s choices (compared by primary key)."""
    if field.to_field_name or value in field.empty_values:
        return False
    try:
        return not 0 < int(str(value)) <= MAX_ID
    except ValueError:
        return True


class BoundedModelChoiceField(forms.ModelChoiceField):
    """A choice of one record whose id is refused as invalid when no column could hold it."""

    def to_python(self, value):
        if _out_of_range(self, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of records whose ids are refused as invalid when no column could hold them."""

    def _check_values(self, value):
        for entry in value:
            if _out_of_range(self, entry):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": str(entry)[:40]}
                )
        return super()._check_values(value)


class PlainLabels:
    """Labels without Django's trailing colon: they read better in every language."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_clean(entry, initial) for entry in data if entry]
        return [single_clean(data, initial)] if data else []


class UpdateForm(PlainLabels, forms.Form):
    status = forms.ChoiceField(label=pgettext_lazy("field", "Status"), choices=Status.choices)
    progress = PercentField(label=_("Progress (%)"), required=False, help_text=_("Optional, 0 to 100."))
    refers_to = forms.DateField(
        label=_("The work refers to"),
        help_text=_("The date the reported work refers to."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_refers_to],
    )
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What was done, by whom, where; in your own language."),
    )
    narrative_language = forms.ChoiceField(label=_("Language of the narrative"), choices=settings.LANGUAGES)
    files = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("PDF, images or office documents."),
    )
    links = forms.CharField(
        label=_("Links"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One web address per line."),
    )
    based_on_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_VERSION)

    def __init__(self, *args, existing_files: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_files = existing_files
        self.fields["narrative_language"].initial = get_language()
        self.fields["refers_to"].initial = timezone.localdate()
        self.fields["files"].help_text = _(
            "PDF, images or office documents; at most %(count)s files of %(size)s MB each."
        ) % {"count": settings.EVIDENCE_MAX_FILES, "size": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)}

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) + self.existing_files > settings.EVIDENCE_MAX_FILES:
            raise ValidationError(
                _("At most %(count)s files can be attached to one update."),
                params={"count": settings.EVIDENCE_MAX_FILES},
            )
        errors = []
        for uploaded in files:
            try:
                check_evidence_file(uploaded)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean_links(self):
        links, errors = [], []
        for line_number, line in enumerate(self.cleaned_data["links"].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                links.append(clean_link(line))
            except ValidationError as error:
                if error.code == "max_length":
                    errors.append(
                        _("Line %(line)s has %(length)d characters; a web address of at most %(limit)d is kept.")
                        % {"line": line_number, **error.params}
                    )
                else:
                    errors.append(
                        _("Line %(line)s is not a web address starting with http:// or https://.")
                        % {"line": line_number}
                    )
        if errors:
            raise ValidationError(errors)
        return links

    def content(self) -> UpdateContent:
        data = self.cleaned_data
        return UpdateContent(
            status=data["status"],
            progress=data["progress"],
            narrative=data["narrative"],
            narrative_language=data["narrative_language"],
            refers_to=data["refers_to"],
        )

    @staticmethod
    def initial_status(update: StatusUpdate | None) -> dict:
        """Status and progress of `update` (the one in force), so that a new note does not pull the
        status back to "Not started"."""
        return {"status": update.status, "progress": update.progress} if update else {}

    @staticmethod
    def initial_from(update: StatusUpdate) -> dict:
        return {
            "status": update.status,
            "progress": update.progress,
            "narrative": update.narrative,
            "narrative_language": update.narrative_language,
            "refers_to": update.refers_to,
        }


class QuickUpdateForm(UpdateForm):
    """The short form on "My reporting": no files, no links."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["files"]
        del self.fields["links"]
        self.fields["narrative"].widget.attrs["rows"] = 3
        # The row already says which activity this is; help texts would crowd the narrow column.
        for field in self.fields.values():
            field.help_text = ""


class QuickForms:
    """The quick form of each row of "My reporting", as HTML.

    A Django form rendered through its templates costs a few milliseconds, and the page shows fifty:
    most of the page's time. The rows' forms differ only in their ids, the version they are based
    on and the state they start from (status and progress; the date and language are the request's),
    so each starting state is rendered once with markers for the ids and the version, and each row
    gets a copy with its own numbers put in. Numbers only, so nothing needs escaping.
    """

    ROW = "quickrowmarker"
    VERSION = "quickversionmarker"

    def __init__(self):
        self._rendered: dict[tuple, str] = {}

    def html(self, *, item_id: int, unit_id: int, version: int, initial: dict) -> SafeString:
        key = tuple(sorted(initial.items()))
        if key not in self._rendered:
            form = QuickUpdateForm(
                initial={"based_on_version": self.VERSION, **initial}, auto_id=f"quick-{self.ROW}-%s"
            )
            rendered = str(form.as_div())
            if f'value="{self.VERSION}"' not in rendered or f"quick-{self.ROW}-" not in rendered:
                raise RuntimeError("The quick form no longer renders its version and ids where they can be put in.")
            self._rendered[key] = rendered
        rendered = self._rendered[key]
        return mark_safe(
            rendered.replace(f"quick-{self.ROW}-", f"quick-{int(item_id)}-{int(unit_id)}-").replace(
                f'value="{self.VERSION}"', f'value="{int(version)}"'
            )
        )


class ReviewForm(PlainLabels, forms.Form):
    ACCEPT = "accept"
    RETURN = "return"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(ACCEPT, _("Accept")), (RETURN, _("Return to the focal point"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning: say what should be changed."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.RETURN and not data.get("comment", "").strip():
            self.add_error("comment", _("Say what should be changed when returning an update."))
        return data


class BulkReviewForm(ReviewForm):
    """A decision on the updates ticked on the queue's page or, with `scope` "all", on every update
    matching the queue's filters; `matching` is how many the reviewer was shown, so that a decision on
    "all" never reaches updates submitted after the page was read."""

    PAGE = "page"
    ALL = "all"

    updates = BoundedModelMultipleChoiceField(
        label=_("Updates"),
        queryset=StatusUpdate.objects.pending(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    scope = forms.ChoiceField(
        label=_("Apply to"),
        choices=[(PAGE, _("the updates ticked")), (ALL, _("every update matching the filters"))],
        initial=PAGE,
        required=False,
        widget=forms.RadioSelect,
    )
    matching = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=MAX_VERSION)

    def clean(self):
        data = super().clean()
        if data.get("scope") != self.ALL and not data.get("updates") and "updates" not in self.errors:
            self.add_error("updates", _("Tick the updates to decide on."))
        return data


class ReviewQueueFilter(PlainLabels, forms.Form):
    """The review queue's filters; an unknown instrument or unit is a form error."""

    instrument = forms.ModelChoiceField(
        label=_("Instrument"),
        queryset=Instrument.objects.order_by("position"),
        to_field_name="slug",
        required=False,
        empty_label=_("All instruments"),
    )
    unit = forms.ModelChoiceField(
        label=_("Reporting unit"),
        queryset=ReportingUnit.objects.alphabetical(),
        to_field_name="code",
        required=False,
        empty_label=_("All units"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Sorted in the alphabet of the request's language, which is known only now.
        self.fields["unit"].queryset = ReportingUnit.objects.alphabetical()

    def filter(self, queryset):
        """`queryset` narrowed by the valid filters; an invalid one narrows nothing."""
        if not self.is_valid():
            data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        else:
            data = self.cleaned_data
        if data.get("instrument") is not None:
            queryset = queryset.filter(item__instrument=data["instrument"])
        if data.get("unit") is not None:
            queryset = queryset.filter(unit=data["unit"])
        return queryset


class CommentForm(PlainLabels, forms.Form):
    """A comment in the discussion of an update, in the language its writer chooses."""

    text = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    language = forms.ChoiceField(label=_("Language of your message"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = get_language()

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("Write something before sending."))
        return text


class InvitationForm(PlainLabels, forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "name", "role", "units", "language"]
        widgets = {"units": forms.CheckboxSelectMultiple}
        field_classes = {"units": BoundedModelMultipleChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = ReportingUnit.objects.alphabetical()

    def clean(self):
        data = super().clean()
        if data.get("role") in (Role.FOCAL_POINT, Role.MINISTRY_VIEWER) and not data.get("units"):
            self.add_error("units", _("Choose the reporting units this person reports for or reads."))
        email = data.get("email")
        if email and get_user_model().objects.filter(email__iexact=email).exists():
            self.add_error("email", _("An account with this e-mail address exists already."))
        return data


class InvitationAcceptForm(PlainLabels, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username"]


class BoundedUserName:
    """A sign-in form whose user name is held to its column's length.

    Django's sign-in forms set the field's max_length from the user model but add no validator, so
    a user name of thousands of characters reached authentication, and django-axes' record of the
    failed attempt (a column of 255 characters) failed on PostgreSQL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class SignInForm(BoundedUserName, AuthenticationForm):
    """The site's sign-in form (tracker/urls.py)."""


class AdminSignInForm(BoundedUserName, AdminAuthenticationForm):
    """The admin's sign-in form (tracker/urls.py)."""
