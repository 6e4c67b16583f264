"""The real service in a process of its own, started as an operator starts it (`python -m bot serve`).

One starter for every test that needs a real HTTP server or a process to kill (browser tests, restarts, several
instances) and for the benchmarks, which import it from here (their scripts put the project root on
`sys.path`). The working directory is the caller's folder, so a developer's `.env` is not read; the
`TELEGRAM_*`/`WHATSAPP_*` variables of our own environment are dropped, so it reaches only the fakes the caller
names in `env`. Every wait is bounded, and the output (`<workdir>/<name>.log`, appended across restarts) is
quoted when it fails, because a bare "did not start" is useless in CI.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
COMMAND_TIMEOUT_S = 60.0

#: Variables that would connect the service to a real platform; a test server must never do that.
_PLATFORM_ENV_PREFIXES = ("TELEGRAM_", "WHATSAPP_")


def free_port() -> int:
    """Ask the OS for a port nobody listens on (it could be taken again before use; rare enough)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceProcess:
    """`python -m bot serve` on `database_url` (already migrated, or migrated with `run("migrate")`), on a free port.

    `start()` waits for `/healthz`; `kill()` is SIGKILL (no lifespan, no cleanup); `start()` again restarts it
    on the same port; `stop()` is SIGTERM, then SIGKILL. `env` adds settings (environment variable names).
    """

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        *,
        name: str = "service",
        env: dict[str, str] | None = None,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self._start_timeout = start_timeout
        self._env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_PLATFORM_ENV_PREFIXES)}
        self._env.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            DATABASE_URL=database_url,
            ENVIRONMENT="development",
            PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), self._env.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
            **(env or {}),
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """`python -m bot <args>` (migrate, staff add, ...) with the service's settings; fails on a non-zero exit."""
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            text=True,
            capture_output=True,
            cwd=self.workdir,
            env=self._env,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"`bot {' '.join(args)}` exited with {done.returncode}\n{done.stdout}{done.stderr}")
        return done

    def start(self) -> ServiceProcess:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                cwd=self.workdir,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_healthy(self._process)
        return self

    def kill(self) -> None:
        """SIGKILL: no lifespan, no cleanup, as a power cut or the OOM killer would do it."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self) -> None:
        stop_process(self._process)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def error_lines(self) -> int:
        """ERROR lines and tracebacks the service logged."""
        text = self.log_path.read_text(errors="replace")
        return sum(1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _wait_until_healthy(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self._start_timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"`bot serve` exited with {process.returncode}\n{self.log_tail()}")
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.2)
        stop_process(process)
        raise RuntimeError(f"`bot serve` not healthy within {self._start_timeout:.0f}s\n{self.log_tail()}")


def stop_process(process: subprocess.Popen | None) -> None:
    """Ask a child we started to stop (SIGTERM lets uvicorn finish the lifespan), then insist (SIGKILL)."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def live_server(tmp_path: Path) -> Iterator[ServiceProcess]:
    """A fresh SQLite database in `tmp_path`, migrated (`bot migrate`) and served: the browser tests' service."""
    service = ServiceProcess(tmp_path, f"sqlite:///{tmp_path / 'web.db'}", name="server")
    service.run("migrate")
    with service:
        yield service
