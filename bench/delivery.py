"""Delivery at Telegram's limits: thousands of due follow-ups drained by the real outbox worker.

    .venv/bin/python bench/delivery.py [--db sqlite|postgresql] [--messages 2000] [--contacts 1600]

Outbox rows (discreet follow-ups: "apakah kondisinya sudah membaik?" with two buttons, draft nudges)
are queued for `--contacts` Telegram chats, all due now; some chats get two or three, so the per-chat
limit matters too. The real `OutboxWorker` (its own loop, as the service runs it) sends them through
the real `TelegramSender` and python-telegram-bot to the fake Bot API in its own process, which
ENFORCES Telegram's limits: at most 30 accepted messages in any one second (sliding window) and one
per chat per second; beyond that it answers 429 with `retry_after`, as Telegram does.

Prints the achieved send rate (accepted messages from the first to the last, per second), the number
of 429s, the largest number of messages in any one-second window (accepted; and attempted, 429s
included), the smallest gap between two messages to one chat, and last the ratio achieved / allowed
rate. Target: >= 0.95, no 429, never over.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BOT_TOKEN,
    Deadline,
    bench_database,
    machine_line,
)
from tests.helpers.fake_bot_api import FakeBotApiProcess, most_in_any_window

FINAL = ("sent", "dead", "unreachable")
POLL_SECONDS = 0.5


def queue_follow_ups(runtime, *, messages: int, contacts: int, seed: int) -> None:
    """Contacts and their due outbox rows, through the storage functions the service uses."""
    from sqlmodel import Session

    from bot.messages import Choice, Reply
    from storage.contacts import get_or_create_contact
    from storage.outbox import enqueue_messages

    rng = random.Random(seed)
    catalog = runtime.catalog
    check = Reply(
        catalog.text("id", "followup.resolved_check", code="ABC-DEF"),
        (
            Choice("better:yes", catalog.text("id", "followup.better_yes")),
            Choice("better:no", catalog.text("id", "followup.better_no")),
        ),
    )
    nudge = Reply(catalog.text("id", "followup.draft_nudge"))
    # Every chat gets one; the rest go to chats drawn at random, so a few get two or three.
    owners = list(range(contacts)) + [rng.randrange(contacts) for _ in range(messages - contacts)]
    per_contact: dict[int, int] = defaultdict(int)
    for owner in owners:
        per_contact[owner] += 1
    now = datetime.now(UTC)
    ordered = list(per_contact.items())
    for start in range(0, len(ordered), 500):
        with Session(runtime.db) as session, session.begin():
            for owner, count in ordered[start : start + 500]:
                contact = get_or_create_contact(
                    session, channel="telegram", platform_user_id=str(800_000_000 + owner), language="id", now=now
                )
                payloads = [(check if rng.random() < 0.7 else nudge).to_json() for _ in range(count)]
                enqueue_messages(session, contact_id=contact.id, channel="telegram", payloads=payloads, now=now)


def outbox_statuses(db) -> dict[str, int]:
    import sqlalchemy as sa

    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, count(*) FROM outbox_message GROUP BY status")).all()
    return dict(rows)


async def drain(runtime, total: int, time_limit: float) -> float:
    """Run the worker as the service does until every row is final; returns the seconds it took."""
    from bot.handlers.telegram import TelegramChannel

    channel = TelegramChannel(runtime)
    # As TelegramChannel.start: PTB's limiter would log each 429 with a traceback; the worker logs them.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    await channel.application.initialize()  # getMe; the sender needs nothing else from start()
    runtime.delivery.register(channel.sender)
    started = time.monotonic()
    await runtime.delivery.start()
    deadline = Deadline(time_limit)
    try:
        while not deadline.passed:
            await asyncio.sleep(POLL_SECONDS)
            statuses = await asyncio.to_thread(outbox_statuses, runtime.db)
            if sum(statuses.get(s, 0) for s in FINAL) >= total:
                break
    finally:
        await runtime.delivery.stop()
        await channel.application.shutdown()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=1600)
    parser.add_argument("--rate", type=float, default=30.0, help="Telegram's global limit (messages/s)")
    parser.add_argument("--chat-rate", type=float, default=1.0, help="Telegram's per-chat limit (messages/s)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--time-limit", type=float, default=900.0)
    args = parser.parse_args()
    if not 1 <= args.contacts <= args.messages <= 200_000:
        parser.error("need 1 <= --contacts <= --messages <= 200000")

    from bot.config import Settings
    from bot.runtime import build_runtime

    print(machine_line())
    limits = (args.rate, 1 / args.chat_rate)
    with (
        FakeBotApiProcess(BOT_TOKEN, limits=limits, timing=True) as fake,
        bench_database(args.db, "pmks_bench_delivery") as url,
    ):
        settings = Settings(
            _env_file=None,
            database_url=url,
            telegram_bot_token=BOT_TOKEN,
            telegram_api_base_url=fake.api_base_url,
            telegram_file_base_url=fake.file_base_url,
            telegram_messages_per_second=args.rate,
            telegram_chat_messages_per_second=args.chat_rate,
        )
        runtime = build_runtime(settings)
        runtime.sync_queues()
        queue_follow_ups(runtime, messages=args.messages, contacts=args.contacts, seed=args.seed)
        print(
            f"{args.messages} due follow-ups for {args.contacts} chats, database {args.db}; fake Bot API "
            f"enforcing {args.rate:g}/s global and {args.chat_rate:g}/s per chat"
        )
        elapsed = asyncio.run(drain(runtime, args.messages, args.time_limit))
        statuses = outbox_statuses(runtime.db)
        runtime.close()
        record = fake.sends()

    accepted = sorted(send.at for send in record if send.accepted)
    rejected = defaultdict(int)
    for send in record:
        if send.status == 429:
            rejected[send.refused_for] += 1
    by_chat: dict[int, list[float]] = defaultdict(list)
    for send in record:
        if send.accepted:
            by_chat[send.chat_id].append(send.at)
    gaps = [b - a for times in by_chat.values() for a, b in zip(sorted(times), sorted(times)[1:])]
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    achieved = (len(accepted) - 1) / span if span else 0.0
    print(f"outbox after {elapsed:.1f} s: {dict(sorted(statuses.items()))}")
    print(
        f"sent {len(accepted)} in {span:.2f} s (first to last accepted) = {achieved:.2f} messages/s; "
        f"allowed {args.rate:g}/s"
    )
    print(
        f"429 answers: {sum(rejected.values())} {dict(rejected) if rejected else ''}; largest count in any "
        f"one-second window: {most_in_any_window(accepted)} accepted, {most_in_any_window(s.at for s in record)} attempted "
        f"(limit {args.rate:g})"
    )
    print(
        f"smallest gap between two messages to one chat: "
        f"{min(gaps) if gaps else float('nan'):.3f} s over {len(gaps)} pairs (limit {1 / args.chat_rate:g} s)"
    )
    ok = len(accepted) == args.messages
    if not ok:
        print(f"WARNING: {args.messages - len(accepted)} messages were not sent within the time limit")
    print(f"ratio achieved/allowed send rate: {achieved / args.rate:.3f} (target >= 0.95, no 429, never over)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
