import uuid

from django.db import migrations, models


def first_version(apps, schema_editor):
    apps.get_model("actions", "DataVersion").objects.create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0009_translated_meetings_and_qualifiers"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.UUIDField(default=uuid.uuid4)),
            ],
            options={
                "verbose_name": "data version",
                "verbose_name_plural": "data versions",
            },
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
