"""The tracker as deployed: gunicorn on a PostgreSQL of the test's own, under load and faults.

Each test stops by itself and talks to loopback only. The server runs the production profile
(DEBUG off, secure cookies behind an HTTPS load balancer, whitenoise, JSON logs); the database is a
temporary PostgreSQL (tracker.tests.servers.TemporaryPostgres) that the tests stop and restart,
never the machine's shared server. LOAD_SECONDS shortens the load test (60 by default).
"""

import hashlib
import io
import json
import os
import random
import re
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from openpyxl import load_workbook

from tracker.tests.servers import (
    PYTHON,
    ROOT,
    Browser,
    Gunicorn,
    TemporaryPostgres,
    manage,
    postgres_binaries,
    production_environment,
)

pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(postgres_binaries() is None, reason="PostgreSQL's server programs are not installed"),
]

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
WRITERS = 50
READERS = 50
PASSWORD = "a-long-load-test-password"
SUBMITTED = "Your update was submitted for review."
STALE = "Someone else reported on this activity for"
UNAVAILABLE = "It cannot reach its database at the moment."
VERSION_INPUT = re.compile(r'name="based_on_version" value="(\d+)"')
# The smallest file the evidence check takes for a PDF.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Deployment:
    postgres: TemporaryPostgres
    environment: dict
    people: dict
    directory: Path

    @property
    def url(self) -> str:
        return self.environment["DATABASE_URL"]

    def query(self, sql: str, *parameters) -> list[tuple]:
        with psycopg.connect(self.url) as connection:
            return connection.execute(sql, parameters).fetchall()


