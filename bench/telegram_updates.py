"""Scripted citizens on Telegram: whole sighting and counseling conversations as Bot API update dicts.

Each citizen's conversation is rehearsed against the pure flows (`bot.flows.router`, no database), so a
button press carries the very message the bot would have sent (its text and inline keyboard, rendered by
`bot.handlers.telegram_render`), as Telegram puts it in a `callback_query`. Updates are shaped as in
tests/data/telegram and tests/helpers/telegram_chat.py. A seeded random generator makes every run feed
the same updates; `interleave` mixes the citizens as a busy hour would, keeping each one's order.

The mix: about 60 % sightings and 40 % counseling requests; most answers are button presses, with the
typing people do (a landmark instead of a pin, a description, a phone number, a story), a photo in
some sightings, a help request or an emoji where a button was expected now and then, and danger words
in a few descriptions.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.domain.regions import load_regions
from bot.flows import router
from bot.flows.base import ConversationState, FlowContext, SubmitRequest
from bot.handlers.telegram_render import render_reply
from bot.i18n import load_catalog
from bot.messages import Channel, Choice, Inbound, InboundKind, Location, Reply

BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Layanan PMKS Banten", "username": "pmks_bench_bot"}
FIRST_CHAT_ID = 700_000_000
MAX_ACTIONS = 40  # a conversation that has not finished by then is a bug in the script, not a citizen

DESCRIPTIONS = (
    "Anak kecil tidur di trotoar depan pasar setiap malam, terlihat kurus dan tidak terurus",
    "Seorang nenek mengemis di perempatan lampu merah sejak pagi sampai sore",
    "Ada bapak tua tinggal sendiri di gubuk dekat rel kereta, jarang makan",
    "Beberapa anak jalanan mengamen di terminal, usia sekitar sepuluh tahun",
    "Ibu dengan dua balita tidur di emperan toko, kelihatan kelaparan",
    "Pemulung dengan anaknya tiap hari di TPS belakang perumahan",
    "Orang dengan gangguan jiwa berkeliaran di jalan raya tanpa alas kaki",
    "Anak tetangga sering dipukul orang tuanya dan menangis sampai malam",
)
STORIES = (
    "Anak saya susah diatur sejak pindah sekolah dan sering pulang malam",
    "Saya dan suami sering bertengkar soal uang belanja",
    "Saya merasa tertekan dan tidak bisa tidur sejak kehilangan pekerjaan",
    "Remaja kami mulai merokok dan bolos sekolah",
)
LANDMARKS = (
    "Depan Pasar Rau",
    "Dekat Alun-alun",
    "Belakang terminal Pakupatan",
    "Samping masjid agung",
    "Jembatan dekat stasiun",
    "Pertigaan dekat SD negeri",
)
# Pins well inside Banten (in_banten's box), one per kabupaten/kota area.
PINS = (
    (-6.12, 106.15),
    (-6.02, 106.05),
    (-6.35, 106.25),
    (-6.30, 106.10),
    (-6.18, 106.63),
    (-6.29, 106.71),
    (-6.60, 105.95),
    (-6.35, 105.85),
)


@dataclass
class ScriptedCitizen:
    chat_id: int
    kind: str  # "sighting" | "counseling"
    updates: list[dict[str, Any]] = field(default_factory=list)


class _Rehearsal:
    """One citizen against the pure flows: decides each answer from what the bot just asked."""

    def __init__(
        self, ctx: FlowContext, rng: random.Random, chat_id: int, kind: str, ids: itertools.count, location_label: str
    ) -> None:
        self.ctx = ctx
        self.rng = rng
        self.chat_id = chat_id
        self.kind = kind
        self.ids = ids
        self.location_label = location_label
        self.state = ConversationState()
        self.first = True
        self.shown: list[dict[str, Any]] = []  # the bot's messages in this chat, newest last
        self.updates: list[dict[str, Any]] = []
        self.submitted = False
        self.detoured = False

    def run(self) -> list[dict[str, Any]]:
        opening = self.rng.random()
        if opening < 0.5:
            self._text("/start")
            self._press("menu:lapor" if self.kind == "sighting" else "menu:konseling")
        else:
            self._text("/lapor" if self.kind == "sighting" else "/konseling")
        for _ in range(MAX_ACTIONS):
            if self.submitted:
                return self.updates
            self._answer()
        raise RuntimeError(f"scripted {self.kind} did not finish: stuck at {self.state.flow}/{self._step_name}")

    # --- what the citizen does next ---------------------------------------------------------------

    @property
    def _step_name(self) -> str:
        """The open form's step ("place", "summary", ...); "" at the menu."""
        return self.state.form.step if self.state.form is not None else ""

    def _answer(self) -> None:
        step, rng = self._step_name, self.rng
        if not self.detoured and rng.random() < 0.04:  # now and then: help, or an emoji for a button
            self.detoured = True
            self._text("bantuan" if rng.random() < 0.5 else "👍👍")
            return
        if step == "place":
            if rng.random() < 0.6:
                self._location(*rng.choice(PINS))
            else:
                self._text(rng.choice(LANDMARKS))
        elif step == "description":
            self._text(rng.choice(DESCRIPTIONS))
        elif step == "phone":
            self._text(f"0812{rng.randrange(10_000_000, 99_999_999)}")
        elif step == "story":
            self._text(rng.choice(STORIES)) if rng.random() < 0.7 else self._press("skip")
        elif step == "photos" and rng.random() < 0.3:
            self._photo(f"AgACAgUAAxkBAAI{self.chat_id}")
        elif step == "summary":
            self._press("confirm:send")
        elif step == "consent":
            self._press("consent:yes")
        else:
            self._press(rng.choice(self._sensible_choices()))

    def _sensible_choices(self) -> list[str]:
        offered = [c.id for c in self._last_choices()]
        skip = ("back", "unknown", "edit", "kecpage:prev")
        sensible = [c for c in offered if not any(word in c for word in skip)]
        if "kecpage:next" in sensible and self.rng.random() < 0.85:
            sensible.remove("kecpage:next")  # most find their kecamatan on the first page
        if not sensible:
            raise RuntimeError(f"nothing sensible to press at {self.state.flow}/{self._step_name}: {offered}")
        return sensible

    def _last_choices(self) -> tuple[Choice, ...]:
        for message in reversed(self.shown):
            if message["choices"]:
                return message["choices"]
        return ()

    # --- one update each ----------------------------------------------------------------------------

    def _text(self, text: str) -> None:
        self._message({"text": text}, Inbound(**self._inbound(InboundKind.TEXT), text=text))

    def _location(self, latitude: float, longitude: float) -> None:
        self._message(
            {"location": {"latitude": latitude, "longitude": longitude}},
            Inbound(**self._inbound(InboundKind.LOCATION), location=Location(latitude, longitude)),
        )

    def _photo(self, file_id: str) -> None:
        sizes = [
            {
                "file_id": f"{file_id}-{side}" if side < 1280 else file_id,
                "file_unique_id": f"u{side}",
                "width": side,
                "height": side,
                "file_size": side * 300,
            }
            for side in (90, 320, 800, 1280)
        ]
        self._message({"photo": sizes}, Inbound(**self._inbound(InboundKind.PHOTO), media_id=file_id))

    def _press(self, data: str) -> None:
        message = next((m for m in reversed(self.shown) if any(c.id == data for c in m["choices"])), None)
        if message is None:
            raise RuntimeError(f"no message offers {data!r} at {self.state.flow}/{self._step_name}")
        update_id = next(self.ids)
        query = {
            "id": str(update_id * 7 + 1),
            "from": self._user(),
            "chat_instance": str(-self.chat_id),
            "data": data,
            "message": message["dict"],
        }
        self._step(
            {"update_id": update_id, "callback_query": query},
            Inbound(**self._inbound(InboundKind.CHOICE, update_id), choice=data),
        )

    def _message(self, content: dict[str, Any], inbound: Inbound) -> None:
        message = {
            "message_id": next(self.ids),
            "from": self._user(),
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Siti"},
            **content,
        }
        self._step({"update_id": int(inbound.message_id), "message": message}, inbound)

    def _inbound(self, kind: InboundKind, update_id: int | None = None) -> dict[str, Any]:
        return {
            "channel": Channel.TELEGRAM,
            "user_id": str(self.chat_id),
            "kind": kind,
            "language_hint": "id",
            "message_id": str(update_id if update_id is not None else next(self.ids)),
        }

    def _user(self) -> dict[str, Any]:
        return {"id": self.chat_id, "is_bot": False, "first_name": "Siti", "language_code": "id"}

    def _step(self, update: dict[str, Any], inbound: Inbound) -> None:
        self.updates.append(update)
        result = router.handle(self.state, inbound, self.ctx, first_contact=self.first)
        self.first = False
        self.state = result.state
        for output in result.outputs:
            if isinstance(output, SubmitRequest):
                self.submitted = True
            elif isinstance(output, Reply):
                self._show(output)

    def _show(self, reply: Reply) -> None:
        last = render_reply(reply, location_label=self.location_label)[-1]
        message: dict[str, Any] = {
            "message_id": next(self.ids),
            "from": BOT_USER,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Siti"},
            "text": last.text,
        }
        markup = last.reply_markup.to_dict() if last.reply_markup is not None else {}
        if "inline_keyboard" in markup:  # only an inline keyboard stays with the message
            message["reply_markup"] = markup
        self.shown.append({"dict": message, "choices": reply.choices if "inline_keyboard" in markup else ()})
        del self.shown[:-6]


