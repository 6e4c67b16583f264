"""The real service as a subprocess on a given database, that a test may kill with SIGKILL and start again.

Unlike `live_server` (a fresh SQLite file, no platform settings), it serves an already migrated database
of the test's own (SQLite or PostgreSQL) and takes explicit platform settings pointing at the fakes on
127.0.0.1; the platform variables of the test's own environment are still dropped. It runs
`python -m tests.helpers.serve`, which is `python -m bot serve` plus the Telegram texts not yet in the
catalogs (`PENDING_TEXTS`), so a Telegram-enabled instance can start. Every wait is bounded; the log
(`<tmp_path>/<name>.log`, appended across restarts) is quoted when it fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers.live_server import PROJECT_ROOT, _stop, _tail, _wait_until_healthy, free_port, service_env


class ServiceProcess:
    def __init__(self, tmp_path: Path, database_url: str, *, name: str = "service", env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{name}.log"
        self._cwd = tmp_path
        self._env = {**service_env(database_url, self.port, PROJECT_ROOT), **(env or {})}
        self._process: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen([sys.executable, "-m", "tests.helpers.serve"], cwd=self._cwd,
                                             env=self._env, stdout=log, stderr=subprocess.STDOUT)
        _wait_until_healthy(self.base_url, self._process, self.log_path)
        return self

    def kill(self) -> None:
        """SIGKILL: no lifespan, no cleanup, as a power cut or the OOM killer would do it."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process is not None:
            _stop(self._process)

    def log_tail(self) -> str:
        return _tail(self.log_path)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
