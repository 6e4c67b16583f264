"""`python -m tests.helpers.serve`: `python -m bot serve` for test subprocesses.

The one difference: the Telegram channel's texts that are not in `bot/i18n/*.yaml` yet
(`tests.helpers.telegram_chat.PENDING_TEXTS`) are added to the catalog, as `with_telegram_texts` does
in process; the real catalog wins for every key it has, so this becomes a no-op once they land.
"""

from __future__ import annotations

import sys

import bot.runtime
from bot.__main__ import main
from bot.i18n import Catalog
from tests.helpers.telegram_chat import PENDING_TEXTS

_real_load_catalog = bot.runtime.load_catalog


def _catalog_with_pending_texts() -> Catalog:
    catalog = _real_load_catalog()
    texts = {lang: {**PENDING_TEXTS.get(lang, {}), **table} for lang, table in catalog._texts.items()}
    return Catalog(texts)


if __name__ == "__main__":
    bot.runtime.load_catalog = _catalog_with_pending_texts
    sys.exit(main(["serve"]))
