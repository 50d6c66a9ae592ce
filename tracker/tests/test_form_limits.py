"""Every form of the project holds its input to what the columns behind it can store.

Derived, not listed: the test imports every module of the project, walks every form class and
every filter set's form, and for each field checks the limit that keeps an input out of a server
error: a text no longer than its column, a choice whose values fit their column, an integer within
a PostgreSQL integer, a record chosen by id through the bounded fields of actions/forms.py (so
that a huge or non-numeric id is "not a valid choice" on every database instead of an
OverflowError on SQLite). A new form or field that forgets its limit fails here.
"""

import importlib
import pkgutil

import django_filters
import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import resolve, reverse

from actions.forms import (
    MAX_VERSION,
    BoundedModelChoiceField,
    BoundedModelMultipleChoiceField,
    BoundedUserName,
    BulkReviewForm,
    CommentForm,
    QuickUpdateForm,
    ReviewForm,
    SignInForm,
    UpdateForm,
)
from actions.models import StatusUpdate, UpdateComment, UpdateEvent
from reports.forms import MeetingReportForm
from reports.models import MeetingReport

PROJECT = ("actions", "reports", "tracker")

# The model each form that is not a ModelForm writes to (None: it writes to no column by name).
# A new plain form must be added here, so that its fields are compared with their columns.
WRITES_TO = {
    "actions.forms.UpdateForm": StatusUpdate,
    "actions.forms.QuickUpdateForm": StatusUpdate,
    "actions.forms.ReviewForm": UpdateEvent,
    "actions.forms.BulkReviewForm": UpdateEvent,
    "actions.forms.CommentForm": UpdateComment,
    "actions.forms.SignInForm": get_user_model(),
    "actions.forms.AdminSignInForm": get_user_model(),
    "actions.forms.ReviewQueueFilter": None,
    "actions.reporting_workbook_views.UploadForm": None,
    "actions.reporting_workbook_views.ConfirmForm": None,
    "actions.translation_views.TranslationUploadForm": None,
    "reports.forms.MeetingReportForm": MeetingReport,
}
# Fields named like a column that do not store what is typed: a password is stored hashed.
NOT_STORED_AS_TYPED = {"password"}
# Keyword arguments a form needs to be made.
ARGUMENTS = {"reports.forms.MeetingReportForm": lambda people: {"user": people["sara"]}}


def project_modules():
    for app in PROJECT:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if not any(part in module.name for part in (".tests", ".migrations", ".management")):
                importlib.import_module(module.name)


def subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from subclasses(subclass)


