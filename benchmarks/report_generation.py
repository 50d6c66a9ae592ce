"""How long a meeting report takes to generate, and how much memory it needs, after years of reporting.

    .venv/bin/python benchmarks/report_generation.py                 # on a fresh SQLite file
    .venv/bin/python benchmarks/report_generation.py --postgres postgres://postgres@127.0.0.1:5432/test

The database in DATABASE_URL is never touched: the benchmark makes its own, a SQLite file in a
temporary directory, or with --postgres a database (bench_reports) on that server, dropped at the
end. Into it go the instruments, synthetic history (manage.py generate_history) and two meetings:
the one reported on, whose reporting period is the last two years with the cut-off at its end, and
the previous one, two years earlier, so that the report lists the changes between them.

Each measurement runs in a child process of its own, so that its peak resident memory is its own
(VmHWM, see peak_mb); a child that only sets Django up and imports the report modules gives the
baseline. Each is repeated (--repeat) and the median printed, as Markdown tables; the figures and
how to read them are in docs/benchmarks.md.

The default history is an upper estimate of ten years of use: every activity reported on twice a
year (before the Scientific Council or Standing Committee and before the CAMI meeting), by 60% of
the activity/unit pairs, since several range states report rarely or not at all, with narratives
of about 400 characters, a long paragraph.
"""

import argparse
import datetime
import io
import json
import os
import resource
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

MEETING = "Benchmark meeting"
PREVIOUS_MEETING = "Benchmark previous meeting"
UNIT = "KZ"
LANGUAGE = "en"
SCOPES = {"region": None, "kz": UNIT}
TASKS = (
    "baseline",
    "pdf-region",
    "pdf-kz",
    "weasyprint-region",
    "weasyprint-kz",
    "xlsx-region",
    "xlsx-kz",
)
# The benchmark runs as production would: no query log, no template debugging.
CHILD_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "tracker.settings",
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-not-a-secret",
    "ALLOWED_HOSTS": "localhost",
    # No collectstatic: static names stay as they are.
    "STATIC_MANIFEST": "false",
}


