"""The admin answers ids and filter values no column can hold plainly, never with a server error.

Django checks an integer lookup on the model's own field (?id__gt=99999999999999999999 finds
nothing), but not one through a relation (?unit=99999999999999999999, a list filter's address) nor
a list of ids (a many-to-many field of a change form): SQLite then refuses to bind the number
(OverflowError) and PostgreSQL may refuse a value for the column (DataError). So:

- each change list asks the database once, inside a savepoint, whether its query runs at all,
  while the admin can still answer with its "?e=1" page, as for any lookup it cannot use;
- each many-to-many field of a change form is a BoundedModelMultipleChoiceField (actions.forms),
  for which such an id is "not a valid value".

For every ModelAdmin, the project's and the libraries' (installed by actions.apps).
"""

from django.contrib.admin import ModelAdmin
from django.contrib.admin.options import BaseModelAdmin, IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import DataError, transaction


class BoundedChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            with transaction.atomic(using=queryset.db):
                queryset.exists()
        except (OverflowError, DataError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset


def get_changelist(self, request, **kwargs):
    return BoundedChangeList


_formfield_for_manytomany = BaseModelAdmin.formfield_for_manytomany


def formfield_for_manytomany(self, db_field, request, **kwargs):
    from actions.forms import BoundedModelMultipleChoiceField

    kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
    return _formfield_for_manytomany(self, db_field, request, **kwargs)


def install():
    """Every ModelAdmin that keeps Django's change list and many-to-many fields gets the bounded ones."""
    ModelAdmin.get_changelist = get_changelist
    BaseModelAdmin.formfield_for_manytomany = formfield_for_manytomany