def project_classes(base) -> list[type]:
    project_modules()
    found = {cls for cls in subclasses(base) if cls.__module__.split(".")[0] in PROJECT}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def name_of(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def column_of(model, name):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:
        return None
    return field if getattr(field, "concrete", False) else None


def problems_of(form: forms.BaseForm, model, *, single_choices_by_id: bool = False) -> list[str]:
    """What `form` lets through that its columns cannot hold. `single_choices_by_id`: a plain
    ModelChoiceField by id is fine (Django finds no record for an id beyond the column, where
    a list of ids overflows), as the admin's forms have them."""
    problems = []
    for name, field in form.fields.items():
        column = None if name in NOT_STORED_AS_TYPED else column_of(model, name)
        if isinstance(field, forms.ModelMultipleChoiceField):
            if not field.to_field_name and not isinstance(field, BoundedModelMultipleChoiceField):
                problems.append(f"{name}: a choice of records by id that is not a BoundedModelMultipleChoiceField")
        elif isinstance(field, forms.ModelChoiceField):
            if not (field.to_field_name or single_choices_by_id or isinstance(field, BoundedModelChoiceField)):
                problems.append(f"{name}: a choice of a record by id that is not a BoundedModelChoiceField")
        elif isinstance(field, forms.ChoiceField):
            if column is not None and column.max_length:
                too_long = [value for value, _label in field.choices if len(str(value)) > column.max_length]
                if too_long:
                    problems.append(f"{name}: choices {too_long} longer than the column's {column.max_length}")
        elif isinstance(field, forms.IntegerField) and column is not None and isinstance(form, forms.BaseModelForm):
            # The model validates it: Django gives its integer columns the database's range.
            continue
        elif isinstance(field, forms.IntegerField):
            if field.max_value is None or field.max_value > MAX_VERSION:
                problems.append(f"{name}: an integer without a maximum of at most 2**31-1")
            if field.min_value is None or field.min_value < -MAX_VERSION - 1:
                problems.append(f"{name}: an integer without a minimum")
        elif isinstance(field, forms.CharField) and column is not None:
            if column.max_length and field.max_length != column.max_length:
                problems.append(f"{name}: max_length {field.max_length}, the column's {column.max_length}")
            elif column.max_length and not any(
                getattr(validator, "limit_value", None) == column.max_length for validator in field.validators
            ):
                problems.append(f"{name}: max_length {field.max_length} is not checked by a validator")
    return problems


@pytest.mark.django_db
def test_every_form_field_is_held_to_its_column(people):
    classes = project_classes(forms.BaseForm)
    assert len(classes) >= 10
    plain = [
        name_of(cls) for cls in classes if not issubclass(cls, forms.BaseModelForm) and name_of(cls) not in WRITES_TO
    ]
    assert plain == [], "Say in WRITES_TO which model these forms write to"
    problems = {}
    for cls in classes:
        model = cls._meta.model if issubclass(cls, forms.BaseModelForm) else WRITES_TO[name_of(cls)]
        form = cls(**ARGUMENTS.get(name_of(cls), lambda people: {})(people))
        if found := problems_of(form, model):
            problems[name_of(cls)] = found
    assert problems == {}


@pytest.mark.django_db
def test_every_filter_sets_form_is_bounded(people):
    classes = project_classes(django_filters.FilterSet)
    assert len(classes) >= 2
    problems = {}
    for cls in classes:
        filterset = cls(data={}, queryset=cls._meta.model.objects.none())
        if found := problems_of(filterset.form, None):
            problems[name_of(cls)] = found
    assert problems == {}


def admin_forms(request):
    """The add and change forms of every ModelAdmin and of their inlines, the libraries' too."""
    for model, model_admin in admin.site._registry.items():
        some = model._default_manager.order_by("pk").first()
        for obj in {None, some}:
            yield f"{model._meta.label} admin", model_admin.get_form(request, obj)()
            for inline in model_admin.get_inline_instances(request, obj):
                yield f"{inline.model._meta.label} inline", inline.get_formset(request, obj).form()


@pytest.mark.django_db
def test_every_admin_form_is_bounded(people, rf):
    request = rf.get("/")
    request.user = people["ada"]
    problems = {}
    for name, form in admin_forms(request):
        if found := problems_of(form, form._meta.model, single_choices_by_id=True):
            problems.setdefault(name, set()).update(found)
    assert problems == {}


def test_the_checks_catch_a_forgotten_limit():
    class Careless(forms.Form):
        name = forms.CharField()
        version = forms.IntegerField()
        update = forms.ModelChoiceField(queryset=StatusUpdate.objects.none())
        updates = forms.ModelMultipleChoiceField(queryset=StatusUpdate.objects.none())

    found = problems_of(Careless(), get_user_model())
    assert [problem.split(":")[0] for problem in found] == ["version", "version", "update", "updates"]
    assert problems_of(type("Named", (forms.Form,), {"username": forms.CharField()})(), get_user_model())


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["9" * 30, str(2**63), "-1", "0", "abc", "1.5", "١٢"])
def test_huge_or_odd_ids_are_invalid_choices(people, value):
    single = BoundedModelChoiceField(queryset=StatusUpdate.objects.all())
    several = BoundedModelMultipleChoiceField(queryset=StatusUpdate.objects.all())
    for field, given in ((single, value), (several, [value])):
        with pytest.raises(forms.ValidationError):
            field.clean(given)


def sign_in_forms() -> list[type]:
    """The forms the site signs people in with: the login page's and the admin's."""
    login = resolve(reverse("login")).func
    return [
        login.view_initkwargs.get("authentication_form") or login.view_class.authentication_form,
        admin.site.login_form,
    ]


@pytest.mark.parametrize("length", [151, 5000])
def test_the_sign_in_forms_refuse_an_overlong_user_name(rf, length):
    """Django's own sign-in forms let any length through to authentication (and to django-axes)."""
    assert get_user_model()._meta.get_field("username").max_length == 150
    for form_class in sign_in_forms():
        assert form_class is not None and issubclass(form_class, BoundedUserName), form_class
        form = form_class(rf.post("/"), data={"username": "u" * length, "password": "x"})
        assert not form.is_valid()
        assert [error.code for error in form.errors.as_data()["username"]] == ["max_length"]


def test_the_forms_named_in_writes_to_exist():
    named = {UpdateForm, QuickUpdateForm, ReviewForm, BulkReviewForm, CommentForm, SignInForm, MeetingReportForm}
    assert {name_of(cls) for cls in named} <= set(WRITES_TO)
