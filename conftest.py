import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The three instruments, loaded once into the test database for every test."""
    with django_db_blocker.unblock():
        call_command("load_instruments", verbosity=0)


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    settings.LANGUAGE_CODE = "en"
