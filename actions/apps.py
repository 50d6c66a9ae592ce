from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"
    verbose_name = _("Instruments and activities")

    def ready(self):
        from actions import (
            data_version,
            permissions,  # noqa: F401  (registers the permission rules)
            sqlite,  # noqa: F401  (registers the Unicode LIKE on SQLite connections)
        )
        from tracker import admin_bounds

        # Accepted states and edits of the reference data replace the token cached parts are kept under.
        data_version.connect()

        # The admin answers ids and filter values beyond any column plainly, not with a 500.
        admin_bounds.install()
