"""Message catalogs: every citizen- and staff-facing text, Indonesian first, English second."""

from bot.i18n.catalog import Catalog, load_catalog

__all__ = ["Catalog", "load_catalog"]
