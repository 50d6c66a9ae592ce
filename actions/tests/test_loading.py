import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from actions.models import Agency, CrossReference, Item, ResponsibleParty

pytestmark = pytest.mark.django_db


def counts():
    return (
        Item.objects.count(),
        Agency.objects.count(),
        ResponsibleParty.objects.count(),
        CrossReference.objects.count(),
    )


def test_loading_again_changes_nothing():
    before = counts()
    keys_and_ids = dict(Item.objects.values_list("key", "pk"))
    call_command("load_instruments", verbosity=0)
    assert counts() == before
    assert dict(Item.objects.values_list("key", "pk")) == keys_and_ids


def test_a_broken_file_loads_nothing(tmp_path):
    folder = tmp_path / "fixtures"
    shutil.copytree(settings.BASE_DIR / "fixtures", folder)
    items = folder / "ulaanbaatar" / "items.yaml"
    items.write_text(
        items.read_text(encoding="utf-8").replace("Хил залгаа орнуудыг", "Хил залгаа орнуудыг ЖЖЖЖ", 1)
        + '\n- {code: "28", kind: recommendation, text: {mn: "x"}, refs: [{to: "99"}]}\n',
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"Nothing was loaded: .*unknown item ulaanbaatar:99"):
        call_command("load_instruments", directory=folder, verbosity=0)
    assert not Item.objects.filter(text_mn__contains="ЖЖЖЖ").exists()
    assert not Item.objects.filter(instrument__slug="ulaanbaatar", key="28").exists()


def test_conflicting_agency_definitions_are_refused(tmp_path):
    folder = tmp_path / "fixtures"
    shutil.copytree(settings.BASE_DIR / "fixtures", folder)
    (folder / "vilm" / "agencies-9.yaml").write_text('- {key: cms, kind: ngo, name: {en: "Other"}}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="agency 'cms' is defined differently"):
        call_command("load_instruments", directory=folder, verbosity=0)
