"""Both catalogs hold the same keys with the same placeholders, and every code has a label."""

from __future__ import annotations

import string

import pytest

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES, PMKS_GROUPS
from bot.i18n import load_catalog
from bot.i18n.catalog import LANGUAGES


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


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_promise_of_contact_names_the_way_chosen_and_no_other(language: str) -> None:
    """The "taken up" notice: the chat or the phone as chosen, and no contact at all for the anonymous."""
    catalog = load_catalog()
    chat, phone = catalog.text(language, "contact_way.chat"), catalog.text(language, "contact_way.phone")
    assert chat in catalog.text(language, "update.claimed_chat") and phone not in catalog.text(
        language, "update.claimed_chat"
    )
    assert phone in catalog.text(language, "update.claimed_phone") and chat not in catalog.text(
        language, "update.claimed_phone"
    )
    anonymous = catalog.text(language, "update.claimed").lower()
    assert not any(word in anonymous for word in ("menghubungi", "contact", "chat", "telepon", "phone"))