@pytest.fixture(scope="module")
def deployment():
    postgres = TemporaryPostgres()
    directory = Path(tempfile.mkdtemp(prefix="tracker-production-"))
    try:
        url = postgres.create_database("tracker")
        environment = production_environment(url, directory / "media", directory / "static")
        manage(environment, "migrate", "-v", "0")
        manage(environment, "load_instruments", "-v", "0")
        manage(environment, "collectstatic", "--noinput", "-v", "0")
        made = subprocess.run(
            [PYTHON, "tracker/tests/production_people.py", str(WRITERS), str(READERS), PASSWORD],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        yield Deployment(postgres, environment, json.loads(made.stdout), directory)
    finally:
        postgres.close()


@pytest.fixture(scope="module")
def server(deployment):
    """As on one two-core server: 2 x cores + 1 workers of 4 threads (gunicorn.conf.py)."""
    gunicorn = Gunicorn(deployment.environment, workers=5, threads=4, log=deployment.directory / "gunicorn.log")
    yield gunicorn
    gunicorn.close()


def signed_in(base: str, person: dict) -> Browser:
    browser = Browser(base)
    browser.cookies["sessionid"] = person["session"]
    return browser


def new_update_path(activity: list[str]) -> str:
    unit, instrument, slug = activity
    return f"/en/reporting/{unit}/{instrument}/{slug}/new/"


def update_form(page: requests.Response, narrative: str, **changes) -> dict:
    form = {
        "csrfmiddlewaretoken": Browser.csrf_token(page),
        "based_on_version": VERSION_INPUT.search(page.text).group(1),
        "status": "in-progress",
        "progress": "40",
        "refers_to": "2026-06-30",
        "narrative": narrative,
        "narrative_language": "en",
        "links": "",
        "action": "submit",
    }
    form.update(changes)
    return form


@dataclass
class Outcomes:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    submitted: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    def timed(self, kind: str, call):
        start = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as error:
            with self.lock:
                self.failures.append(f"{kind}: {error!r}")
            return None
        with self.lock:
            self.timings[kind].append(time.perf_counter() - start)
            self.statuses[response.status_code] += 1
        return response

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report_timings(outcomes: Outcomes, seconds: float) -> str:
    lines = [f"{'request':<28}{'count':>8}{'per s':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"]
    for kind, values in sorted(outcomes.timings.items()):
        lines.append(
            f"{kind:<28}{len(values):>8}{len(values) / seconds:>8.1f}{statistics.median(values) * 1000:>11.0f}"
            f"{percentile(values, 0.95) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
        )
    everything = [value for values in outcomes.timings.values() for value in values]
    lines.append(
        f"{'all requests':<28}{len(everything):>8}{len(everything) / seconds:>8.1f}"
        f"{statistics.median(everything) * 1000:>11.0f}{percentile(everything, 0.95) * 1000:>9.0f}"
        f"{max(everything) * 1000:>9.0f}"
    )
    return "\n".join(lines)


def submit_once(browser: Browser, outcomes: Outcomes, activity: list[str], narrative: str) -> str | None:
    """One focal point's update from the form to the page after it: "submitted", "stale" or None."""
    page = outcomes.timed("write: open the form", lambda: browser.get(new_update_path(activity)))
    if page is None or page.status_code != 200:
        outcomes.fail(f"form {activity}: {page and page.status_code}")
        return None
    sent = outcomes.timed(
        "write: submit", lambda: browser.post(new_update_path(activity), update_form(page, narrative))
    )
    if sent is None or sent.status_code != 302:
        outcomes.fail(f"submit {activity}: {sent and sent.status_code}")
        return None
    after = outcomes.timed("write: page after", lambda: browser.follow(sent))
    if after is None or after.status_code != 200:
        outcomes.fail(f"after {activity}: {after and after.status_code}")
        return None
    if SUBMITTED in after.text:
        return "submitted"
    if STALE in after.text:
        return "stale"
    outcomes.fail(f"no message after submitting {activity}")
    return None


def writer(base: str, person: dict, until: float, outcomes: Outcomes, seed: int) -> None:
    browser = signed_in(base, person)
    chooser = random.Random(seed)
    number = 0
    while time.monotonic() < until:
        number += 1
        narrative = f"load {person['username']} {number}"
        result = submit_once(browser, outcomes, chooser.choice(person["activities"]), narrative)
        if result is not None:
            with outcomes.lock:
                (outcomes.submitted if result == "submitted" else outcomes.stale).append(narrative)


def reader(base: str, person: dict, until: float, outcomes: Outcomes) -> None:
    browser = signed_in(base, person)
    unit = person["unit"]
    pages = [
        ("read: unit dashboard", f"/en/dashboards/{unit}/"),
        ("read: progress list", f"/en/progress/?unit={unit}"),
        ("read: activities", "/en/activities/"),
    ]
    if not person["username"].endswith(tuple("13579")):
        pages.append(("read: regional dashboard", "/en/dashboards/region/"))
    while time.monotonic() < until:
        for kind, path in pages:
            response = outcomes.timed(kind, lambda path=path: browser.get(path))
            if response is not None and response.status_code != 200:
                outcomes.fail(f"{kind} {path}: {response.status_code}")


def check_consistency(deployment: Deployment) -> None:
    """Every update is whole: its steps, its place in the progress row, its evidence files."""
    steps = deployment.query(
        """SELECT u.id, u.state, u.submitted_at IS NOT NULL,
                  count(*) FILTER (WHERE e.action = 'created'), count(*) FILTER (WHERE e.action = 'submitted')
           FROM actions_statusupdate u LEFT JOIN actions_updateevent e ON e.update_id = u.id
           GROUP BY u.id, u.state, u.submitted_at"""
    )
    for update_id, state, was_submitted, created, submitted in steps:
        assert created == 1, f"update {update_id} has {created} 'created' steps"
        assert submitted == (1 if was_submitted else 0), f"update {update_id} ({state}) has {submitted} 'submitted'"
    rows = deployment.query(
        """SELECT p.item_id, p.unit_id, p.version, p.latest_id,
                  (SELECT count(*) FROM actions_statusupdate u
                   WHERE u.item_id = p.item_id AND u.unit_id = p.unit_id AND u.submitted_at IS NOT NULL),
                  (SELECT u.id FROM actions_statusupdate u
                   WHERE u.item_id = p.item_id AND u.unit_id = p.unit_id AND u.submitted_at IS NOT NULL
                   ORDER BY u.submitted_at DESC, u.id DESC LIMIT 1)
           FROM actions_progress p"""
    )
    for item_id, unit_id, version, latest, count, last in rows:
        assert version == count, f"progress of item {item_id} in unit {unit_id}: version {version}, {count} submitted"
        assert latest == last, f"progress of item {item_id} in unit {unit_id} points at {latest}, not {last}"
    media = Path(deployment.environment["MEDIA_ROOT"]) / "evidence"
    for (name,) in deployment.query("SELECT file FROM actions_evidence WHERE file <> ''"):
        assert (media / name).is_file(), f"evidence {name} has no file"


def narratives(deployment: Deployment, prefix: str) -> Counter:
    return Counter(
        narrative
        for (narrative,) in deployment.query(
            "SELECT narrative FROM actions_statusupdate WHERE narrative LIKE %s", prefix + "%"
        )
    )


def test_fifty_focal_points_and_fifty_readers_for_a_minute(deployment, server, capsys):
    outcomes = Outcomes()
    until = time.monotonic() + LOAD_SECONDS
    threads = [
        threading.Thread(target=writer, args=(server.base, person, until, outcomes, number))
        for number, person in enumerate(deployment.people["writers"])
    ] + [
        threading.Thread(target=reader, args=(server.base, person, until, outcomes))
        for person in deployment.people["readers"]
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 180)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads)

    with capsys.disabled():
        print(f"\n{WRITERS} focal points and {READERS} readers for {elapsed:.0f} s against gunicorn on PostgreSQL:")
        print(report_timings(outcomes, elapsed))
        print(
            f"updates submitted: {len(outcomes.submitted)}, kept as drafts after a colleague's: {len(outcomes.stale)};"
            f" responses by status: {dict(sorted(outcomes.statuses.items()))}"
        )

    assert outcomes.failures == []
    assert not [status for status in outcomes.statuses if status >= 500]
    assert len(outcomes.submitted) > WRITERS
    # Counted in the database: each update the server confirmed is there once, in the state the
    # author was told, and nothing else is.
    stored = {
        narrative: state
        for narrative, state in deployment.query(
            "SELECT narrative, state FROM actions_statusupdate WHERE narrative LIKE %s", "load %"
        )
    }
    assert narratives(deployment, "load ") == Counter(outcomes.submitted + outcomes.stale)
    assert {narrative for narrative, state in stored.items() if state == "submitted"} == set(outcomes.submitted)
    assert {narrative for narrative, state in stored.items() if state == "draft"} == set(outcomes.stale)
    check_consistency(deployment)
    log = (deployment.directory / "gunicorn.log").read_text()
    assert "Traceback" not in log
    # Every log line is a JSON object; each request's line has its fields.
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert not [record for record in records if record.get("level") == "ERROR"]
    access = [record for record in records if record["logger"] == "gunicorn.access"]
    assert len([record for record in access if record["path"] != "/health/"]) == sum(outcomes.statuses.values())
    assert all({"remote", "method", "path", "status", "duration_ms"} <= record.keys() for record in access)


