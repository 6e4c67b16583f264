"""Memory: resident memory of the service with 10,000 conversations in progress.

    .venv/bin/python bench/memory.py [--conversations 10000] [--db sqlite|postgresql] [--concurrency 4]

The service runs as an operator starts it (`python -m bot serve`, web chat only). Through the web chat
API, each conversation opens a session (greeting and menu), picks a form from the menu and gives its
first answer (a sighting's group, or a counseling topic), and is then left there: a draft mid-form,
as a province-wide campaign leaves thousands of people who stopped half-way.

Baseline, in the same run: the service's RSS (Linux /proc) after start-up and a warm-up of 50
conversations, so that everything loaded lazily is loaded. Prints RSS as conversations accumulate, the
peak (VmHWM), the growth per 1,000 conversations, and last the ratio of the final RSS to the 250 MB target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Deadline,
    HttpClient,
    bench_database,
    bench_service,
    machine_line,
    rss_bytes,
)

TARGET_BYTES = 250 * 1024 * 1024
WARMUP = 50
MB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


def peak_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


async def leave_mid_form(client: HttpClient, rng: random.Random) -> str:
    """One conversation left with a draft: session, form from the menu, one answer. "" or what failed."""
    from bot.domain.pmks import COUNSELING_TOPICS, PMKS_GROUPS

    status, body = await client.request("POST", "/api/webchat/sessions", b"{}", JSON)
    if status != 201:
        return f"create {status}"
    session = json.loads(body)["session_id"]
    if rng.random() < 0.6:
        steps = ("menu:lapor", f"grp:{rng.choice(list(PMKS_GROUPS))}")
    else:
        steps = ("menu:konseling", f"topic:{rng.choice(COUNSELING_TOPICS)}")
    for choice in steps:
        status, _ = await client.request(
            "POST", f"/api/webchat/sessions/{session}/messages", json.dumps({"choice": choice}).encode(), JSON
        )
        if status != 200:
            return f"message {status}"
    return ""


async def drive(port: int, count: int, concurrency: int, deadline: Deadline, report, seed: int) -> tuple[int, dict]:
    """Leave `count` conversations mid-form, `concurrency` at a time; calls `report(done)` every 1,000."""
    client = HttpClient(port, max_connections=concurrency)
    rng = random.Random(seed)
    done, failures = 0, {}
    next_report = 1000

    async def worker() -> None:
        nonlocal done, next_report
        while done < count and not deadline.passed:
            done += 1
            failure = await leave_mid_form(client, rng)
            if failure:
                failures[failure] = failures.get(failure, 0) + 1
            if done >= next_report:
                next_report += 1000
                report(done)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    client.close()
    return done, failures


def drafts_in_progress(url: str) -> int:
    """Conversations whose form is open with at least one answer: the drafts this benchmark left."""
    from sqlmodel import Session, select

    from bot.config import Settings
    from bot.flows.state import from_row
    from storage import crypto
    from storage.database import create_db_engine
    from storage.models import Conversation

    crypto.configure(Settings(_env_file=None).fernet_keys)  # the service's key: same environment
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            forms = (from_row(c.flow, c.step, c.data).form for c in session.exec(select(Conversation)))
            return sum(
                1
                for form in forms
                if form is not None and form.name in ("report_sighting", "request_counseling") and form.answers
            )
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=1800.0)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    if not (1 <= args.conversations <= 200_000 and 1 <= args.concurrency <= 64):
        parser.error("need 1 <= --conversations <= 200000 and 1 <= --concurrency <= 64")

    print(machine_line())
    with bench_database(args.db, "pmks_bench_memory") as url, bench_service(url) as service:
        pid = service.pid

        def report(done: int) -> None:
            rss = rss_bytes(pid)
            print(f"  {done:6d} conversations: RSS {rss / MB:6.1f} MB ({(rss - baseline) / MB:+.1f} MB)", flush=True)

        asyncio.run(drive(service.port, WARMUP, 1, Deadline(300), lambda _done: None, args.seed + 1))
        time.sleep(1.0)
        baseline = rss_bytes(pid)
        print(
            f"baseline: RSS {baseline / MB:.1f} MB after start-up and {WARMUP} warm-up conversations "
            f"(database {args.db})"
        )
        started = time.monotonic()
        done, failures = asyncio.run(
            drive(service.port, args.conversations, args.concurrency, Deadline(args.time_limit), report, args.seed)
        )
        elapsed = time.monotonic() - started
        time.sleep(1.0)
        final, peak = rss_bytes(pid), peak_bytes(pid)
        errors = service.error_lines()
        drafts = drafts_in_progress(url)

    print(
        f"{done} conversations left mid-form in {elapsed:.0f} s ({done / elapsed:.1f}/s), failures: "
        f"{failures or 'none'}, ERROR lines in the service log: {errors}; drafts in the database: {drafts}"
    )
    growth = (final - baseline) / max(done, 1) * 1000
    print(
        f"RSS: baseline {baseline / MB:.1f} MB, with {done} conversations in progress {final / MB:.1f} MB "
        f"({growth / MB:+.2f} MB per 1,000), peak {peak / MB:.1f} MB"
    )
    if done < args.conversations:
        print(f"WARNING: stopped at the time limit after {done} of {args.conversations} conversations")
    print(
        f"ratio RSS/target: {final / TARGET_BYTES:.2f} ({final / MB:.1f} MB, target < 250 MB; "
        f"baseline {baseline / MB:.1f} MB)"
    )
    return 0 if not failures and done == args.conversations and drafts == done + WARMUP else 1


if __name__ == "__main__":
    sys.exit(main())
