"""A throwaway PostgreSQL server: initdb into a temporary folder, its own port on 127.0.0.1.

    with PostgresServer.start() as pg:
        pg.target_config(schema="webinars")   # a target-postgres config
        pg.query("select 1")

Nothing is installed or configured by hand: the server binaries come from Debian's
`postgresql` package (scripts/bootstrap.sh installs it), the cluster lives in a temporary
folder and is removed when the server stops. initdb refuses to run as root, so as root
(sessions and CI) the server runs as the `postgres` system user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import typing as t
from pathlib import Path

PASSWORD = "sandbox-password"  # a throwaway local server
USER = "postgres"


def server_bin() -> Path:
    """The folder with initdb and pg_ctl: $PG_BIN, else the newest Debian cluster version."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (initdb); run scripts/bootstrap.sh, "
        "which installs Debian's postgresql package, or set PG_BIN"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, folder: Path, port: int, run_as: list[str]) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.host = "127.0.0.1"
        self.user = USER
        self.password = PASSWORD
        self.database = "postgres"
        self._run_as = run_as
        self._bin = server_bin()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb a new cluster and start it; retries on a port taken in the meantime."""
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        folder = Path(tempfile.mkdtemp(prefix="tap-webinars-pg-"))
        run_as: list[str] = []
        if as_root:
            # initdb and postgres refuse root; the cluster belongs to the postgres user.
            shutil.chown(folder, user=USER)
            run_as = ["runuser", "-u", USER, "--"]
        server = cls(folder, free_port(), run_as)
        try:
            server._initdb()
            for attempt in range(5):
                try:
                    server._pg_ctl_start()
                    break
                except RuntimeError:
                    if attempt == 4:
                        raise
                    server.port = free_port()
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, command: list[str], **kwargs: t.Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._run_as, *command],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.folder,
            **kwargs,
        )

    def _initdb(self) -> None:
        password_file = self.folder / "pwfile"
        password_file.write_text(self.password + "\n")
        if self._run_as:
            shutil.chown(password_file, user=USER)
        done = self._run(
            [
                str(self._bin / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                self.user,
                "--pwfile",
                str(password_file),
                "--auth-host",
                "scram-sha-256",
                "--auth-local",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ]
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")

    def _pg_ctl_start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.folder}",
                # A test database: durability is not worth the time.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=50",
            ]
        )
        done = self._run(
            [
                str(self._bin / "pg_ctl"),
                "--pgdata",
                str(self.data),
                "--log",
                str(self.folder / "server.log"),
                "--options",
                options,
                "--wait",
                "--timeout",
                "60",
                "start",
            ]
        )
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}: {log}")

    def stop(self) -> None:
        """Stop the server (if running) and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            self._run(
                [
                    str(self._bin / "pg_ctl"),
                    "--pgdata",
                    str(self.data),
                    "--mode",
                    "fast",
                    "--wait",
                    "stop",
                ]
            )
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --------------------------------------------------------------------- access

    @property
    def url(self) -> str:
        """A libpq connection URL for the default database."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    def target_config(self, schema: str, **extra: t.Any) -> dict[str, t.Any]:
        """A target-postgres config loading into *schema* of this server."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
            "default_target_schema": schema,
            "load_method": "upsert",
            **extra,
        }

    def target_env(self, schema: str) -> dict[str, str]:
        """The same settings as Meltano environment variables for the target-postgres loader."""
        return {
            "TARGET_POSTGRES_HOST": self.host,
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            "TARGET_POSTGRES_PASSWORD": self.password,
            "TARGET_POSTGRES_DATABASE": self.database,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        }

    def query(self, sql: str, *params: t.Any) -> list[tuple[t.Any, ...]]:
        """Run one statement and return its rows (an empty list for statements without)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            cursor = connection.execute(sql, params or None)
            return list(cursor.fetchall()) if cursor.description else []

    def scalar(self, sql: str, *params: t.Any) -> t.Any:
        """The single value a query returns."""
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def tables(self, schema: str) -> set[str]:
        """The tables in *schema*."""
        rows = self.query(
            "select table_name from information_schema.tables where table_schema = %s", schema
        )
        return {row[0] for row in rows}

    def column_types(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> SQL data type (as information_schema spells it)."""
        rows = self.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            schema,
            table,
        )
        return {name: data_type for name, data_type in rows}


@contextlib.contextmanager
def postgres_server() -> t.Iterator[PostgresServer]:
    """A started server for the duration of the block."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()
