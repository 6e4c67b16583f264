"""The understanding corpus run through the real engine and judged as a citizen would notice it.

Each entry (README.md here) is typed by a new contact at its point of the conversation; what the service
then did is read back from the conversation row and the replies: the form it opened, the answers it
filled, the "Maksud Anda ...?" options it offered, whether it named a place outside Banten, showed the
emergency numbers, looked up a ticket. Used by tests/understanding/test_corpus.py and
bench/understanding.py.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from bot.engine import ConversationEngine
from bot.flows.state import EDIT, SUMMARY, ConversationState, Side, from_row
from bot.i18n import Catalog
from bot.messages import Channel, Reply
from storage.models import Contact, Conversation
from tests.helpers.chat import Chat

CORPUS = Path(__file__).resolve().parent / "corpus"
ROUTING_KEYS = ("category", "topic", "region", "kecamatan")
_users = itertools.count(1)

#: Presses that bring a new contact to each point; "kecamatan" adds the entry's region.
_SIGHTING_TO_REGION = ("menu:lapor", "grp:anak", "cat:anak_jalanan")
_COUNSELING_TO_WHOM = ("menu:konseling", "topic:konflik_keluarga", "reg:kota-serang")
PATHS: Mapping[str, tuple[str, ...]] = {
    "menu": (),
    "category": ("menu:lapor",),
    "topic": ("menu:konseling",),
    "region": _SIGHTING_TO_REGION,
    "kecamatan": _SIGHTING_TO_REGION,
    "contact": (*_SIGHTING_TO_REGION, "reg:unknown", "text:depan pasar", "text:anak kecil tidur di trotoar", "skip"),
    "whom": _COUNSELING_TO_WHOM,
    "time": (*_COUNSELING_TO_WHOM, "whom:self", "way:chat"),
    "confirm": (*_COUNSELING_TO_WHOM, "whom:self", "way:chat", "time:morning", "skip", "consent:yes"),
}


@dataclass(frozen=True)
class Entry:
    text: str
    at: str
    expect: Mapping[str, Any]
    region: str = ""
    note: str = ""


@dataclass
class Verdict:
    """What the service took (`taken`), offered to confirm (`offered`), and how that compares."""

    entry: Entry
    taken: dict[str, Any] = field(default_factory=dict)
    offered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The form the citizen ends up in ("report" or "counseling"), after pressing "Maksud Anda ...?".
    form: str | None = None

    @property
    def understood(self) -> bool:
        return not self.wrong and not self.missed


def parts() -> tuple[str, ...]:
    """Every part of the corpus here: the tuning ones in the order written ("tuning", "tuning_2", ...), then
    the held-out ones."""

    def order(name: str) -> tuple[bool, int]:
        number = name.rpartition("_")[2]
        return is_held_out(name), int(number) if number.isdigit() else 1

    return tuple(sorted((path.stem for path in CORPUS.glob("*.yaml")), key=order))


def is_held_out(name: str) -> bool:
    """A part never tuned on, whose messages are never printed."""
    return name.startswith("held_out")


def load(name: str) -> list[Entry]:
    """`tuning` or `held_out`; yes/no answers are strings whatever YAML made of them."""
    raw = yaml.safe_load((CORPUS / f"{name}.yaml").read_text(encoding="utf-8"))
    entries = []
    for item in raw:
        expect = {k: _plain(k, v) for k, v in item["expect"].items()}
        entries.append(Entry(str(item["text"]), item["at"], expect, item.get("region", ""), item.get("note", "")))
    return entries


def _plain(key: str, value: Any) -> Any:
    """YAML 1.1 reads an unquoted yes/no as a boolean; the `answer` key means the words."""
    if key == "answer" and isinstance(value, bool):
        return "yes" if value else "no"
    return value


def run(engine: ConversationEngine, entries: list[Entry], catalog: Catalog) -> Iterator[Verdict]:
    for entry in entries:
        yield judge_one(engine, entry, catalog)


def judge_one(engine: ConversationEngine, entry: Entry, catalog: Catalog) -> Verdict:
    user = f"corpus-{next(_users)}"
    if entry.at == "first":
        chat = Chat(engine, user_id=user, channel=Channel.TELEGRAM)
    else:
        chat = Chat(engine, user_id=user)
        chat.start()
        for step in (*PATHS[entry.at], *((f"reg:{entry.region}",) if entry.at == "kecamatan" else ())):
            chat.send(step[5:]) if step.startswith("text:") else chat.press(step)
    before = _state(engine, chat)
    started = time.perf_counter()
    replies = chat.send(entry.text)
    seconds = time.perf_counter() - started
    after = _state(engine, chat)
    verdict = Verdict(entry, replies=[r.text for r in replies], seconds=seconds)
    _read_outcome(verdict, before, after, replies, catalog, engine)
    wanted = entry.expect.get("intent")
    if after.clarify is not None and after.clarify.slot == "form":
        # "Report or counseling?": the citizen presses what they meant, and the story fills that form.
        pick = _wanted_among(wanted, after.clarify.options)
        if pick is not None:
            pressed = chat.press(f"mean:{pick}")
            verdict.form = pick
            _read_outcome(verdict, before, _state(engine, chat), pressed, catalog, engine)
            verdict.taken.pop("intent", None)
    _follow_confirmation(verdict, chat, before, catalog, engine)
    _compare(verdict, before, _state(engine, chat))
    return verdict


def _wanted_among(wanted: Any, options: tuple[str, ...]) -> str | None:
    return next((w for w in (wanted if isinstance(wanted, list) else [wanted]) if w in options), None)


def _follow_confirmation(
    verdict: Verdict, chat: Chat, before: ConversationState, catalog: Catalog, engine: ConversationEngine
) -> None:
    """ "Maksud Anda: Pengemis?" asked of a story: the citizen presses the category or topic meant, and what
    the story says of the next question is offered then ("... di tangerang": Kota or Kabupaten?)."""
    state = _state(engine, chat)
    asked = state.form.clarify if state.form is not None else None
    if asked is None or asked.slot not in ("category", "topic"):
        return
    pick = _wanted_among(_plain_values(verdict.entry.expect.get(asked.slot)), asked.options)
    if pick is not None:
        pressed = chat.press(f"mean:{pick}")
        offered = dict(verdict.offered)
        _read_outcome(verdict, before, _state(engine, chat), pressed, catalog, engine)
        verdict.offered.update({k: v for k, v in offered.items() if k not in verdict.offered})
        verdict.taken.pop(asked.slot, None)  # pressed among those offered: still counted as offered


def _plain_values(expected: Any) -> Any:
    """The values an entry allows for a key, whatever its shape ({ask: [...]} is offered, so pressable)."""
    return expected["ask"] if isinstance(expected, dict) else expected


def _state(engine: ConversationEngine, chat: Chat) -> ConversationState:
    db = engine._db  # the test's own database: read back what the engine stored
    with Session(db) as session:
        row = session.exec(select(Conversation).join(Contact).where(Contact.platform_user_id == chat.user_id)).first()
        return ConversationState() if row is None else from_row(row.flow, row.step, row.data)


def _read_outcome(
    verdict: Verdict,
    before: ConversationState,
    after: ConversationState,
    replies: list[Reply],
    catalog: Catalog,
    engine: ConversationEngine,
) -> None:
    text = "\n".join(r.text for r in replies)
    t = lambda key, **p: catalog.text("id", key, **p)  # noqa: E731
    taken, offered = verdict.taken, verdict.offered
    form_before = before.form.answers if before.form else {}
    new_form = after.form is not None and (before.form is None or before.form.name != after.form.name)
    if after.form is not None:
        answers = after.form.answers
        for key in (
            "category",
            "topic",
            "region",
            "kecamatan",
            "contact_mode",
            "contact_way",
            "for_whom",
            "contact_time",
        ):
            value = answers.get(key)
            if key in answers and form_before.get(key) != value and value not in ("unknown", "belum_ditentukan"):
                taken[_KEY_OF_SLOT.get(key, key)] = value
        if after.form.clarify is not None:
            asked = after.form.clarify
            offered[_KEY_OF_SLOT.get(asked.slot, asked.slot)] = asked.options
            if asked.slot == "kecamatan":
                offered["region"] = tuple(engine._regions.kecamatan(c).region for c in asked.options)
            if asked.slot == "region" and "outside" in asked.options:
                offered["outside_banten"] = (True,)
        if before.form is not None and before.form.step != after.form.step and after.form.step == EDIT:
            taken["answer"] = "no"
        if before.form is not None and before.form.step == SUMMARY and after.form.answers != before.form.answers:
            taken["answer"] = "no"  # a correction typed at the summary: "bukan cikupa tp cisoka"
    if new_form:
        taken["intent"] = "report" if after.form.name == "report_sighting" else "counseling"
    if after.clarify is not None and after.clarify.slot == "form":
        offered["intent"] = after.clarify.options
    if before.form is not None and before.form.step == "summary" and after.form is None and "Kode tiket" in text:
        taken["answer"] = "yes"
    if (
        before.form is not None
        and before.form.step == "consent"
        and after.form is not None
        and after.form.answers.get("consent")
    ):
        taken["answer"] = "yes"
    if after.side is Side.ERASE and before.side is not Side.ERASE:
        taken["intent"] = "erase"
    if after.side is Side.LANGUAGE and before.side is not Side.LANGUAGE:
        taken["intent"] = "language"
    if after.side is Side.STATUS or ("Tiket " in text and ("tidak ditemukan" in text or "Status:" in text)):
        taken["intent"] = "status"
    if after.side is Side.CANCEL or t("cancel.nothing") in text:
        taken["intent"] = "cancel"
    if t("help.text").splitlines()[0] in text or any(
        catalog.text("id", f"faq.{q}").split("{")[0].split(".")[0] in text for q in catalog.names_under("faq")
    ):
        taken.setdefault("intent", "help")  # an answer about the service; a form it opened stays the intent
    if t("privacy.data_title") in text:
        taken["intent"] = "my_data"
    if "intent" not in taken and (t("menu.thanks_back") in text or t("common.thanks_back") in text):
        taken["intent"] = "thanks"
    quiet = after.form is None and after.clarify is None
    if "intent" not in taken and quiet and (t("menu.greeting_back") in text or text.startswith("Halo! Ini layanan")):
        taken["intent"] = "greeting"
    if "berada di luar Provinsi Banten" in text:
        taken["outside_banten"] = True
    if t("safety.emergency").split("{")[0] in text:
        taken["danger"] = True
    for code in _codes_in(text):
        taken["ticket"] = code


_INTENT_OF_FORM = {"report_sighting": "report", "request_counseling": "counseling"}
#: The corpus key of a form answer whose name differs (the counseling form's "contact_way").
_KEY_OF_SLOT = {"contact_way": "contact_mode"}


def _codes_in(text: str) -> list[str]:
    import re

    return re.findall(r"Tiket ([A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3})", text)


def _compare(verdict: Verdict, before: ConversationState, after: ConversationState) -> None:
    """Wrong: a value taken that the entry does not allow. Missed: an expected meaning neither taken nor offered.

    A meaning the conversation already held before the message (the region chosen before the kecamatan
    question) counts as understood when it is one the entry allows; so does the form the citizen was
    already in and stays in ("adik sy dipukulin suaminya" typed at the report's category question is a report).
    """
    expect, taken, offered = verdict.entry.expect, verdict.taken, verdict.offered
    held = dict(before.form.answers) if before.form else {}
    if before.form is not None and after.form is not None and before.form.name == after.form.name:
        held["intent"] = _INTENT_OF_FORM[before.form.name]
    moot = _other_forms_keys(expect.get("intent"), verdict.form or taken.get("intent") or held.get("intent"))
    if before.form is not None and before.form.name == "request_counseling" and verdict.entry.at == "confirm":
        # A fix typed at the counseling summary: that form holds no category and no kecamatan to change.
        moot = (*moot, "category", "kecamatan")
    for key, value in taken.items():
        if key == "danger":
            continue  # showing the emergency numbers once too often is not a misroute
        if key == "intent" and key not in expect:
            if value in ("report", "counseling") and expect.get("unclear"):
                verdict.wrong.append(key)
            continue
        if key not in expect:
            # A kecamatan of the region meant is detail, not a misroute ("rangkas": Rangkasbitung, Lebak).
            same_region = (
                key == "kecamatan"
                and taken.get("region")
                and _allows(expect.get("region"), taken["region"], taken=True)
            )
            if key in (*ROUTING_KEYS, "outside_banten") and not same_region:
                verdict.wrong.append(key)
            continue
        if not _allows(expect[key], value, taken=True):
            verdict.wrong.append(key)
    for key, value in expect.items():
        if key == "unclear":
            continue
        if key in taken and _allows(value, taken[key], taken=True):
            continue
        if key in offered and any(_allows(value, o, taken=False) for o in offered[key]):
            continue
        if key in held and _allows(value, held[key], taken=True):
            continue
        if key not in taken and key not in moot:
            verdict.missed.append(key)


def _other_forms_keys(expected: Any, taken: Any) -> tuple[str, ...]:
    """The details only the form not chosen asks, when the entry allows either form.

    "Kakak saya dipukul suaminya" fits a report (category korban_kekerasan) and counseling (topic kdrt)
    alike; the citizen in the counseling form is never asked a category, so it cannot be missed there.
    """
    if not (isinstance(expected, list) and {"report", "counseling"} <= set(expected)):
        return ()
    return {"counseling": ("category",), "report": ("topic", "for_whom")}.get(taken, ())


def _allows(expected: Any, value: Any, *, taken: bool) -> bool:
    """Whether `value` fits `expected`: one value, a list of values, or {ask: [...]} (only asking is right)."""
    if isinstance(expected, dict) and "ask" in expected:
        return not taken and any(_same(e, value) for e in expected["ask"])
    if isinstance(expected, list):
        return any(_same(e, value) for e in expected)
    return _same(expected, value)


def _same(expected: Any, value: Any) -> bool:
    if isinstance(expected, str) and isinstance(value, str):
        return expected.lower() == value.lower() or expected == _kecamatan_name(value)
    return expected == value


_KECAMATAN_NAMES: dict[str, str] = {}


def _kecamatan_name(code: str) -> str:
    if not _KECAMATAN_NAMES:
        from bot.domain.regions import load_regions

        regions = load_regions()
        _KECAMATAN_NAMES.update({k.code: k.name.split(" (")[0] for r in regions.regions for k in r.kecamatan})
    return _KECAMATAN_NAMES.get(code, code)
