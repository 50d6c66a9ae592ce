"""How long the tracker's main pages take to serve at realistic volumes of history, and how much of it is SQL.

    .venv/bin/python benchmarks/page_speed.py                        # SQLite, both volumes
    .venv/bin/python benchmarks/page_speed.py --postgres postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/page_speed.py --volumes quarterly --repeat 20 --json pages.json
    .venv/bin/python benchmarks/page_speed.py --postgres postgres://postgres@127.0.0.1:5432/test \\
        --volumes million --keep                                     # keep bench_pages for later runs
    .venv/bin/python benchmarks/page_speed.py --volumes million \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_pages   # measure it again, e.g. after an index

Options: --volumes quarterly,million (comma-separated), --repeat 20 (timed requests per page),
--json PATH (all the results), --keep (keep the databases), --postgres URL (a server to create the
database on instead of a SQLite file), --database-url URL (measure a database prepared earlier).

Volumes, each generated into a fresh database with `manage.py generate_history --until 2025-12-31
--seed 1 --coverage 1` (narratives of about 400 characters):

- quarterly: every activity x every unit it applies to x ten years of quarterly updates
  (--years 10 --per-year 4);
- million: a million updates spread over the same pairs and ten years (--years 10 --total 1000000);
- small: one update per pair (--years 1 --per-year 1), only to check the script itself in a minute.

The database in DATABASE_URL is never touched: the benchmark makes its own, a SQLite file in a
temporary directory, or with --postgres a database (bench_pages; with --keep and several volumes,
bench_pages_<volume>) on that server, dropped at the end unless --keep. A child process prepares it:
migrate, load_instruments, generate_history, two meetings (cut-offs 2023-12-31 and 2025-06-30, so
that the unit dashboard has a last meeting to compare with), a Secretariat officer and a focal point
of Kazakhstan. With --database-url the preparation is skipped (the two people are created if
missing), and --volumes only labels the output.

Another child measures, with DEBUG off as in production, through django.test.Client signed in as
one of the two people: each page must answer 200, is requested twice to warm up, then --repeat times,
timed around client.get; the median and 95th percentile (the largest time with fewer than 20 runs)
are printed. The test client keeps the database connection open between requests, as a server with
CONN_MAX_AGE does. The page is then requested once more with its queries captured; "SQL" is the time
of running those SELECTs again as captured (parameters inlined), fetching every row, on the same
connection, the median of --repeat runs of the whole set. "Above SQL" is the rest: the ORM building
objects, permissions, templates, the workbook. "Queries" counts every statement of the request,
including any that are not re-run (not SELECT: savepoints, session writes), which the JSON lists.

Each page is measured twice: as a repeat visit finds it (the dashboards' figures kept in the cache
under the data version, actions.data_version), and "uncached", with the cache emptied before each
request, as the first reader after an accepted update finds it. A page that gives an ETag
(actions.data_version.conditional_page) is also asked for as a browser that holds it asks ("held"):
with If-None-Match, answered 304 Not Modified. Before the pages, a page that
renders only base.html is timed the same way, signed in as the Secretariat: what every page costs
before its own work (middleware, session, the menu's counts). A page's floor is its SQL plus that
page; the table gives each page's median as a multiple of its floor.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.report_generation import (  # noqa: E402
    CHILD_SETTINGS,
    create_postgres_database,
    drop_postgres_database,
    years_before,
)

UNTIL = datetime.date(2025, 12, 31)
HISTORY = {"until": UNTIL, "seed": 1, "coverage": 1.0, "narrative_chars": 400}
VOLUMES = {
    "quarterly": {"years": 10, "per_year": 4},
    "million": {"years": 10, "total": 1_000_000},
    "small": {"years": 1, "per_year": 1},
}
DEFAULT_VOLUMES = "quarterly,million"
MEETING_CUTOFFS = (datetime.date(2023, 12, 31), datetime.date(2025, 6, 30))
SECRETARIAT = "bench-secretariat"
FOCAL_POINT = "bench-focal-point-kz"
UNIT = "KZ"
INSTRUMENT = "cami-pow"
WARM_UP = 2
# The test client's host, besides the production-like settings of report_generation.py.
MEASURE_SETTINGS = {**CHILD_SETTINGS, "ALLOWED_HOSTS": "localhost,testserver"}


# The children: preparing a database, measuring the pages ---------------------------------------


def ensure_people() -> dict:
    """The Secretariat officer and Kazakhstan's focal point the pages are requested as."""
    from django.contrib.auth import get_user_model

    from actions.models import Profile, ReportingUnit, Role

    people = {}
    for username, role, units in ((SECRETARIAT, Role.SECRETARIAT, ()), (FOCAL_POINT, Role.FOCAL_POINT, (UNIT,))):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        profile, _ = Profile.objects.update_or_create(user=user, defaults={"role": role, "language": "en"})
        profile.units.set(ReportingUnit.objects.filter(code__in=units))
        people[username] = user
    return people


