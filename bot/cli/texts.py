"""What the command-line tools say to the operator, from the catalogs (`cli.` keys).

Why the catalogs: the operator is staff, and staff-facing text lives in `bot/i18n` in the service's
default language (Indonesian first, English second), so a refusal does not mix an English prefix with an
Indonesian reason. argparse's own `--help` texts stay English.
"""

from __future__ import annotations

import sys
from typing import Any

from bot.i18n import load_catalog


def cli_text(language: str, key: str, /, **params: Any) -> str:
    """The text of `cli.<key>` in `language`."""
    return load_catalog().text(language, f"cli.{key}", **params)


def say(language: str, key: str, /, *, error: bool = False, **params: Any) -> None:
    """Print `cli.<key>`: to standard error when it explains a refusal, flushed (a service log may follow)."""
    print(cli_text(language, key, **params), file=sys.stderr if error else sys.stdout, flush=True)
