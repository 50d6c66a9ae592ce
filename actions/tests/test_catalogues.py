"""Every interface string ships in en, ru, mn and kk."""

import os
import re
import shutil
import subprocess
import sys

import polib
import pytest
from django.conf import settings

# The tracker's own strings, and what Django's and the libraries' catalogues lack (locale_libraries).
CATALOGUES = sorted(path for folder in settings.LOCALE_PATHS for path in folder.glob("*/LC_MESSAGES/*.po"))
OWN_CATALOGUES = sorted((settings.BASE_DIR / "locale").glob("*/LC_MESSAGES/*.po"))
TEMPLATES = sorted(
    path
    for folder in ("actions", "reports", "tracker")
    for pattern in ("*.html", "*.txt")
    for path in (settings.BASE_DIR / folder).rglob(pattern)
    if "templates" in path.parts
)


def test_a_catalogue_per_language():
    assert [path.parts[-3] for path in OWN_CATALOGUES] == ["kk", "mn", "ru"]
    assert {path.parts[-3] for path in CATALOGUES} == {"ru", "mn", "kk"}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: "/".join(path.parts[-4:]))
def test_no_untranslated_or_fuzzy_entry(path):
    catalogue = polib.pofile(str(path))
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: "/".join(path.parts[-4:]))
def test_placeholders_kept(path):
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for entry in polib.pofile(str(path)).translated_entries():
        if entry.msgid_plural:
            # A plural form may leave out the number ("one day"), but names nothing the source lacks.
            allowed = set(placeholder.findall(entry.msgid + entry.msgid_plural))
            for translation in entry.msgstr_plural.values():
                assert set(placeholder.findall(translation)) <= allowed, entry.msgid
        else:
            assert set(placeholder.findall(entry.msgstr)) == set(placeholder.findall(entry.msgid)), entry.msgid


def test_blocktranslate_is_always_trimmed():
    for path in TEMPLATES:
        for tag in re.findall(r"{%\s*blocktrans(?:late)?\b[^%]*%}", path.read_text(encoding="utf-8")):
            assert "trimmed" in tag, f"{path.name}: {tag}"


def test_every_interface_string_is_in_the_catalogues(tmp_path):
    """makemessages on a copy of the code finds no string the catalogues lack."""
    for folder in ("actions", "reports", "tracker", "locale"):
        shutil.copytree(
            settings.BASE_DIR / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.mo", "__pycache__", "tests")
        )
    shutil.copy(settings.BASE_DIR / "manage.py", tmp_path)
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tracker.settings", "DATABASE_URL": "sqlite://"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "-l", "mn", "-l", "kk", "--no-location", "-v", "0"],
        cwd=tmp_path,
        env=environment,
        check=True,
    )
    for language in ("ru", "mn", "kk"):
        catalogue = polib.pofile(str(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"))
        missing = [entry.msgid for entry in catalogue.untranslated_entries() + catalogue.fuzzy_entries()]
        assert missing == [], language