def prepare(volume: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from actions.models import Meeting

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_instruments", verbosity=0)
    # Its report goes to stderr, with the progress; stdout is kept for the result.
    call_command("generate_history", **HISTORY, **VOLUMES[volume], allow_production=True, stdout=sys.stderr)
    ensure_people()
    period_start = years_before(MEETING_CUTOFFS[0], 2) + datetime.timedelta(days=1)
    for cutoff in MEETING_CUTOFFS:
        Meeting.objects.create(
            name=f"Benchmark meeting, cut-off {cutoff}",
            body=Meeting.Body.CAMI,
            place="Benchmark",
            starts_on=cutoff + datetime.timedelta(days=60),
            ends_on=cutoff + datetime.timedelta(days=63),
            symbol=f"UNEP/CMS/Benchmark-{cutoff.year}",
            period_start=period_start,
            period_end=cutoff,
            cutoff=cutoff,
        )
        period_start = cutoff + datetime.timedelta(days=1)
    return {"preparation_s": time.perf_counter() - started}


def pages(people: dict) -> list[tuple[str, object, str]]:
    """(name, user, path) of each page measured."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import translation

    from actions.models import Item

    activity = (
        Item.objects.filter(instrument__slug=INSTRUMENT, kind=Item.Kind.ACTIVITY)
        .annotate(unit_count=Count("applies_to"))
        .order_by("-unit_count", "sort_key")
        .first()
    )
    if activity is None:
        raise RuntimeError(f"No activity of {INSTRUMENT} in the database: were the instruments loaded?")
    secretariat, focal_point = people[SECRETARIAT], people[FOCAL_POINT]
    with translation.override("en"):
        return [
            ("Home", secretariat, reverse("actions:home")),
            ("Instrument page", secretariat, reverse("actions:instrument", args=[INSTRUMENT])),
            ("Activity list", secretariat, reverse("actions:item_list")),
            ("Activity page", secretariat, reverse("actions:item", args=[INSTRUMENT, activity.slug])),
            ("Regional dashboard", secretariat, reverse("reports:dashboard_region")),
            (
                "Regional dashboard, CAMI",
                secretariat,
                reverse("reports:dashboard_region") + f"?instrument={INSTRUMENT}",
            ),
            ("Unit dashboard, Kazakhstan", secretariat, reverse("reports:dashboard_unit", args=[UNIT])),
            ("Progress list", secretariat, reverse("reports:progress")),
            ("Progress list, filtered", secretariat, reverse("reports:progress") + f"?status=completed&unit={UNIT}"),
            ("Progress list, Excel", secretariat, reverse("reports:progress_xlsx") + f"?unit={UNIT}"),
            ("My reporting", focal_point, reverse("actions:my_reporting")),
            ("Review queue", secretariat, reverse("actions:review_queue")),
            ("Inbox", focal_point, reverse("actions:inbox")),
        ]


def is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH"))


def run_sql(connection, statements: list[str]) -> float:
    """Run the statements as captured, fetching every row; return the seconds taken."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            # No parameters at all, not an empty list: the SQL is complete, and a literal % in it (LIKE
            # 'x%') must reach the database as it is, not be read as a placeholder.
            cursor.execute(sql, None)
            if cursor.description is not None:
                cursor.fetchall()
    return time.perf_counter() - started


def percentile_95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def figures(connection) -> dict:
    import django

    from actions.models import Meeting, Progress, StatusUpdate

    result = {
        "updates": StatusUpdate.objects.count(),
        "progress": Progress.objects.count(),
        "meetings": Meeting.objects.count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "vendor": connection.vendor,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database()), current_setting('server_version')")
            size, version = cursor.fetchone()
            result.update(database_mb=size / 2**20, database_version=f"PostgreSQL {version}")
            result["database_name"] = connection.settings_dict["NAME"]
        else:
            cursor.execute("SELECT sqlite_version()")
            name = Path(connection.settings_dict["NAME"])
            result.update(
                database_mb=name.stat().st_size / 2**20,
                database_version=f"SQLite {cursor.fetchone()[0]}",
                database_name=str(name),
            )
    return result


def base_page_ms(user, repeat: int) -> float:
    """The median time of a page that renders only base.html for `user`, through the whole
    middleware stack and the menu's counts: what any page costs before its own work."""
    from django.shortcuts import render
    from django.test import Client
    from django.urls import clear_url_caches, path

    from tracker import urls

    urls.urlpatterns.append(path("benchmark-base-page/", lambda request: render(request, "base.html")))
    clear_url_caches()
    client = Client()
    client.force_login(user)
    for _ in range(WARM_UP):
        assert client.get("/benchmark-base-page/", secure=True).status_code == 200
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get("/benchmark-base-page/", secure=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure(repeat: int) -> dict:
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    people = ensure_people()
    base_ms = base_page_ms(people[SECRETARIAT], repeat)
    print(f"  A page of only the base template: {base_ms:.1f} ms", file=sys.stderr)
    clients = {}
    results = []
    for name, user, path in pages(people):
        if user.pk not in clients:
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
        client = clients[user.pk]

        def get(client=client, name=name, path=path):
            # Over HTTPS, as in production: the production profile redirects plain HTTP to it.
            response = client.get(path, secure=True)
            if response.status_code != 200:
                where = f" to {response.get('Location')}" if response.has_header("Location") else ""
                raise RuntimeError(f"{name}: GET {path} answered {response.status_code}{where}, not 200.")
            return response

        def timed(cold: bool) -> tuple[list[float], list[float], list[str]]:
            """Request times, the SQL times of one request's captured SELECTs, and its statements;
            `cold` empties the cache before each request, as after an accepted update."""
            for _ in range(WARM_UP):
                get()
            samples = []
            for _ in range(repeat):
                if cold:
                    cache.clear()
                started = time.perf_counter()
                get()
                samples.append(time.perf_counter() - started)
            if cold:
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                get()
            statements = [query["sql"] for query in captured.captured_queries]
            selects = [sql for sql in statements if is_select(sql)]
            for _ in range(WARM_UP):
                run_sql(connection, selects)
            return samples, [run_sql(connection, selects) for _ in range(repeat)], statements

        def revalidated(client=client, name=name, path=path) -> list[float] | None:
            """Request times of a browser that holds the page and sends its ETag: answered 304."""
            etag = get().get("ETag")
            if etag is None:
                return None
            samples = []
            for _ in range(WARM_UP + repeat):
                started = time.perf_counter()
                response = client.get(path, secure=True, HTTP_IF_NONE_MATCH=etag)
                samples.append(time.perf_counter() - started)
                if response.status_code != 304:
                    raise RuntimeError(f"{name}: GET {path} with its ETag answered {response.status_code}, not 304.")
            return samples[WARM_UP:]

        samples, sql_samples, statements = timed(cold=False)
        held_samples = revalidated()
        cold_samples, cold_sql_samples, cold_statements = timed(cold=True)
        sql_ms = statistics.median(sql_samples) * 1000
        cold_sql_ms = statistics.median(cold_sql_samples) * 1000
        results.append(
            {
                "page": name,
                "user": user.username,
                "path": path,
                "queries": len(statements),
                "not_rerun": [sql for sql in statements if not is_select(sql)],
                "median_ms": statistics.median(samples) * 1000,
                "p95_ms": percentile_95(samples) * 1000,
                "sql_median_ms": sql_ms,
                "floor_ms": sql_ms + base_ms,
                "samples_ms": [sample * 1000 for sample in samples],
                "sql_samples_ms": [sample * 1000 for sample in sql_samples],
                "held_median_ms": statistics.median(held_samples) * 1000 if held_samples else None,
                "cold_queries": len(cold_statements),
                "cold_median_ms": statistics.median(cold_samples) * 1000,
                "cold_sql_median_ms": cold_sql_ms,
                "cold_floor_ms": cold_sql_ms + base_ms,
            }
        )
        page = results[-1]
        print(
            f"  {name}: {page['median_ms']:.1f} ms ({page['median_ms'] / page['floor_ms']:.2f} x its floor), "
            f"uncached {page['cold_median_ms']:.1f} ms ({page['cold_median_ms'] / page['cold_floor_ms']:.2f} x)",
            file=sys.stderr,
        )
    return {"figures": figures(connection), "base_page_ms": base_ms, "pages": results}


def run_child(arguments: list[str], env: dict) -> dict:
    """Run this script as a child; its stderr passes through, its last line of stdout is the result."""
    completed = subprocess.run(
        [sys.executable, __file__, *arguments], env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    if completed.returncode:
        raise SystemExit(f"The child {' '.join(arguments)} failed (exit {completed.returncode}); see above.")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# The parent: databases, runs, tables --------------------------------------------------------------


def table(run: dict, repeat: int) -> str:
    facts = run["figures"]
    prepared = f", prepared in {run['preparation_s']:.0f} s" if run.get("preparation_s") is not None else ""
    lines = [
        f"### {run['database']}, {run['volume']}",
        "",
        f"{facts['updates']:,} StatusUpdate rows, {facts['progress']:,} Progress rows, database "
        f"{facts['database_mb']:.0f} MB{prepared}. Python {facts['python']}, Django {facts['django']}, "
        f"{facts['database_version']}. Median and 95th percentile of {repeat} requests after {WARM_UP} to warm "
        f"up; SQL is the median of {repeat} runs of the page's captured SELECTs.",
        "",
        f"A page that renders only the base template (signed in, every middleware): {run['base_page_ms']:.1f} ms. "
        "A page's floor is its SQL plus that page; the target is a median within 2 x the floor. "
        "Uncached: the cache emptied before each request, as the first reader after an accepted update finds it. "
        "Held: the median of a browser that holds the page asking again with its ETag (304 Not Modified).",
        "",
        "| Page | Queries | Median ms | p95 ms | SQL ms | Floor ms | x floor | Held ms "
        "| Uncached queries | Uncached median ms | Uncached SQL ms | Uncached x floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page in run["pages"]:
        held = page.get("held_median_ms")
        lines.append(
            f"| {page['page']} | {page['queries']} | {page['median_ms']:.1f} | {page['p95_ms']:.1f} "
            f"| {page['sql_median_ms']:.1f} | {page['floor_ms']:.1f} | {page['median_ms'] / page['floor_ms']:.2f} "
            f"| {'–' if held is None else f'{held:.1f}'} "
            f"| {page['cold_queries']} | {page['cold_median_ms']:.1f} | {page['cold_sql_median_ms']:.1f} "
            f"| {page['cold_median_ms'] / page['cold_floor_ms']:.2f} |"
        )
    lines.append("")
    return "\n".join(lines)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--volumes",
        help=f"Comma-separated, among {', '.join(VOLUMES)} (default {DEFAULT_VOLUMES}); "
        "with --database-url, only a label.",
    )
    parser.add_argument("--repeat", type=int, default=20, help="Timed requests per page (default 20).")
    parser.add_argument("--postgres", metavar="URL", help="A PostgreSQL server to create the database on.")
    parser.add_argument("--postgres-database", default="bench_pages", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", metavar="URL", help="Measure this database, prepared earlier.")
    parser.add_argument("--keep", action="store_true", help="Keep the databases at the end.")
    parser.add_argument("--json", type=Path, metavar="PATH", help="Write all the results here.")
    parser.add_argument("--child", choices=("prepare", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--volume", choices=tuple(VOLUMES), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    if options.database_url and options.postgres:
        parser.error("--database-url and --postgres exclude each other")
    if options.database_url:
        options.volume_names = [options.volumes or "given database"]
    else:
        options.volume_names = (options.volumes or DEFAULT_VOLUMES).split(",")
        unknown = set(options.volume_names) - set(VOLUMES)
        if unknown:
            parser.error(f"unknown volume(s): {', '.join(sorted(unknown))}")
    return options


def main(argv=None) -> None:
    options = parse_arguments(argv)
    if options.child == "prepare":
        print(json.dumps(prepare(options.volume)))
        return
    if options.child == "measure":
        print(json.dumps(measure(options.repeat)))
        return

    def env(database_url: str, settings: dict) -> dict:
        return {**os.environ, **settings, "DATABASE_URL": database_url}

    runs = []
    if options.database_url:
        print(f"Measuring {options.database_url}", file=sys.stderr)
        run = run_child(
            ["--child", "measure", "--repeat", str(options.repeat)], env(options.database_url, MEASURE_SETTINGS)
        )
        vendor = "PostgreSQL" if run["figures"]["vendor"] == "postgresql" else "SQLite"
        runs.append({"database": vendor, "volume": options.volume_names[0], **run})
        print(table(runs[-1], options.repeat), flush=True)
    else:
        directory = None if options.postgres else Path(tempfile.mkdtemp(prefix="bench-pages-"))
        try:
            for volume in options.volume_names:
                name = options.postgres_database
                if options.keep and len(options.volume_names) > 1:
                    name = f"{name}_{volume}"
                if options.postgres:
                    database_url = create_postgres_database(options.postgres, name)
                    database = f"PostgreSQL ({name})"
                else:
                    database_url = f"sqlite:///{directory / f'pages-{volume}.sqlite3'}"
                    database = "SQLite"
                try:
                    print(f"Preparing {volume} in {database_url}", file=sys.stderr)
                    prepared = run_child(["--child", "prepare", "--volume", volume], env(database_url, CHILD_SETTINGS))
                    print(f"Measuring {volume}", file=sys.stderr)
                    measured = run_child(
                        ["--child", "measure", "--repeat", str(options.repeat)], env(database_url, MEASURE_SETTINGS)
                    )
                finally:
                    if options.keep:
                        print(f"Kept: {database_url}", file=sys.stderr)
                    elif options.postgres:
                        drop_postgres_database(options.postgres, name)
                runs.append({"database": database, "volume": volume, **prepared, **measured})
                print(table(runs[-1], options.repeat), flush=True)
        finally:
            if directory is not None and not options.keep:
                shutil.rmtree(directory, ignore_errors=True)
    if options.json:
        options.json.write_text(
            json.dumps(
                {
                    "repeat": options.repeat,
                    "warm_up": WARM_UP,
                    "history": {key: str(value) for key, value in HISTORY.items()},
                    "volumes": {name: VOLUMES.get(name) for name in options.volume_names},
                    "runs": runs,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        print(f"Results written to {options.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
