"""Real servers for the production tests: a PostgreSQL of their own and the tracker under gunicorn.

The PostgreSQL runs from the machine's binaries in a temporary directory, on a port of its own, so
that a test may stop, restart or kill it without touching any shared server. The tracker runs as
in production (DEBUG off, gunicorn, whitenoise, secure cookies behind an HTTPS load balancer) and
the test's HTTP client plays that load balancer by sending X-Forwarded-Proto: https.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found else None


class TemporaryPostgres:
    """A PostgreSQL server in a temporary directory; `stop`, `start` and `restart` while the app runs."""

    def __init__(self):
        self.binaries = postgres_binaries()
        if self.binaries is None:
            raise RuntimeError("PostgreSQL's server programs are missing: bin/setup --dev installs them.")
        self.directory = Path(tempfile.mkdtemp(prefix="tracker-postgres-"))
        self.port = free_port()
        # PostgreSQL refuses to run as root: then it runs as the postgres user.
        self.as_owner = []
        if os.geteuid() == 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], capture_output=True)
            shutil.chown(self.directory, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.data = self.directory / "data"
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()

    def _run(self, program: str, *arguments) -> None:
        command = [*self.as_owner, str(self.binaries / program), *map(str, arguments)]
        subprocess.run(command, check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", self.data, "-l", self.directory / "log", "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def url(self, database: str = "tracker") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def program(self, name: str) -> str:
        """A client program (pg_dump, pg_restore) of the same version as the server."""
        return str(self.binaries / name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


def production_environment(database_url: str, media_root: Path, static_root: Path, **extra) -> dict:
    """The environment of a production server, as docs/deployment.md describes it."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_", "PYTEST"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_HTTPS_PROXY="true",
        MEDIA_ROOT=str(media_root),
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return environment


def manage(environment: dict, *arguments: str, input: str | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *arguments], cwd=ROOT, env=environment, capture_output=True, text=True, input=input
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Gunicorn:
    """The tracker under gunicorn with the repository's configuration (gunicorn.conf.py)."""

    def __init__(self, environment: dict, *, workers: int, threads: int = 4, log: Path):
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "tracker.wsgi",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.wait_until_serving()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{self.log.read_text()}")
            try:
                if requests.get(f"{self.base}/health/", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{self.log.read_text()}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def close(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """A person's HTTP session, reaching the tracker as through an HTTPS load balancer.

    The session cookie is Secure, so a plain HTTP client would not send it back: this one keeps
    the cookies itself, as a browser on the HTTPS side does.
    """

    def __init__(self, base: str, timeout: float = 60):
        self.base = base
        self.timeout = timeout
        self.session = requests.Session()
        origin = "https://" + base.split("://", 1)[1]
        self.session.headers.update({"X-Forwarded-Proto": "https", "Origin": origin, "Referer": origin + "/"})
        self.cookies: dict[str, str] = {}

    def _keep_cookies(self, response: requests.Response) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                # Django deletes a cookie (e.g. messages once shown) by sending it already expired.
                if morsel["max-age"] == "0" or morsel["expires"].endswith("1970 00:00:00 GMT"):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        self.session.cookies.clear()

    def request(self, method: str, path: str, **options) -> requests.Response:
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        response = self.session.request(
            method, self.base + path, headers=headers, timeout=self.timeout, allow_redirects=False, **options
        )
        self._keep_cookies(response)
        return response

    def get(self, path: str, **options) -> requests.Response:
        return self.request("GET", path, **options)

    def post(self, path: str, data: dict, files=None) -> requests.Response:
        return self.request("POST", path, data=data, files=files)

    def follow(self, response: requests.Response) -> requests.Response:
        """The page a redirect leads to (same site only)."""
        location = response.headers["Location"]
        return self.get(location.removeprefix(self.base).removeprefix("https://" + self.base.split("://", 1)[1]))

    @staticmethod
    def csrf_token(page: requests.Response) -> str:
        match = CSRF_INPUT.search(page.text)
        if match is None:
            raise AssertionError(f"No form with a CSRF token in {page.url} ({page.status_code})")
        return match.group(1)

    def sign_in(self, username: str, password: str) -> None:
        page = self.get("/en/accounts/login/")
        response = self.post(
            "/en/accounts/login/",
            {"csrfmiddlewaretoken": self.csrf_token(page), "username": username, "password": password},
        )
        if response.status_code != 302:
            raise AssertionError(f"{username} could not sign in ({response.status_code})")