def test_two_focal_points_updating_the_same_activity_at_once(deployment, server):
    """Ten times, two focal points of one unit send an update on the same activity at the same moment."""
    first, second = [person for person in deployment.people["writers"] if person["activities"][0][0] == "KZ"][:2]
    browsers = [signed_in(server.base, first), signed_in(server.base, second)]
    for round_number, activity in enumerate(first["activities"][-10:]):
        pages = [browser.get(new_update_path(activity)) for browser in browsers]
        forms = [
            update_form(page, f"same moment {round_number} by {person['username']}")
            for page, person in zip(pages, (first, second), strict=True)
        ]
        assert forms[0]["based_on_version"] == forms[1]["based_on_version"]
        version = int(forms[0]["based_on_version"])
        barrier = threading.Barrier(2)
        answers = [None, None]

        def send(index, forms=forms, barrier=barrier, answers=answers, activity=activity):
            barrier.wait()
            sent = browsers[index].post(new_update_path(activity), forms[index])
            answers[index] = browsers[index].follow(sent).text

        threads = [threading.Thread(target=send, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        told = sorted(
            ("submitted" if SUBMITTED in answer else "stale" if STALE in answer else "?") for answer in answers
        )
        assert told == ["stale", "submitted"], f"round {round_number}: {told}"
        winner = forms[0 if SUBMITTED in answers[0] else 1]["narrative"]
        loser = forms[1 if SUBMITTED in answers[0] else 0]["narrative"]
        unit, instrument, slug = activity
        (progress_version, latest_narrative), *_ = deployment.query(
            """SELECT p.version, u.narrative FROM actions_progress p
               JOIN actions_statusupdate u ON u.id = p.latest_id
               JOIN actions_item i ON i.id = p.item_id JOIN actions_instrument s ON s.id = i.instrument_id
               JOIN actions_reportingunit r ON r.id = p.unit_id
               WHERE r.code = %s AND s.slug = %s AND i.slug = %s""",
            unit,
            instrument,
            slug,
        )
        # One new version, the winner's; the other update is kept whole, as a draft, for its author.
        assert progress_version == version + 1
        assert latest_narrative == winner
        states = dict(
            deployment.query(
                "SELECT narrative, state FROM actions_statusupdate WHERE narrative IN (%s, %s)", winner, loser
            )
        )
        assert states == {winner: "submitted", loser: "draft"}
    check_consistency(deployment)


# Faults: one worker, so that the test knows which process to kill.


@pytest.fixture
def single_worker(deployment):
    gunicorn = Gunicorn(deployment.environment, workers=1, threads=4, log=deployment.directory / "faults.log")
    yield gunicorn
    gunicorn.close()


def wait_for(condition, timeout: float = 30, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting: {message}")


def waiting_on_lock(deployment: Deployment, statement_start: str):
    """The backend of a request blocked on a lock while running this statement, with its write state."""
    rows = deployment.query(
        """SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE %s""",
        statement_start + "%",
    )
    return rows[0] if rows else None


def kill_worker_while_blocked(deployment, gunicorn, lock_sql: str, statement_start: str, send) -> None:
    """Hold a lock the request needs, let it block inside its transaction, kill its worker, release."""
    worker = gunicorn.workers()[0]
    holder = psycopg.connect(deployment.url)
    outcome = {}
    try:
        holder.execute(lock_sql)

        def run():
            try:
                outcome["response"] = send()
            except requests.RequestException as error:
                outcome["error"] = error

        request = threading.Thread(target=run)
        request.start()
        backend, has_written = wait_for(
            lambda: waiting_on_lock(deployment, statement_start), message=f"a request blocked on {statement_start}"
        )
        # The request's transaction has written rows already: the kill lands in the middle of it.
        assert has_written
        os.kill(worker, signal.SIGKILL)
        request.join(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    assert "response" not in outcome, "the killed worker still answered"
    assert isinstance(outcome["error"], requests.ConnectionError)
    # PostgreSQL ends the dead worker's transaction without committing it.
    wait_for(
        lambda: not deployment.query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", backend),
        message="the dead worker's database session to end",
    )
    # gunicorn's master starts a new worker by itself.
    wait_for(lambda: gunicorn.workers() and gunicorn.workers()[0] != worker, message="a new worker")
    gunicorn.wait_until_serving()


def test_a_worker_killed_in_the_middle_of_a_submission(deployment, single_worker):
    person = deployment.people["writers"][5]
    activity = person["activities"][0]
    browser = signed_in(single_worker.base, person)
    page = browser.get(new_update_path(activity))
    form = update_form(page, "killed submission")
    version = form["based_on_version"]
    files = {"files": ("evidence.pdf", PDF, "application/pdf")}

    kill_worker_while_blocked(
        deployment,
        single_worker,
        "LOCK TABLE actions_updateevent IN ACCESS EXCLUSIVE MODE",
        'INSERT INTO "actions_updateevent"',
        lambda: browser.post(new_update_path(activity), form, files=files),
    )
    assert narratives(deployment, "killed submission") == Counter()
    assert deployment.query("SELECT count(*) FROM actions_evidence WHERE file_name = 'evidence.pdf'") == [(0,)]
    check_consistency(deployment)

    # The same form, sent again to the new worker, is saved once, whole.
    sent = browser.post(new_update_path(activity), form, files=files)
    assert SUBMITTED in browser.follow(sent).text
    assert narratives(deployment, "killed submission") == Counter({"killed submission": 1})
    assert (
        int(version) + 1
        == deployment.query(
            """SELECT p.version FROM actions_progress p JOIN actions_statusupdate u ON u.id = p.latest_id
           WHERE u.narrative = 'killed submission'"""
        )[0][0]
    )
    check_consistency(deployment)


def workbook_rows(data: bytes, rows: int, narrative: str) -> tuple[bytes, list[tuple[str, str]]]:
    """The downloaded workbook with a new status typed into its first `rows` activities."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    headers = {sheet.cell(1, column).value: column for column in range(1, sheet.max_column + 1)}
    filled = []
    for number in range(2, 2 + rows):
        sheet.cell(number, headers["New status"]).value = "Completed"
        sheet.cell(number, headers["Narrative"]).value = f"{narrative} {number}"
        sheet.cell(number, headers["Date the work refers to"]).value = "2026-05-31"
        # The hidden sheet's register lists the rows as downloaded: instrument slug in column I, key in J.
        register = book["tracker"]
        filled.append((register.cell(number - 1, 9).value, register.cell(number - 1, 10).value))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue(), filled


def upload_workbook(browser: Browser, unit: str, data: bytes) -> dict:
    page = browser.get(f"/en/reporting/{unit}/workbook/upload/")
    preview = browser.post(
        f"/en/reporting/{unit}/workbook/upload/",
        {"csrfmiddlewaretoken": Browser.csrf_token(page)},
        files={"workbook": ("filled.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )
    assert preview.status_code == 200 and "Confirm" in preview.text, preview.text[:2000]
    return {
        "csrfmiddlewaretoken": Browser.csrf_token(preview),
        "digest": hashlib.sha256(data).hexdigest(),
        "mode": "submit",
    }


def test_a_worker_killed_in_the_middle_of_an_excel_import(deployment, single_worker):
    person = deployment.people["writers"][7]
    unit = person["activities"][0][0]
    browser = signed_in(single_worker.base, person)
    downloaded = browser.get(f"/en/reporting/{unit}/workbook/")
    assert downloaded.status_code == 200
    data, filled = workbook_rows(downloaded.content, 6, "killed import")
    confirm = upload_workbook(browser, unit, data)
    # The fourth activity's progress row will be locked: the import has saved three rows by then.
    instrument, key = filled[3]
    deployment.query(
        """INSERT INTO actions_progress (item_id, unit_id, version)
           SELECT i.id, r.id, 0 FROM actions_item i JOIN actions_instrument s ON s.id = i.instrument_id,
                  actions_reportingunit r
           WHERE s.slug = %s AND i.key = %s AND r.code = %s
           ON CONFLICT DO NOTHING RETURNING id""",
        instrument,
        key,
        unit,
    )
    before = deployment.query("SELECT item_id, unit_id, version FROM actions_progress ORDER BY id")

    kill_worker_while_blocked(
        deployment,
        single_worker,
        f"""SELECT p.id FROM actions_progress p JOIN actions_item i ON i.id = p.item_id
            JOIN actions_instrument s ON s.id = i.instrument_id JOIN actions_reportingunit r ON r.id = p.unit_id
            WHERE s.slug = '{instrument}' AND i.key = '{key}' AND r.code = '{unit}' FOR UPDATE OF p""",
        'SELECT "actions_progress"',
        lambda: browser.post(f"/en/reporting/{unit}/workbook/confirm/", confirm),
    )
    assert narratives(deployment, "killed import") == Counter()
    assert deployment.query("SELECT item_id, unit_id, version FROM actions_progress ORDER BY id") == before
    check_consistency(deployment)

    # The preview was kept in the session: the focal point confirms again and every row is saved.
    confirm = upload_workbook(browser, unit, data)
    done = browser.post(f"/en/reporting/{unit}/workbook/confirm/", confirm)
    assert done.status_code == 302
    assert narratives(deployment, "killed import") == Counter({f"killed import {number}": 1 for number in range(2, 8)})
    check_consistency(deployment)


def test_the_database_restarting_while_the_app_runs(deployment, single_worker):
    """Focal points keep reporting while PostgreSQL stops and starts again under the running app."""
    outcomes = Outcomes()
    told_unavailable = []
    stop = threading.Event()

    def keep_reporting(person, seed):
        browser = signed_in(single_worker.base, person)
        chooser = random.Random(seed)
        number = 0
        while not stop.is_set():
            number += 1
            narrative = f"restart {person['username']} {number}"
            activity = chooser.choice(person["activities"])
            page = outcomes.timed("form", lambda activity=activity: browser.get(new_update_path(activity)))
            if page is None or page.status_code != 200:
                told_unavailable.append(page is not None and page.status_code == 503 and UNAVAILABLE in page.text)
                time.sleep(0.2)
                continue
            sent = outcomes.timed(
                "submit",
                lambda activity=activity, page=page, narrative=narrative: browser.post(
                    new_update_path(activity), update_form(page, narrative)
                ),
            )
            if sent is not None and sent.status_code == 302:
                with outcomes.lock:
                    outcomes.submitted.append(narrative)
            else:
                told_unavailable.append(sent is not None and sent.status_code == 503 and UNAVAILABLE in sent.text)

    writers = [
        threading.Thread(target=keep_reporting, args=(person, number))
        for number, person in enumerate(deployment.people["writers"][10:14])
    ]
    for thread in writers:
        thread.start()
    time.sleep(3)
    deployment.postgres.stop("fast")
    try:
        # While it is down: the health endpoint and the pages say so.
        health = requests.get(f"{single_worker.base}/health/", timeout=30)
        assert health.status_code == 503
        assert health.json() == {"status": "unavailable", "database": "unreachable"}
        time.sleep(2)
    finally:
        deployment.postgres.start()
    # Up again: the same server process carries on, with no restart.
    wait_for(
        lambda: requests.get(f"{single_worker.base}/health/", timeout=30).status_code == 200,
        message="the health endpoint to recover",
    )
    recovered = len(outcomes.submitted)
    time.sleep(3)
    stop.set()
    for thread in writers:
        thread.join(timeout=60)

    assert outcomes.failures == []
    assert 500 not in outcomes.statuses
    assert told_unavailable and all(told_unavailable), "each refused request said the database was unreachable"
    assert len(outcomes.submitted) > recovered, "updates were saved again after the restart"
    # Each update the app confirmed is saved once; nothing it refused was half-saved.
    stored = narratives(deployment, "restart ")
    assert all(stored[narrative] == 1 for narrative in outcomes.submitted)
    assert all(count == 1 for count in stored.values())
    check_consistency(deployment)
