"""Storages named in settings.STORAGES, for file fields."""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

_named = []


class NamedStorage(LazyObject):
    """The storage configured under `alias`, looked up when first used.

    A file field keeps the storage object it is given when models load; this one follows
    STORAGES when it changes afterwards (tests put files in a temporary folder that way).
    """

    def __init__(self, alias: str):
        super().__init__()
        self.__dict__["alias"] = alias
        _named.append(self)

    def _setup(self):
        self._wrapped = storages[self.alias]


@receiver(setting_changed)
def _follow_storages(*, setting, **kwargs):
    if setting == "STORAGES":
        for storage in _named:
            storage._wrapped = empty
