"""The conversation engine alone: CPU per message, without PTB's dispatch or any Bot API call.

    .venv/bin/python bench/engine.py [--db sqlite|postgresql] [--citizens 100] [--profile]

A diagnostic beside `inbound.py`, not one of the issue's targets: the same scripted Telegram
conversations (bench/telegram_updates.py), translated as the channel does (`translate_update`) and handed
straight to `ConversationEngine.handle`, one transaction each. Process CPU per message is far steadier
than wall time on a shared machine, so this is the figure to compare before and after a change to the
engine, the flows or storage. `--profile` prints cProfile's 40 largest cumulative entries.
The baseline, in the same run, is the translation alone (PTB's `Update.de_json` and ours), which every
update pays before the engine sees it; the ratio is engine/translation.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BOT_TOKEN, bench_database, machine_line
from bench.telegram_updates import scripted_run


def translated(updates: list[dict]) -> list:
    """The engine's inbound messages for these updates, as the Telegram channel makes them."""
    from telegram import Bot, Update

    from bot.handlers.telegram_inbound import ToEngine, translate_update

    bot = Bot(BOT_TOKEN)
    translations = (translate_update(Update.de_json(data, bot), bot_username="bench_bot") for data in updates)
    return [t.inbound for t in translations if isinstance(t, ToEngine)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.citizens <= 10_000:
        parser.error("--citizens must be 1..10000")

    from bot.config import Settings
    from bot.runtime import build_runtime

    run = scripted_run(args.citizens, seed=args.seed)
    print(machine_line())
    cpu_start = time.process_time()
    messages = translated(run.stream)
    translation_cpu = (time.process_time() - cpu_start) / len(run.stream)
    with bench_database(args.db, "pmks_bench_engine") as url:
        runtime = build_runtime(Settings(_env_file=None, database_url=url))
        runtime.sync_queues()
        for message in translated(run.warmup):
            runtime.engine.handle(message)
        profiler = cProfile.Profile() if args.profile else None
        cpu_start = time.process_time()
        if profiler:
            profiler.enable()
        results = [runtime.engine.handle(message) for message in messages]
        if profiler:
            profiler.disable()
        engine_cpu = (time.process_time() - cpu_start) / len(messages)
        runtime.close()
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    print(
        f"{len(messages)} messages of {args.citizens} citizens on {args.db}, "
        f"{sum(len(r.replies) for r in results)} replies queued"
    )
    print(f"translation CPU per update: {translation_cpu * 1000:.3f} ms")
    print(f"engine CPU per message: {engine_cpu * 1000:.3f} ms{' (profiled: inflated)' if profiler else ''}")
    print(f"ratio engine/translation CPU: {engine_cpu / translation_cpu:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
