"""Every test module that reads the clock is run again under pinned moments, or says why not.

`tests/pinned_moments.py` re-runs the modules marked `clock`; a new module that seeds data with "now" or
travels in time but forgets the marker would be checked only at whatever hour CI happens to run.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
READS_THE_CLOCK = re.compile(r"datetime\.now\(|utc_now\(\)|date\.today\(|time_machine|\bseed\(")
MARKED = re.compile(r"^pytestmark = .*pytest\.mark\.clock", re.MULTILINE)
#: Modules that read the clock with no date logic depending on it, and why.
NOT_DATE_SENSITIVE = {
    "hardening/test_instances.py": "the service runs in subprocesses a pinned clock cannot reach; its "
    "follow-ups are urgent, so quiet hours never hold them",
    "hardening/test_openapi_fuzz.py": "reads the clock only to issue an API token",
    "hardening/test_hostile_requests.py": "seeds requests only to test who may reach them",
    "storage/test_send_rate.py": "reads the clock only to time send turns a few seconds apart; no date logic",
}


def test_modules_that_read_the_clock_are_marked() -> None:
    unmarked = []
    for path in sorted(TESTS.rglob("test_*.py")):
        name = path.relative_to(TESTS).as_posix()
        text = path.read_text(encoding="utf-8")
        if path == Path(__file__) or name in NOT_DATE_SENSITIVE:
            continue
        if READS_THE_CLOCK.search(text) and not MARKED.search(text):
            unmarked.append(name)
    assert unmarked == [], f"mark these `pytestmark = pytest.mark.clock` (or list why not): {unmarked}"


def test_the_exceptions_still_exist() -> None:
    assert all((TESTS / name).exists() for name in NOT_DATE_SENSITIVE)
