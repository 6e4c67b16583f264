"""Every flow step with whatever a citizen (or a broken client) may send: no exception, no lost answer.

`bot.flows.router.handle` is driven directly (pure: no database), from states reached by a random
prefix of a real transcript and then random messages: text of any kind (20,000 characters, only emoji,
control characters, right-to-left script, SQL and HTML), button ids (offered, stale, forged), pins inside
and outside Banten, photos and content we cannot take.

The answer invariant: every answer held before a step (in the open form, in a draft waiting behind the
menu, or in the form a side question returns to) is still held after it, unless the step was an explicit
change (the summary's "Ubah", "Kembali" on the category, declining consent drops the way to be reached), a confirmed
cancel of that form, a confirmed erasure, or the form was sent (then the answers are in `SubmitRequest`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.regions import BANTEN_BOX, REGION_CODES, load_regions
from bot.flows import router
from bot.flows.base import EraseMyData, FlowContext, StepResult, SubmitRequest
from bot.flows.state import EDIT, ConversationState, Side, from_row, to_row
from bot.i18n import load_catalog
from bot.messages import Channel, Choice, Inbound, InboundKind, Location, PhotoProblem, Reply

CTX = FlowContext(
    "id",
    load_catalog(),
    load_regions(),
    {"emergency_number": "112", "sapa_phone": "129", "sapa_whatsapp": "08111-129-129"},
)
#: FUZZ_EXAMPLES=2000 for a longer hunt; the default keeps `make test` quick.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Happy paths through both forms: a random prefix of one puts the fuzzer deep inside a form.
SIGHTING = (
    ("choice", "menu:lapor"),
    ("choice", "grp:anak"),
    ("choice", "cat:anak_jalanan"),
    ("choice", "reg:kota-serang"),
    ("text", "kasemen"),
    ("location", (-6.05, 106.17)),
    ("text", "anak kecil tidur di trotoar"),
    ("choice", "skip"),
    ("choice", "contact:phone"),
    ("text", "081234567890"),
    ("choice", "consent:yes"),
)
COUNSELING = (
    ("choice", "menu:konseling"),
    ("choice", "topic:konflik_keluarga"),
    ("choice", "reg:kab-lebak"),
    ("choice", "whom:self"),
    ("choice", "way:phone"),
    ("text", "+62 812 3456 7890"),
    ("choice", "time:morning"),
    ("choice", "skip"),
    ("choice", "consent:yes"),
)
#: Ids that exist somewhere in the service: pressed on an old keyboard they are stale, not forged.
KNOWN_IDS = (
    "menu:lapor",
    "menu:konseling",
    "menu:resume",
    "menu:status",
    "menu:dataku",
    "menu:bahasa",
    "grp:anak",
    "grp:korban",
    "cat:back",
    "cat:pengemis",
    "reg:unknown",
    "reg:kab-serang",
    "kec:unknown",
    "kecpage:next",
    "kecpage:prev",
    "skip",
    "contact:anonymous",
    "consent:no",
    "consent:yes",
    "confirm:send",
    "confirm:edit",
    "edit:region",
    "edit:none",
    "edit:phone",
    "cancel:yes",
    "cancel:no",
    "erase:yes",
    "erase:no",
    "lang:en",
    "lang:id",
    "status:back",
    "topic:kdrt",
    "way:chat",
    "appt:1",
    "rate:5",
    "better:yes",
    "apptother:3",
    "safe:1:yes",
    "safe:1:later",
    "safe:x",
)
SPECIAL_TEXTS = (
    "x" * 20_000,
    "9" * 20_000,
    "😀" * 300,
    "🙏🏽👨‍👩‍👧",
    "\x00\x01\x1b[2J\x7f",
    "\u202edesrever\u202c",
    "مرحبا بالعالم",
    "שלום",
    "'; DROP TABLE request; --",
    "<script>alert(1)</script>",
    "Robert'); --",
    "batal",
    "/batal",
    "menu",
    "/start",
    "/start lapor_kota-serang",
    "/start konseling_kab-lebak",
    "/start x_y",
    "status ABC-DEF",
    "status",
    "bahasa",
    "bantuan",
    "hapusdata",
    "/dataku",
    "tautkan 123456",
    "1",
    "0",
    "99",
    "tolong saya dipukul",
    "kirim",
    "ubah",
    "   ",
    "",
    "\n\n",
    "ABCDEF",
    "O0I1lL",
    "\ufeff",
    "ｋｉｒｉｍ",
)


def _inbound(kind: str, value: object, n: int) -> Inbound:
    common = {"channel": Channel.WEBCHAT, "user_id": "fuzz", "message_id": f"m{n}"}
    if kind == "text":
        return Inbound(kind=InboundKind.TEXT, text=str(value), **common)
    if kind == "choice":
        return Inbound(kind=InboundKind.CHOICE, choice=str(value), **common)
    if kind == "location":
        latitude, longitude = value  # type: ignore[misc]
        return Inbound(kind=InboundKind.LOCATION, location=Location(latitude, longitude), **common)
    if kind == "photo":  # as the engine hands photos to flows: stored ("photo:<id>"), or refused
        if value:
            return Inbound(kind=InboundKind.PHOTO, photo_ref=f"photo:{n}", **common)
        return Inbound(kind=InboundKind.PHOTO, photo_problem=PhotoProblem.NOT_A_PHOTO, **common)
    return Inbound(kind=InboundKind.UNSUPPORTED, unsupported_what=str(value), **common)


finite = {"allow_nan": False, "allow_infinity": False}
south, north, west, east = BANTEN_BOX
LOCATIONS = st.one_of(
    st.tuples(st.floats(south, north, **finite), st.floats(west, east, **finite)),  # inside Banten
    st.tuples(st.floats(-90, 90, **finite), st.floats(-180, 180, **finite)),  # anywhere
    st.sampled_from([(-6.914, 107.609), (0.0, 0.0), (90.0, 180.0), (-90.0, -180.0), (-5.8, 105.05)]),
)
TEXTS = st.one_of(
    st.text(max_size=300),
    st.sampled_from(SPECIAL_TEXTS),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
)


def random_inbound(data: st.DataObject, offered: tuple[Choice, ...]) -> tuple[str, object]:
    """One message: often a button the last reply offered (so forms move on), else anything."""
    options = ["text", "choice_forged", "choice_known", "location", "photo", "unsupported"]
    if offered:
        options += ["choice_offered"] * 4
    kind = data.draw(st.sampled_from(options))
    if kind == "choice_offered":
        return "choice", data.draw(st.sampled_from([c.id for c in offered]))
    if kind == "choice_known":
        return "choice", data.draw(st.sampled_from(KNOWN_IDS))
    if kind == "choice_forged":
        return "choice", data.draw(st.text(max_size=64))
    if kind == "text":
        return "text", data.draw(TEXTS)
    if kind == "location":
        return "location", data.draw(LOCATIONS)
    if kind == "photo":
        return "photo", data.draw(st.one_of(st.just(""), st.text(max_size=200)))
    return "unsupported", data.draw(st.sampled_from(["voice", "sticker", "edit", "video", "", "x" * 100]))


def held_answers(state: ConversationState) -> Iterator[tuple[str, frozenset[str]]]:
    """(form, answered keys) for the open form (also under a side question) and the drafts behind the menu."""
    for form in (state.form, *state.drafts):
        if form is not None:
            yield form.name, frozenset(form.answers)


def allowed_removals(before: ConversationState, sent: tuple[str, object]) -> dict[str, frozenset[str] | None]:
    """What this step may drop explicitly, per form (None: everything of that form)."""
    allowed: dict[str, frozenset[str] | None] = {}
    form = before.form
    if form is None:
        return allowed
    if before.side is Side.CANCEL:
        allowed[form.name] = None  # "Ya, batalkan": that form, and only that form
    elif before.side is not None:
        return allowed
    elif form.step == EDIT:
        allowed[form.name] = None  # "which answer to change?": the chosen one (and its dependants) go
    elif form.name == "report_sighting" and form.step == "category":
        allowed[form.name] = frozenset({"group"})  # "Kembali" to the group question
    elif form.name == "report_sighting" and form.step == "consent":
        allowed[form.name] = frozenset({"phone"})  # declined consent: reported without a way to reach them
    elif form.name == "request_counseling" and form.step == "consent":
        # declined consent: what would reach the citizen, and the story, leave the draft at once
        allowed[form.name] = frozenset({"contact_way", "phone", "contact_time", "story"})
    elif form.name == "report_sighting" and form.answers.get("consent") is False:
        allowed[form.name] = frozenset({"consent"})  # a way to be contacted chosen again: consent is asked again
    return allowed


def check_step(before: ConversationState, sent: tuple[str, object], result: StepResult) -> None:
    outputs = result.outputs
    assert all(isinstance(o, Reply) or type(o).__module__ == "bot.flows.base" for o in outputs)
    for reply in (o for o in outputs if isinstance(o, Reply)):
        assert reply.text.strip(), "an empty message would be refused by every platform"
        assert all(len(c.id.encode()) <= 64 for c in reply.choices), "Telegram's callback_data limit"
    flow, step, data = to_row(result.state)
    assert from_row(flow, step, json.loads(json.dumps(data))) == result.state  # the row holds it, as JSON
    if any(isinstance(o, EraseMyData) for o in outputs):
        return  # confirmed erasure: nothing is kept on purpose
    submitted = [o for o in outputs if isinstance(o, SubmitRequest)]
    after = list(held_answers(result.state))
    allowed = allowed_removals(before, sent)
    for flow, keys in held_answers(before):
        if flow in allowed and allowed[flow] is None:
            continue
        if submitted and before.form is not None and before.form.name == flow:
            applicable = router.FORMS[flow].applicable_answers(dict.fromkeys(keys))
            assert set(applicable) <= set(submitted[0].answers), "an answer was left out of the report"
            continue
        may_drop = allowed.get(flow) or frozenset()
        assert any(f == flow and keys - may_drop <= later for f, later in after), (
            f"answers of {flow} lost: before {sorted(keys)}, after {[(f, sorted(k)) for f, k in after]}, "
            f"message {sent!r:.80}, state {before.flow}/{before.form.step if before.form else ''}"
        )


@FUZZ
@given(data=st.data(), path=st.sampled_from([SIGHTING, COUNSELING]), first_contact=st.booleans())
def test_every_step_survives_any_message_and_keeps_answers(
    data: st.DataObject, path: tuple, first_contact: bool
) -> None:
    result = router.start_conversation(ConversationState(), CTX)
    prefix = data.draw(st.integers(0, len(path)), label="prefix")
    steps = [*path[:prefix], *(None for _ in range(data.draw(st.integers(1, 12), label="random steps")))]
    for n, planned in enumerate(steps):
        offered = next((r.choices for r in reversed(result.outputs) if isinstance(r, Reply) and r.choices), ())
        sent = planned or random_inbound(data, offered)
        before = result.state
        result = router.handle(result.state, _inbound(*sent, n), CTX, first_contact=first_contact and n == 0)
        check_step(before, sent, result)


@FUZZ
@given(data=st.data())
def test_deep_link_and_side_questions_keep_a_half_filled_form(data: st.DataObject) -> None:
    """Commands in the middle of a form (a poster's /start link, batal, menu, status) never drop its answers."""
    path = data.draw(st.sampled_from([SIGHTING, COUNSELING]))
    result = router.start_conversation(ConversationState(), CTX)
    for n, sent in enumerate(path[: data.draw(st.integers(2, len(path)))]):
        result = router.handle(result.state, _inbound(*sent, n), CTX)
    command = data.draw(
        st.sampled_from(
            [
                "/start lapor_kota-serang",
                "/start konseling_kab-lebak",
                "/start lapor",
                "/start",
                "menu",
                "lapor",
                "konseling",
                "status",
                "bahasa",
                "batal",
            ]
        )
    )
    before = result.state
    result = router.handle(result.state, _inbound("text", command, 99), CTX)
    check_step(before, ("text", command), result)


def test_a_deep_link_while_a_form_is_half_filled_keeps_it() -> None:
    """Found by the property above: `/start lapor_<region>` used to start over and drop every answer."""
    state = router.start_conversation(ConversationState(), CTX).state
    for n, sent in enumerate(COUNSELING[:5]):
        state = router.handle(state, _inbound(*sent, n), CTX).state
    answers = dict(state.form.answers)
    result = router.handle(state, _inbound("text", "/start lapor_kota-serang", 50), CTX)
    assert result.state.flow == "report_sighting" and result.state.form.answers == {"region": "kota-serang"}
    assert result.state.draft_of("request_counseling").answers == answers  # waiting behind the menu
    menu = router.handle(result.state, _inbound("text", "menu", 51), CTX)
    assert menu.outputs[-1].choices[0].id == "menu:resume"


def test_cancelling_one_form_keeps_the_other_forms_draft() -> None:
    """Found by the property above: "Ya, batalkan" on a report used to drop a counseling draft as well."""
    state = router.start_conversation(ConversationState(), CTX).state
    for n, sent in enumerate(COUNSELING[:4]):
        state = router.handle(state, _inbound(*sent, n), CTX).state
    counseling = dict(state.form.answers)
    for n, sent in enumerate([("text", "lapor"), ("choice", "grp:anak"), ("text", "batal"), ("choice", "cancel:yes")]):
        state = router.handle(state, _inbound(*sent, 10 + n), CTX).state
    assert state.flow == "menu" and state.draft_of("request_counseling").answers == counseling


def test_a_twenty_thousand_digit_message_is_a_reprompt_not_a_crash() -> None:
    """Found by the property above: a long run of digits went to int(), past Python's 4,300-digit limit."""
    state = router.start_conversation(ConversationState(), CTX).state
    result = router.handle(state, _inbound("text", "9" * 20_000, 1), CTX)
    assert result.state.flow == "menu" and "menu:lapor" in [c.id for c in result.outputs[-1].otherwise[-1].choices]
    assert result.state.unheard == ("9" * 20_000,)


def test_every_region_code_has_a_deep_link() -> None:
    for code in REGION_CODES:
        result = router.handle(ConversationState(), _inbound("text", f"/start lapor_{code}", 1), CTX)
        assert result.state.form.answers == {"region": code}
