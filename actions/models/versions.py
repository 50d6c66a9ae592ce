import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataVersion(models.Model):
    """One row: a token replaced whenever what the reading pages show changes (an accepted state,
    the instruments, the units, the meetings). Cached page parts are keyed on it.

    A random token rather than a counter, so that a database restored from a backup, or a test's
    rolled-back transaction, never meets a cached part made for other data under the same key."""

    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return str(self.token)