def peak_mb() -> float:
    """The process's peak resident memory since it started (Linux).

    Not getrusage's ru_maxrss: across exec the kernel keeps the larger of the old and the new
    image's peak, so a child started by this script would report the parent's own peak.
    VmHWM in /proc/self/status is the same measure for the running image alone.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The child: one measurement -------------------------------------------------------------------


def measure(task: str, html_directory: Path) -> dict:
    import django

    django.setup()
    result = {"setup_peak_mb": peak_mb()}
    import pikepdf
    from weasyprint import HTML

    from actions.models import Instrument, Meeting, ReportingUnit
    from reports import snapshot
    from reports.documents import PDF_VARIANT, FontsOnlyFetcher, render_pdf

    try:
        from reports import excel_exports
    except ImportError:
        excel_exports = None
    result["baseline_peak_mb"] = peak_mb()
    if task == "baseline":
        return result

    kind, scope = task.split("-", 1)
    if kind == "weasyprint":
        html = (html_directory / f"{scope}.html").read_text(encoding="utf-8")
        started = time.perf_counter()
        document = HTML(string=html, url_fetcher=FontsOnlyFetcher()).render()
        laid_out = time.perf_counter()
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
        written = time.perf_counter()
        result.update(
            total=written - started,
            layout=laid_out - started,
            write=written - laid_out,
            weasyprint=written - started,
            pages=len(document.pages),
            size_mb=len(pdf) / 2**20,
        )
    else:
        meeting = Meeting.objects.get(name=MEETING)
        instruments = list(Instrument.objects.all())
        unit = ReportingUnit.objects.get(code=SCOPES[scope]) if SCOPES[scope] else None
        started = time.perf_counter()
        taken = snapshot.take(meeting, instruments, unit, LANGUAGE)
        gathered = time.perf_counter()
        result["snapshot"] = gathered - started
        if kind == "pdf":
            # As the report's worker makes it: laid out whole, or in parts on every core.
            steps = {}
            figures = {}
            content = render_pdf(taken, lambda percent, step: steps.setdefault(step, time.perf_counter()), figures)
            written = time.perf_counter()
            parts = figures.get("parts", [])
            result.update(
                templating=steps["layout"] - gathered,
                weasyprint=written - steps["layout"],
                processes=figures["processes"],
                parts=len(parts),
                part_peak_mb=max((part["peak_mb"] for part in parts), default=0),
                join=figures.get("join_seconds", 0),
                pages=len(pikepdf.open(io.BytesIO(content)).pages),
            )
        else:
            content = excel_exports.render_xlsx(taken)
            written = time.perf_counter()
            result["writing"] = written - gathered
        result.update(total=written - started, size_mb=len(content) / 2**20)
    result["peak_mb"] = peak_mb()
    return result


def run_child(task: str, html_directory: Path, env: dict) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", task, "--html-directory", str(html_directory)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"{task} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# The parent: the database, the runs, the tables ----------------------------------------------


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def create_postgres_database(server_url: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(server_url)
    user = info.get("user", "")
    host = info.get("host", "127.0.0.1")
    port = info.get("port", "5432")
    return f"postgres://{user}@{host}:{port}/{name}" if user else f"postgres://{host}:{port}/{name}"


def drop_postgres_database(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def prepare(options, html_directory: Path) -> dict:
    """Fill the fresh database and write the reports' HTML; return the volumes."""
    from django.core.management import call_command
    from django.db import connection

    from actions.models import Instrument, Meeting, ReportingUnit, StatusUpdate
    from reports.documents import report_html
    from reports.snapshot import take

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_instruments", verbosity=0)
    call_command(
        "generate_history",
        years=options.years,
        until=options.until,
        per_year=options.per_year,
        coverage=options.coverage,
        seed=options.seed,
        narrative_chars=options.narrative_chars,
        allow_production=True,
    )
    until = options.until
    previous_cutoff = years_before(until, options.period_years)
    for name, cutoff in ((PREVIOUS_MEETING, previous_cutoff), (MEETING, until)):
        Meeting.objects.create(
            name=name,
            body=Meeting.Body.CAMI,
            place="Benchmark",
            starts_on=cutoff + datetime.timedelta(days=60),
            ends_on=cutoff + datetime.timedelta(days=63),
            symbol=f"UNEP/CMS/{name.replace(' ', '-')}",
            period_start=years_before(cutoff, options.period_years) + datetime.timedelta(days=1),
            period_end=cutoff,
            cutoff=cutoff,
        )
    meeting = Meeting.objects.get(name=MEETING)
    instruments = list(Instrument.objects.all())
    volumes = {
        "updates": StatusUpdate.objects.count(),
        "accepted": StatusUpdate.objects.accepted().count(),
        "pairs": StatusUpdate.objects.values("item", "unit").distinct().count(),
        "preparation_s": time.perf_counter() - started,
    }
    for scope, code in SCOPES.items():
        unit = ReportingUnit.objects.get(code=code) if code else None
        taken = take(meeting, instruments, unit, LANGUAGE)
        html = report_html(taken)
        (html_directory / f"{scope}.html").write_text(html, encoding="utf-8")
        volumes[f"narratives_{scope}"] = sum(len(part.narratives) for part in taken.parts)
        volumes[f"changes_{scope}"] = sum(len(part.changes) for part in taken.parts)
        volumes[f"html_mb_{scope}"] = len(html.encode()) / 2**20
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            volumes["database_mb"] = cursor.fetchone()[0] / 2**20
    else:
        volumes["database_mb"] = Path(connection.settings_dict["NAME"]).stat().st_size / 2**20
    return volumes


def median_of(runs: list[dict]) -> dict:
    keys = {key for run in runs for key in run}
    return {key: statistics.median(run[key] for run in runs if key in run) for key in sorted(keys)}


def seconds(value) -> str:
    return "" if value is None else f"{value:.2f}"


def megabytes(value) -> str:
    return "" if value is None else f"{value:.0f}"


