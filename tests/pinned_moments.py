"""Run the date-sensitive tests (marker `clock`) again under moments that break date arithmetic.

`make test` runs this after the whole suite: CI must be green on any date and at any hour, and the hour
CI happens to run at is rarely the one that breaks a business-day sum, a quiet-hours wait, a digest or
a lapse. Each moment below is one that has broken such code elsewhere. The clock starts at the moment
and ticks (tests/helpers/pinned_clock.py); everything else is the ordinary suite. Python's date
arithmetic is the same on both engines, so most moments run on SQLite alone; the one where the UTC day
turns, which SQL's own date grouping (days, weeks, time zones) meets too, runs on PostgreSQL as well.

    python -m tests.pinned_moments               # every moment
    python -m tests.pinned_moments -k digests    # extra pytest arguments pass through

Two moments run at a time (one per CPU of the CI machine; each run has its own databases and ports),
and each one's output is printed whole when it ends, so `.ci/run` stays within its time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

#: A moment's engines, as a pytest `-k` expression ("" keeps both).
SQLITE_ONLY = "not postgresql"
BOTH_ENGINES = ""

#: (moment, why it is here, which engines). Four, so that two at a time take two rounds (CI's 15 minutes):
#: Friday 23:30 WIB was dropped, as Saturday 05:00 meets the same quiet hours and the same closed office.
MOMENTS: tuple[tuple[str, str, str], ...] = (  # the longest first: two run at a time
    ("2026-12-09T23:59:30+00:00", "00:00 UTC (07:00 WIB): the UTC day turns during the run", BOTH_ENGINES),
    ("2026-12-12T05:00:00+07:00", "Saturday 05:00 WIB: weekend, before quiet hours end", SQLITE_ONLY),
    ("2027-03-08T09:00:00+07:00", "Monday 09:00 WIB on a public holiday (Nyepi)", SQLITE_ONLY),
    ("2026-12-31T23:59:00+07:00", "31 December 23:59 WIB: the year turns during the run", SQLITE_ONLY),
)


#: Moments run side by side.
PARALLEL = 2


def _run(moment: str, argv: list[str]) -> tuple[int, str, float]:
    started = time.monotonic()
    env = {**os.environ, "TEST_NOW": moment}
    command = [sys.executable, "-m", "pytest", "-m", "clock", "-q", "-p", "no:cacheprovider", *argv]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    return done.returncode, done.stdout, time.monotonic() - started


def _with_engines(engines: str, argv: list[str]) -> list[str]:
    """The caller's pytest arguments keeping only the moment's engines: pytest obeys only the last `-k`, so a
    caller's `-k` expression is joined to the engines' instead of replacing it."""
    if not engines:
        return argv
    if "-k" not in argv[:-1]:
        return ["-k", engines, *argv]
    at = argv.index("-k")
    return [*argv[:at], "-k", f"({argv[at + 1]}) and {engines}", *argv[at + 2 :]]


def main(argv: list[str]) -> int:
    failed: list[str] = []
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        runs = [
            (moment, why, pool.submit(_run, moment, _with_engines(engines, argv))) for moment, why, engines in MOMENTS
        ]
        for moment, why, run in runs:
            code, output, seconds = run.result()
            print(f"\n=== {moment}: {why}\n{output}", end="", flush=True)
            print(f"=== {moment}: {'passed' if code == 0 else 'FAILED'} in {seconds:.0f} s", flush=True)
            if code != 0:
                failed.append(moment)
    if failed:
        print(f"\nDate-sensitive tests failed at: {', '.join(failed)}")
        return 1
    print(f"\nDate-sensitive tests passed at all {len(MOMENTS)} moments.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
