"""Dates and times as people read them: "Selasa, 24 Nov 2026 10.00 WIB", names from the catalogs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n.catalog import Catalog


def format_datetime(catalog: Catalog, language: str, moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    day = catalog.words(language, "dates.days")[local.weekday()]
    month = catalog.words(language, "dates.months")[local.month - 1]
    return catalog.text(
        language,
        "dates.datetime",
        day=day,
        date=local.day,
        month=month,
        year=local.year,
        time=local.strftime(catalog.text(language, "dates.time_format")),
    )