def tables(results: dict[str, dict], volumes: dict, options, database: str) -> str:
    baseline = results.get("baseline", {}).get("baseline_peak_mb")
    setup = results.get("baseline", {}).get("setup_peak_mb")

    def above(figures: dict) -> str:
        return megabytes(figures["peak_mb"] - baseline) if baseline is not None else ""

    lines = [
        f"Database: {database}. History: {options.years} years to {options.until}, {options.per_year} updates per "
        f"activity/unit pair a year, coverage {options.coverage}, narratives ~{options.narrative_chars} characters, "
        f"seed {options.seed}. Medians of {options.repeat} run(s).",
        "",
        "| Volume | Figure |",
        "|---|---|",
        f"| Updates in the database | {volumes['updates']:,} ({volumes['accepted']:,} accepted) |",
        f"| Activity/unit pairs with history | {volumes['pairs']:,} |",
        f"| Database size | {volumes['database_mb']:.0f} MB |",
        f"| Narratives in the reporting period (region / {UNIT}) | "
        f"{volumes['narratives_region']:,} / {volumes['narratives_kz']:,} |",
        f"| Changes since the previous meeting (region / {UNIT}) | "
        f"{volumes['changes_region']:,} / {volumes['changes_kz']:,} |",
        f"| Report HTML (region / {UNIT}) | {volumes['html_mb_region']:.1f} MB / {volumes['html_mb_kz']:.1f} MB |",
        f"| Preparing the database (migrate, instruments, history, meetings, HTML) | {volumes['preparation_s']:.0f} s |",
        "",
    ]
    if baseline is not None:
        lines += [
            f"Baseline peak memory of a child: {setup:.0f} MB with Django set up, {baseline:.0f} MB with the report "
            'modules (WeasyPrint, openpyxl) imported. "Above baseline" is a run\'s peak less the latter.',
            "",
        ]
    pdf_rows = [(task, results[task]) for task in ("pdf-region", "pdf-kz") if task in results]
    if pdf_rows:
        lines += [
            "| PDF report | Total s | Snapshot s | Templating s | Layout and writing s | Processes (parts) "
            "| Joining s | Pages | PDF MB | Peak MB, worker | Peak MB, largest part | Layout and writing / WeasyPrint alone |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for task, figures in pdf_rows:
            alone = results.get(task.replace("pdf-", "weasyprint-"), {}).get("total")
            ratio = f"{figures['weasyprint'] / alone:.2f}" if alone else ""
            lines.append(
                f"| {label(task)} | {seconds(figures['total'])} | {seconds(figures['snapshot'])} "
                f"| {seconds(figures['templating'])} | {seconds(figures['weasyprint'])} "
                f"| {figures['processes']:.0f} ({figures['parts']:.0f}) | {seconds(figures['join'])} "
                f"| {figures['pages']:.0f} | {figures['size_mb']:.1f} | {megabytes(figures['peak_mb'])} "
                f"| {megabytes(figures['part_peak_mb']) if figures['parts'] else ''} | {ratio} |"
            )
        lines.append("")
    weasy_rows = [(task, results[task]) for task in ("weasyprint-region", "weasyprint-kz") if task in results]
    if weasy_rows:
        lines += [
            "| WeasyPrint alone, on the same HTML | Total s | Layout s | Write s | Pages | PDF MB | Peak MB "
            "| Above baseline MB |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for task, figures in weasy_rows:
            lines.append(
                f"| {label(task)} | {seconds(figures['total'])} | {seconds(figures['layout'])} "
                f"| {seconds(figures['write'])} | {figures['pages']:.0f} | {figures['size_mb']:.1f} "
                f"| {megabytes(figures['peak_mb'])} "
                f"| {above(figures)} |"
            )
        lines.append("")
    xlsx_rows = [(task, results[task]) for task in ("xlsx-region", "xlsx-kz") if task in results]
    if xlsx_rows:
        lines += [
            "| Excel report | Total s | Snapshot s | Writing s | File MB | Peak MB | Above baseline MB |",
            "|---|---|---|---|---|---|---|",
        ]
        for task, figures in xlsx_rows:
            lines.append(
                f"| {label(task)} | {seconds(figures['total'])} | {seconds(figures['snapshot'])} "
                f"| {seconds(figures['writing'])} | {figures['size_mb']:.1f} | {megabytes(figures['peak_mb'])} "
                f"| {above(figures)} |"
            )
        lines.append("")
    return "\n".join(lines)


def label(task: str) -> str:
    scope = task.split("-", 1)[1]
    return "Region (3 instruments, all units)" if scope == "region" else f"{UNIT} (3 instruments)"


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=2)
    parser.add_argument("--coverage", type=float, default=0.6)
    parser.add_argument("--narrative-chars", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    # A fixed date, so that the figures do not move with the day the benchmark runs.
    parser.add_argument("--until", type=datetime.date.fromisoformat, default=datetime.date(2025, 12, 31))
    parser.add_argument("--period-years", type=int, default=2, help="Length of the meeting's reporting period.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"Comma-separated, among {', '.join(TASKS)}.")
    parser.add_argument("--postgres", metavar="URL", help="A PostgreSQL server to create the database on.")
    parser.add_argument("--postgres-database", default="bench_reports")
    parser.add_argument(
        "--parts-from",
        type=int,
        metavar="CHARACTERS",
        help="Lay out in parts every PDF of at least this much HTML (REPORT_PARTS_MIN_CHARACTERS); 0 for all.",
    )
    parser.add_argument("--processes", type=int, help="Processes that lay out a PDF in parts (REPORT_PROCESSES).")
    parser.add_argument("--keep", action="store_true", help="Keep the database and the HTML files at the end.")
    parser.add_argument("--child", choices=TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--html-directory", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    unknown = set(options.tasks.split(",")) - set(TASKS)
    if unknown:
        parser.error(f"unknown task(s): {', '.join(sorted(unknown))}")
    return options


def main(argv=None) -> None:
    options = parse_arguments(argv)
    if options.child:
        print(json.dumps(measure(options.child, options.html_directory)))
        return

    directory = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    if options.postgres:
        database_url = create_postgres_database(options.postgres, options.postgres_database)
        database = f"PostgreSQL ({options.postgres_database})"
    else:
        database_url = f"sqlite:///{directory / 'bench.sqlite3'}"
        database = "SQLite"
    env = {**os.environ, **CHILD_SETTINGS, "DATABASE_URL": database_url}
    if options.parts_from is not None:
        env["REPORT_PARTS_MIN_CHARACTERS"] = str(options.parts_from)
    if options.processes is not None:
        env["REPORT_PROCESSES"] = str(options.processes)
    os.environ.update(CHILD_SETTINGS, DATABASE_URL=database_url)
    import django

    django.setup()
    from django.db import connections

    try:
        from reports import excel_exports  # noqa: F401
    except ImportError as error:
        print(f"Excel reports left out: reports.excel_exports does not import ({error}).", file=sys.stderr)
        tasks = [task for task in options.tasks.split(",") if not task.startswith("xlsx-")]
    else:
        tasks = options.tasks.split(",")
    try:
        volumes = prepare(options, directory)
        connections.close_all()
        runs: dict[str, list[dict]] = {task: [] for task in tasks}
        for round_number in range(1, options.repeat + 1):
            # Rounds rather than one task's runs in a row: a slow spell of the machine spreads over all tasks.
            for task in tasks:
                started = time.perf_counter()
                runs[task].append(run_child(task, directory, env))
                print(
                    f"round {round_number}/{options.repeat} {task}: {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
        results = {task: median_of(task_runs) for task, task_runs in runs.items()}
        print(tables(results, volumes, options, database))
    finally:
        connections.close_all()
        if options.keep:
            print(f"Kept: {directory} ({database_url})", file=sys.stderr)
        else:
            shutil.rmtree(directory, ignore_errors=True)
            if options.postgres:
                drop_postgres_database(options.postgres, options.postgres_database)


if __name__ == "__main__":
    main()
