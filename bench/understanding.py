"""How well and how fast the service understands what citizens type (issue 15).

    .venv/bin/python bench/understanding.py                # every corpus
    .venv/bin/python bench/understanding.py --corpus tuning_6 --show

Each corpus in tests/understanding/corpus/ is run through the real engine (SQLite) as in
tests/understanding/test_corpus.py: the share understood at the first answer (or confirmed with the
right option offered), the meanings taken wrongly without asking (and of those, the misroutes: a wrong
category, topic, region or kecamatan), and a confusion table of the keys that were wrong or missed, by
the point of the conversation. `--show` prints the messages behind them, never for the held-out parts:
reading those while tuning would make them tuning sets.

Then the understanding step alone (`Understanding.read`, pure): time per message, cold (no word seen
before) and warm, over every corpus message, and its ratio to a baseline measured in the same run: the
typed-label matching it replaces (`match_choice` against the menu's six labels). The last line holds the
figures and their targets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter

from common import bench_database, machine_line, percentile

from bot.config import Settings
from bot.flows.base import FlowContext, match_choice
from bot.flows.menu import menu_reply
from bot.messages import Channel, Inbound, InboundKind
from bot.runtime import build_runtime
from bot.understanding import understanding_for
from tests.understanding.corpus import is_held_out, judge_one, load, parts

ROUTING_KEYS = {"category", "topic", "region", "kecamatan"}
TARGET_SHARE, TARGET_WRONG, TARGET_MS = 0.90, 0, 1.0


def _existing(names: tuple[str, ...]) -> list[str]:
    from tests.understanding.corpus import CORPUS

    return [n for n in names if (CORPUS / f"{n}.yaml").exists()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", help="one corpus (repeatable); default: every one")
    parser.add_argument("--show", action="store_true", help="print the messages not understood or taken wrongly")
    args = parser.parse_args()
    names = _existing(tuple(args.corpus or parts()))
    print(machine_line())
    figures: dict[str, tuple[float, int, int]] = {}  # share understood, wrong, misrouted
    texts: list[str] = []
    with bench_database("sqlite", "pmks_bench_understanding") as url:
        runtime = build_runtime(Settings(_env_file=None, database_url=url))
        runtime.sync_queues()
        for name in names:
            entries = load(name)
            texts += [e.text for e in entries]
            verdicts = [judge_one(runtime.engine, entry, runtime.catalog) for entry in entries]
            share = sum(v.understood for v in verdicts) / len(verdicts)
            wrong = [v for v in verdicts if v.wrong]
            misrouted = sum(1 for v in wrong if ROUTING_KEYS & set(v.wrong))
            figures[name] = (share, len(wrong), misrouted)
            confusion = Counter((v.entry.at, f"wrong {k}") for v in verdicts for k in v.wrong)
            confusion.update((v.entry.at, f"missed {k}") for v in verdicts for k in v.missed)
            print(
                f"\n{name}: {len(verdicts)} messages, {share:.1%} understood at the first answer, "
                f"{len(wrong)} taken wrongly ({misrouted} of them a wrong category, topic or place)"
            )
            by_point = Counter(v.entry.at for v in verdicts)
            understood = Counter(v.entry.at for v in verdicts if v.understood)
            print("  by point: " + ", ".join(f"{at} {understood[at]}/{n}" for at, n in by_point.items()))
            if confusion:
                print("  confusions: " + ", ".join(f"{at}: {what} x{n}" for (at, what), n in confusion.most_common()))
            if args.show and not is_held_out(name):
                for v in verdicts:
                    if not v.understood:
                        print(
                            f"    [{v.entry.at}] {v.entry.text!r}\n      expected {dict(v.entry.expect)}; "
                            f"took {v.taken}; offered {v.offered}"
                        )
        runtime.close()
    cold, warm, baseline = _timings(texts)
    print(
        f"\nunderstanding step alone, {len(texts)} messages: cold mean {cold * 1000:.3f} ms, warm mean "
        f"{statistics.mean(warm) * 1000:.3f} ms, p50 {percentile(warm, 0.5) * 1000:.3f} ms, "
        f"p99 {percentile(warm, 0.99) * 1000:.3f} ms"
    )
    print(
        f"baseline (typed-label matching it replaces): {baseline * 1000:.4f} ms per message; "
        f"ratio {statistics.mean(warm) / baseline:.0f}x"
    )
    held_text = (
        "; ".join(
            f"{n} {s:.1%} understood, {w} wrong, {m} misrouted" for n, (s, w, m) in figures.items() if is_held_out(n)
        )
        or "held-out not run"
    )
    held_text += f" (targets {TARGET_SHARE:.0%}, {TARGET_WRONG} misrouted)"
    tuned = [f"{n} {s:.1%}/{w} wrong" for n, (s, w, _) in figures.items() if not is_held_out(n)]
    print(
        f"understanding: {held_text}; tuning {', '.join(tuned) or '-'}; {statistics.mean(warm) * 1000:.2f} ms "
        f"per message warm, {cold * 1000:.2f} ms cold (target < {TARGET_MS:g} ms)"
    )
    return 0


def _timings(texts: list[str]) -> tuple[float, list[float], float]:
    """Cold mean, warm per-message times, and the baseline's mean, all on this machine now."""
    from bot.domain.regions import load_regions
    from bot.i18n import load_catalog

    catalog, regions = load_catalog(), load_regions()
    understanding = understanding_for(catalog, regions)
    understanding.read.cache_clear()
    understanding.shaper.key.cache_clear()
    understanding.meant_key.cache_clear()
    started = time.perf_counter()
    for text in texts:
        understanding._read(text)
    cold = (time.perf_counter() - started) / len(texts)
    warm = []
    for text in texts:
        started = time.perf_counter()
        understanding._read(text)  # the message cache bypassed: the words are known, the message is not
        warm.append(time.perf_counter() - started)
    ctx = FlowContext(
        "id", catalog, regions, {"emergency_number": "112", "sapa_phone": "129", "sapa_whatsapp": "08111-129-129"}
    )
    choices = menu_reply(ctx).choices
    inbounds = [Inbound(Channel.WEBCHAT, "bench", str(n), InboundKind.TEXT, text=t) for n, t in enumerate(texts)]
    started = time.perf_counter()
    for _ in range(5):
        for inbound in inbounds:
            match_choice(inbound, choices)
    baseline = (time.perf_counter() - started) / (5 * len(inbounds))
    return cold, warm, baseline


if __name__ == "__main__":
    sys.exit(main())
