import os
from pathlib import Path

import pytest
from django.core.management import call_command

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium, started so that it reaches for nothing beyond this machine.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Every row of the test database once the instruments are loaded: (table, columns, rows).
INITIAL_ROWS: list[tuple[str, list[str], list[tuple]]] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The three instruments, loaded once into the test database for every test."""
    with django_db_blocker.unblock():
        call_command("load_instruments", verbosity=0)
        INITIAL_ROWS[:] = _read_every_table()


def _read_every_table():
    from django.db import connection

    quote = connection.ops.quote_name
    taken = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.django_table_names(only_existing=True)):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            columns = [column[0] for column in cursor.description]
            taken.append((table, columns, cursor.fetchall()))
    return taken


def _restore_every_table():
    """Put back the rows of INITIAL_ROWS, as a transactional test's flush left the tables empty.

    A few inserts of kept rows instead of loading the instruments again (seconds on PostgreSQL), so
    every test, whichever ran before it on the same worker, starts from the instruments.
    """
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    tables = [table for table, _columns, _rows in INITIAL_ROWS]
    with transaction.atomic(), connection.cursor() as cursor:
        # The flush ran Django's post_migrate, which adds content types and permissions again.
        for statement in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
            cursor.execute(statement)
        for table, columns, rows in INITIAL_ROWS:
            if rows:
                names = ", ".join(quote(column) for column in columns)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
            cursor.execute(statement)


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(fixtures)
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, the instruments go back in, for the tests that follow."""
    result = yield
    if INITIAL_ROWS and _is_transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _restore_every_table()
    return result


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    # Each test starts with nothing cached: a test's rolled-back data leaves no page part behind.
    from django.core.cache import cache

    cache.clear()
    # Fast hashing; evidence files in a temporary folder of each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "evidence"},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def people(db):
    """One person per role: see actions/tests/people.py."""
    from actions.tests.people import cast

    return cast()


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium, driven by Playwright (never one Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    # The live server runs Django in this thread while Playwright's loop runs too.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page; its screenshot is kept in artifacts/ after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=False)
    context.close()
