"""A renderer for texts outside a flow (services, scheduled work): catalog, time zone, numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n.catalog import Catalog
from bot.i18n.dates import format_datetime


@dataclass(frozen=True)
class Renderer:
    catalog: Catalog
    tz: ZoneInfo
    numbers: Mapping[str, str] = field(default_factory=dict)

    def text(self, language: str, key: str, /, **params: Any) -> str:
        return self.catalog.text(language, key, **{**self.numbers, **params})

    def when(self, language: str, moment: datetime | str) -> str:
        """A UTC moment (or its ISO text) as the recipient reads it, in WIB."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return format_datetime(self.catalog, language, moment, self.tz)