def scripted_citizens(count: int, *, seed: int = 9, first_chat_id: int = FIRST_CHAT_ID) -> list[ScriptedCitizen]:
    """`count` citizens, each with the updates of one whole conversation that ends in a submitted request."""
    settings = Settings(_env_file=None)
    catalog = load_catalog()
    ctx = FlowContext("id", catalog, load_regions(), settings.emergency_numbers)
    location_label = catalog.text("id", "webchat.send_location")
    rng = random.Random(seed)
    ids = itertools.count(first_chat_id)  # update and message ids; unique across the whole run
    citizens = []
    for number in range(count):
        chat_id = first_chat_id + number
        kind = "sighting" if rng.random() < 0.6 else "counseling"
        updates = _Rehearsal(ctx, rng, chat_id, kind, ids, location_label).run()
        citizens.append(ScriptedCitizen(chat_id, kind, updates))
    return citizens


def interleave(
    citizens: list[ScriptedCitizen], *, seed: int = 9, first_update_id: int = 900_000_000
) -> list[dict[str, Any]]:
    """All updates in one stream, citizens mixed at random, each citizen's own updates in order."""
    rng = random.Random(seed)
    pending = [list(reversed(c.updates)) for c in citizens]
    stream: list[dict[str, Any]] = []
    while pending:
        index = rng.randrange(len(pending))
        # Telegram numbers updates in the order it receives them.
        stream.append({**pending[index].pop(), "update_id": first_update_id + len(stream)})
        if not pending[index]:
            pending[index] = pending[-1]
            pending.pop()
    return stream


#: Citizens whose conversations run first and are not measured: caches, pools and compiled statements warm up.
WARMUP_CITIZENS = 20


@dataclass(frozen=True)
class ScriptedRun:
    """The warm-up stream and the measured one, from `WARMUP_CITIZENS + measured` scripted citizens."""

    citizens: list[ScriptedCitizen]
    warmup: list[dict[str, Any]]
    stream: list[dict[str, Any]]

    @property
    def measured(self) -> list[ScriptedCitizen]:
        return self.citizens[WARMUP_CITIZENS:]


def scripted_run(measured: int, *, seed: int = 9) -> ScriptedRun:
    """What inbound.py and engine.py feed: the same citizens and order for the same `measured` and `seed`."""
    citizens = scripted_citizens(WARMUP_CITIZENS + measured, seed=seed)
    return ScriptedRun(
        citizens,
        warmup=interleave(citizens[:WARMUP_CITIZENS], seed=seed, first_update_id=100_000_000),
        stream=interleave(citizens[WARMUP_CITIZENS:], seed=seed),
    )
