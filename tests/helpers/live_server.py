"""Run the real service as a subprocess, for tests that need a real HTTP server (browser tests).

The service is started exactly as an operator would start it (`python -m bot migrate`, then
`python -m bot serve`), on a free port and its own SQLite file, so a browser test exercises the same
wiring as production. Every wait is bounded; the server's output is kept in a log file and shown when
it fails to start, because a bare "did not start" is useless in CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]

MIGRATE_TIMEOUT_S = 60.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0

#: Variables that would connect the service to a real platform; a test server must never do that.
_PLATFORM_ENV_PREFIXES = ("TELEGRAM_", "WHATSAPP_")


def free_port() -> int:
    """Ask the OS for a port nobody listens on (it could be taken again before use; rare enough)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(database_url: str, port: int, project_root: Path) -> dict[str, str]:
    """The environment of the test server: ours, minus platform tokens, plus host, port and database."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_PLATFORM_ENV_PREFIXES)}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=database_url,
        ENVIRONMENT="development",
        PYTHONPATH=os.pathsep.join(filter(None, [str(project_root), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def live_server(tmp_path: Path, project_root: Path = PROJECT_ROOT) -> Iterator[str]:
    """Migrate a fresh database, serve the app, yield its base URL (`http://127.0.0.1:<port>`)."""
    port = free_port()
    env = service_env(f"sqlite:///{tmp_path / 'web.db'}", port, project_root)
    log_path = tmp_path / "server.log"
    # The working directory is the temporary folder so a developer's `.env` is not read by the test
    # server; the project is found through PYTHONPATH instead.
    with log_path.open("wb") as log:
        _migrate(env, tmp_path, log, log_path)
        serve = [sys.executable, "-m", "bot", "serve"]
        process = subprocess.Popen(serve, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(base_url, process, log_path)
            yield base_url
        finally:
            _stop(process)


def _migrate(env: dict[str, str], cwd: Path, log: IO[bytes], log_path: Path) -> None:
    command = [sys.executable, "-m", "bot", "migrate"]
    try:
        result = subprocess.run(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                timeout=MIGRATE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"`bot migrate` took over {MIGRATE_TIMEOUT_S:.0f}s\n{_tail(log_path)}") from None
    if result.returncode != 0:
        raise RuntimeError(f"`bot migrate` exited with {result.returncode}\n{_tail(log_path)}")


def _wait_until_healthy(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"`bot serve` exited with {process.returncode}\n{_tail(log_path)}")
            try:
                if client.get(f"{base_url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.2)
    _stop(process)
    raise RuntimeError(f"`bot serve` not healthy within {START_TIMEOUT_S:.0f}s\n{_tail(log_path)}")


def _stop(process: subprocess.Popen) -> None:
    """Ask politely (SIGTERM lets uvicorn finish the lifespan), then insist."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _tail(log_path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"
