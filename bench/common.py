"""What every benchmark shares: a database of its own, percentiles, a lean HTTP client, the machine's load.

The fake Bot API (`FakeBotApiProcess`) and the service in a process of its own (`ServiceProcess`) are the
tests' own helpers, imported from tests/helpers: one fake and one starter for tests and benchmarks alike.

Benchmarks are scripts, not tests: each is one command (`.venv/bin/python bench/<name>.py`), bounds every
loop in count and time, talks only to 127.0.0.1, and prints its figures with the ratio on the last line.
Ratios are taken against a baseline measured in the same run, so they hold on a busy, shared machine
where absolute figures do not.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/ first on the path, not the project
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.helpers.service_process import ServiceProcess  # noqa: E402

#: Where benchmark databases are created (and dropped again); any database of the server will do.
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BOT_TOKEN = "123456789:AAHbenchTokenNotARealBot_abcdefghijk"
WEBHOOK_SECRET = "bench-webhook-secret-0123456789"


@contextmanager
def bench_database(kind: str, name: str) -> Iterator[str]:
    """A migrated, empty database for one run, removed afterwards: a SQLite file or a PostgreSQL database."""
    from storage.migrate import upgrade_to_head

    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix=f"{name}_"))
        url = f"sqlite:///{directory / 'bench.db'}"
        try:
            upgrade_to_head(url)
            yield url
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    if kind != "postgresql":
        raise SystemExit(f"--db must be sqlite or postgresql, not {kind!r}")
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        upgrade_to_head(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def bench_service(database_url: str, env: dict[str, str] | None = None, *, name: str = "service") -> ServiceProcess:
    """`python -m bot serve` in an empty folder of its own (its log stays there), given a minute to start."""
    workdir = Path(tempfile.mkdtemp(prefix="pmks_bench_service_"))
    return ServiceProcess(workdir, database_url, name=name, env=env, start_timeout=60.0)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.5 = median); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process (Linux /proc), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not found")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used so far, all CPUs together (Linux /proc/stat; no idle, no
    I/O wait): over a run, with the run's own processes', it says how much of the machine others took."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def machine_line() -> str:
    """CPU count and load, printed with every run: the figures mean little without them."""
    load = os.getloadavg()
    return f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


class HttpClient:
    """A small HTTP/1.1 keep-alive client for 127.0.0.1 (httpx costs more CPU than the service on this machine).

    `request` answers (status, body); status -1 for a broken connection, -2 when every one of the
    `max_connections` connections is busy (the server is so far behind that more would only pile up).
    A connection idle for `IDLE_SECONDS` is closed instead of reused: uvicorn closes keep-alive
    connections idle for 5 s, and a request sent on one it just closed fails without reaching it.
    """

    IDLE_SECONDS = 4.0

    def __init__(self, port: int, *, max_connections: int = 256) -> None:
        self._port = port
        self._max = max_connections
        self._idle: list[tuple[Any, Any, float]] = []  # (reader, writer, idle since), most recent last
        self._open = 0

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        import asyncio

        self._close_stale()
        if self._idle:
            reader, writer, _since = self._idle.pop()
        elif self._open >= self._max:
            return -2, b""
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self._port)
            self._open += 1
        lines = [
            f"{method} {path} HTTP/1.1",
            "Host: bench",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            content = await reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            writer.close()
            self._open -= 1
            return -1, b""
        self._idle.append((reader, writer, time.monotonic()))
        return status, content

    def _close_stale(self) -> None:
        """Close the connections idle too long; they sit at the start of the list."""
        stale_before = time.monotonic() - self.IDLE_SECONDS
        while self._idle and self._idle[0][2] < stale_before:
            self._idle.pop(0)[1].close()
            self._open -= 1

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[1].close()


class Deadline:
    """A bound on a loop's time: `while not deadline.passed:`."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at

    @property
    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())
