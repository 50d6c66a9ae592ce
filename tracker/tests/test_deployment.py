"""What the production profile adds around the pages: health, throttled sign-in, the database
error page, the client's address behind a load balancer and log lines as JSON."""

import io
import json
import logging
import logging.config

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from actions.tests.people import PASSWORD
from tracker import views
from tracker.security import client_ip

pytestmark = pytest.mark.django_db


def test_health_answers_with_the_database_and_the_queue(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert response.json() == {"status": "ok", "database": "ok", "tasks_waiting": 0, "oldest_task_waiting_seconds": 0}


def test_health_counts_tasks_waiting_for_the_worker(client, people, django_capture_on_commit_callbacks):
    from actions.models import Instrument
    from reports.services import report_request
    from reports.tests.meetings import meeting

    with django_capture_on_commit_callbacks(execute=True):
        report_request(
            user=people["sara"],
            meeting=meeting(),
            instruments=list(Instrument.objects.all()),
            unit=None,
            language="en",
            format="pdf",
        )
    body = client.get("/health/").json()
    assert body["tasks_waiting"] == DBTaskResult.objects.ready().count() == 1
    assert body["status"] == "ok"


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [
        ("en", "The tracker is briefly unavailable", "It cannot reach its database at the moment."),
        ("ru", "Сайт мониторинга ненадолго недоступен", "Сейчас он не может связаться со своей базой данных."),
        ("mn", "Хяналтын сайт түр ажиллахгүй байна", "Одоогоор өгөгдлийн сантайгаа холбогдож чадахгүй байна."),
        ("kk", "Мониторинг сайты біраз уақытқа қолжетімсіз", "Қазір ол өз дерекқорына қосыла алмай тұр."),
    ],
)
def test_an_unreachable_database_is_a_503_page_in_the_readers_language(language, title, text):
    request = RequestFactory().get(f"/{language}/activities/")
    with translation.override(language):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = views.server_error(request)
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert f'<html lang="{language}">' in page
    assert title in page and text in page


def test_any_other_error_is_djangos_500_page():
    request = RequestFactory().get("/en/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = views.server_error(request)
    assert response.status_code == 500


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, follow=False
    )


def test_five_wrong_passwords_pause_that_account_from_that_address(client, people, settings):
    settings.LANGUAGE_CODE = "kk"
    for _attempt in range(4):
        assert sign_in(client, "aigerim", "wrong").status_code == 200
    locked = client.post("/kk/accounts/login/", {"username": "aigerim", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Кіру уақытша тоқтатылды" in page
    assert "5 рет қате құпиясөз енгізілгеннен кейін" in page and "15 минут" in page
    # Now even the right password is refused from that address...
    assert sign_in(client, "aigerim", PASSWORD).status_code == 429
    # ...but not from another one, and other accounts are not touched.
    assert sign_in(client, "aigerim", PASSWORD, address="198.51.100.20").status_code == 302
    assert sign_in(client, "bat", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_count(client, people):
    for _attempt in range(4):
        sign_in(client, "bat", "wrong")
    assert sign_in(client, "bat", PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(4):
        assert sign_in(client, "bat", "wrong").status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.5"),  # no proxy trusted: what a client writes is ignored
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry comes first
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.5"),  # fewer entries than proxies: not through them
    ],
)
def test_the_clients_address_behind_a_load_balancer(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_log_lines_are_json_objects_with_the_steps_fields(settings, people, django_capture_on_commit_callbacks):
    from actions.tests.reporting import report

    stream = io.StringIO()
    configuration = json.loads(json.dumps(settings.LOGGING))
    configuration["handlers"]["console"] = {"class": "logging.StreamHandler", "formatter": "json", "stream": stream}
    logging.config.dictConfig(configuration)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            update = report(people["aigerim"], "2.2.1", "KZ")
    finally:
        logging.config.dictConfig(settings.LOGGING)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    steps = [line for line in lines if line["logger"] == "actions.services"]
    assert [line["step"] for line in steps] == ["created", "submitted"]
    assert steps[1] | {"time": None, "process": None} == {
        "time": None,
        "level": "INFO",
        "logger": "actions.services",
        "message": "update submitted",
        "process": None,
        "step": "submitted",
        "update": update.pk,
        "item": update.item_id,
        "unit": update.unit_id,
        "user": people["aigerim"].pk,
    }
