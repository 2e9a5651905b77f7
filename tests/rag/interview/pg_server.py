"""A real PostgreSQL server for the progress store's tests (fixtures; test modules import them):
``initdb`` into a temporary folder, ``postgres`` on a free loopback port (its unix socket in that
folder too), stopped after the session.  As root, initdb refuses to run, so the server runs as the
``postgres`` user (else ``nobody``).  A server that cannot start fails the tests that need it,
saying why."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import free_port


def _bindir() -> Path | None:
    for candidate in [os.environ.get("COACH_TEST_PG_BINDIR", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_server_user(root: Path) -> list[str]:
    """The command prefix that runs the server as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        os.chown(root, user.pw_uid, user.pw_gid)
        return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]
    pytest.fail("running as root and there is no 'postgres' or 'nobody' user to run PostgreSQL as (initdb refuses root)")


def _run(cmd: list[str], what: str, log: Path | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        pytest.fail(f"PostgreSQL {what} failed ({' '.join(cmd)}): {proc.stderr.strip() or proc.stdout.strip()}\n{tail}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a running PostgreSQL server (no database part); user ``coach``, trust auth on loopback."""
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql")
    # not under pytest's tmp folder: that is private to us, and the server may run as another user
    root = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    prefix = _as_server_user(root)
    data, log, port = root / "data", root / "server.log", free_port()
    try:
        _run(prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "coach", "--auth=trust", "-E", "UTF8",
                       "--no-sync", "--no-instructions"], "initdb")
        # -F: no fsync (the tests kill clients, not the server); many connections: a pool per test database
        options = f"-F -h 127.0.0.1 -p {port} -k {root} -c max_connections=300"
        _run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
                       "start"], "start", log)
        yield f"postgresql://coach@127.0.0.1:{port}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new, empty database on the test server (one per test)."""
    import psycopg

    name = f"progress_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def progress_db(request, tmp_path) -> str | Path:
    """Where a progress store lives, once per backend: an SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "progress.sqlite"
    return request.getfixturevalue("postgres_url")
