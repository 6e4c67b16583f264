"""Load the YAML message catalogs and render texts by key.

Keys are dotted paths into the YAML files (`sighting.ask_category`). A key missing from a language falls
back to Indonesian, the service's default; a test keeps both catalogs complete and their placeholders
in step, so the fallback is a safety net, not a habit.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOG_DIR = Path(__file__).resolve().parent
LANGUAGES: tuple[str, ...] = ("id", "en")
FALLBACK = "id"


class Catalog:
    """Texts of every language, flattened to `{language: {key: template}}`."""

    def __init__(self, texts: dict[str, dict[str, Any]]) -> None:
        self._texts = texts

    def text(self, language: str, key: str, /, **params: Any) -> str:
        """Render `key` in `language` with `str.format` parameters."""
        table = self._texts.get(language) or self._texts[FALLBACK]
        template = table.get(key)
        if template is None:
            template = self._texts[FALLBACK][key]
        text: str = template.format(**params) if params else template
        return text

    def words(self, language: str, key: str) -> tuple[str, ...]:
        """A list entry (e.g. danger words); lists are merged over all languages where asked."""
        table = self._texts.get(language) or self._texts[FALLBACK]
        value = table.get(key, self._texts[FALLBACK].get(key, ()))
        return tuple(value)

    def words_all_languages(self, key: str) -> tuple[str, ...]:
        """A list entry from every language: a citizen may mix Indonesian and English."""
        merged: dict[str, None] = {}
        for language in LANGUAGES:
            for word in self._texts[language].get(key, ()):
                merged[word] = None
        return tuple(merged)

    def section(self, language: str, prefix: str) -> dict[str, str]:
        """Every text under `prefix.` (e.g. the web chat page's strings), keyed by the rest of the key."""
        table = self._texts.get(language) or self._texts[FALLBACK]
        start = f"{prefix}."
        fallback = {k[len(start) :]: v for k, v in self._texts[FALLBACK].items() if k.startswith(start)}
        return fallback | {k[len(start) :]: v for k, v in table.items() if k.startswith(start)}

    def keys(self, language: str) -> set[str]:
        return set(self._texts[language])

    def names_under(self, prefix: str) -> list[str]:
        """The names one level below `prefix` ("understand.category" -> the category codes), in file order."""
        start = f"{prefix}."
        names: dict[str, None] = {}
        for language in LANGUAGES:
            for key in self._texts[language]:
                if key.startswith(start):
                    names[key[len(start) :].split(".", 1)[0]] = None
        return list(names)


def _flatten(prefix: str, node: Any, into: dict[str, Any]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, into)
    else:
        into[prefix] = node


@cache
def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """Read each language's texts (`id.yaml`) and vocabulary (`understand.id.yaml`) once per process."""
    texts: dict[str, dict[str, Any]] = {}
    for language in LANGUAGES:
        flat: dict[str, Any] = {}
        for name in (f"{language}.yaml", f"understand.{language}.yaml"):
            _flatten("", yaml.safe_load((directory / name).read_text(encoding="utf-8")), flat)
        texts[language] = flat
    return Catalog(texts)
