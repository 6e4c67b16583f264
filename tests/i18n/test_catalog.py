"""Both catalogs hold the same keys with the same placeholders, and every code has a label."""

from __future__ import annotations

import string

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES, PMKS_GROUPS
from bot.i18n import load_catalog


def _placeholders(template: object) -> set[str]:
    if not isinstance(template, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_languages_have_the_same_keys_and_placeholders() -> None:
    catalog = load_catalog()
    assert catalog.keys("id") == catalog.keys("en")
    for key in catalog.keys("id"):
        if isinstance(catalog._texts["id"][key], str):
            assert _placeholders(catalog._texts["id"][key]) == _placeholders(catalog._texts["en"][key]), key


def test_every_category_group_and_topic_has_a_label_in_both_languages() -> None:
    catalog = load_catalog()
    for language in ("id", "en"):
        keys = catalog.keys(language)
        assert {f"pmks.{c}" for c in PMKS_CATEGORIES} <= keys
        assert {f"pmks_group.{g}" for g in PMKS_GROUPS} <= keys
        assert {f"topic.{t}" for t in COUNSELING_TOPICS} <= keys


def test_danger_vocabulary_merges_both_languages() -> None:
    catalog = load_catalog()
    assert {"bunuh diri", "suicide"} <= set(catalog.words_all_languages("understand.danger.self_harm"))
    assert {"diculik", "kidnapped"} <= set(catalog.words_all_languages("understand.danger.captive"))
