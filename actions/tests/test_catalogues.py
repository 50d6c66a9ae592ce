"""Every interface string ships in en, ru, mn and kk."""

import re

import polib
import pytest
from django.conf import settings

CATALOGUES = sorted((settings.BASE_DIR / "locale").glob("*/LC_MESSAGES/*.po"))
TEMPLATES = sorted(
    path for folder in ("actions", "reports", "tracker") for path in (settings.BASE_DIR / folder).rglob("*.html")
)


def test_a_catalogue_per_language():
    assert {path.parts[-3] for path in CATALOGUES} == {"ru", "mn", "kk"}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_no_untranslated_or_fuzzy_entry(path):
    catalogue = polib.pofile(str(path))
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_placeholders_kept(path):
    for entry in polib.pofile(str(path)).translated_entries():
        expected = sorted(re.findall(r"%\(\w+\)s", entry.msgid))
        for translation in [entry.msgstr, *entry.msgstr_plural.values()]:
            if translation:
                assert sorted(set(re.findall(r"%\(\w+\)s", translation))) == sorted(set(expected)), entry.msgid


def test_blocktranslate_is_always_trimmed():
    for path in TEMPLATES:
        for tag in re.findall(r"{%\s*blocktrans(?:late)?\b[^%]*%}", path.read_text(encoding="utf-8")):
            assert "trimmed" in tag, f"{path.name}: {tag}"
