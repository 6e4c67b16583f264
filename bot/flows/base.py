"""Types every flow shares: context, state, results, effects, and choice matching.

A flow is pure: `(state, inbound, context) -> StepResult`. It reads no database, no clock and no
platform; what must touch the world is returned as an effect for the engine to apply, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz

from bot.domain.regions import RegionCatalog
from bot.domain.text import list_position, normalize
from bot.flows.state import ConversationState
from bot.i18n import Catalog
from bot.messages import Choice, Inbound, InboundKind, Reply
from bot.understanding import Meanings, Understanding, load_understanding

#: Said for a press on buttons of a question no longer asked; always with `StalePress`.
STALE_CHOICE = "common.stale_choice"


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """The contact's newest request still open, as the engine found it before the step."""

    ticket_code: str
    has_thread: bool  # a counselor has written about it: free text goes to them


@dataclass(frozen=True, slots=True)
class FlowContext:
    """What a flow may know besides the conversation: language, texts, regions, emergency numbers.

    `open_request` is filled by the engine only where a flow needs it (free text outside a form);
    `urgent_topics` are the counseling topics the operator's routing file makes urgent.
    """

    language: str
    catalog: Catalog
    regions: RegionCatalog
    numbers: Mapping[str, str]
    is_staff: bool = False  # a Telegram chat linked to a staff account: staff commands work
    understanding: Understanding = field(default_factory=load_understanding)
    open_request: OpenRequest | None = None
    urgent_topics: frozenset[str] = frozenset()

    def t(self, key: str, **params: Any) -> str:
        return self.catalog.text(self.language, key, **{**self.numbers, **params})

    def with_language(self, language: str) -> FlowContext:
        return replace(self, language=language)

    def hear(self, inbound: Inbound, *, answering_where: bool = False) -> Meanings | None:
        """What a typed message means; None for a press, a pin, a photo."""
        if inbound.kind is not InboundKind.TEXT or not inbound.text.strip():
            return None
        return self.understanding.read(inbound.text, answering_where=answering_where)


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """Create the request from a finished form; the engine answers with the ticket code."""

    kind: str  # "sighting" | "counseling"
    answers: Mapping[str, Any]
    danger: bool = False


@dataclass(frozen=True, slots=True)
class LookupStatus:
    """Tell the contact the status of one of their own tickets."""

    ticket_code: str


@dataclass(frozen=True, slots=True)
class SetLanguage:
    language: str


@dataclass(frozen=True, slots=True)
class CaseChoice:
    """A button from a message about a case (an appointment slot, a rating, a follow-up answer)."""

    choice: str


@dataclass(frozen=True, slots=True)
class RelayToCase:
    """Free text that may be a reply to a counselor; `otherwise` is said when no case is open."""

    text: str
    otherwise: tuple[Reply, ...]


@dataclass(frozen=True, slots=True)
class LinkStaff:
    """`/tautkan KODE`: link this Telegram chat to a staff account."""

    code: str


@dataclass(frozen=True, slots=True)
class ShowMyData:
    """`/dataku`: send the contact what the service holds about them."""


@dataclass(frozen=True, slots=True)
class EraseMyData:
    """`/hapusdata`, confirmed: erase the contact's personal data."""


@dataclass(frozen=True, slots=True)
class EscalateRequest:
    """Danger written after a request was sent: mark it urgent, alert its coordinators, say so."""

    ticket_code: str
    text: str


@dataclass(frozen=True, slots=True)
class StaffAction:
    """A staff member's action from their linked chat: queue, cases, claim, message, note, close."""

    action: str  # queue, cases, case, claim, message, note, call, close, referred (closed with where to)
    request_id: int = 0
    text: str = ""


@dataclass(frozen=True, slots=True)
class StalePress:
    """The press was on buttons of a question no longer asked (an old keyboard, a mangled id).

    The reply with it says so in words; the engine reports it (`EngineResult.stale_press`) so that a
    channel answering presses itself (Telegram's toast) says so on the button instead of marking it picked.
    """


Effect = (
    StaffAction
    | SubmitRequest
    | LookupStatus
    | SetLanguage
    | CaseChoice
    | RelayToCase
    | LinkStaff
    | ShowMyData
    | EraseMyData
    | EscalateRequest
    | StalePress
)
Output = Reply | Effect


@dataclass(frozen=True, slots=True)
class StepResult:
    """The new state and what to send, replies and effects interleaved in the order they happen."""

    state: ConversationState
    outputs: tuple[Output, ...] = ()


def match_choice(inbound: Inbound, choices: Sequence[Choice], *, typos: bool = True) -> Choice | None:
    """The offered choice the citizen meant: a pressed id, a typed number, or a typed label.

    A typed label is matched whole, with a typo or two ("anak jalana", "Anak Jalanan."), because
    WhatsApp's numbered-text fallback relies on it; never a label found inside a longer sentence
    ("butuh bantuan makanan" is not the "Bantuan" button): the understanding step reads sentences.
    `typos=False` where labels differ by a word that matters: "kab tangerang" is not "Kota Tangerang".
    """
    if inbound.kind is InboundKind.CHOICE:
        return next((c for c in choices if c.id == inbound.choice), None)
    if inbound.kind is not InboundKind.TEXT:
        return None
    typed = normalize(inbound.text)
    if not typed:
        return None
    if typed.isdigit():
        # A list number has a digit or two; a pasted run of digits must not reach int()'s 4,300-digit limit.
        index = int(typed) - 1 if len(typed) <= 3 else -1
        return choices[index] if 0 <= index < len(choices) else None
    labels = {c.id: normalize(c.label) for c in choices}
    exact = [c for c in choices if labels[c.id] == typed]
    position = list_position(typed) if not exact else None  # "yg pertama", "nomor 2"
    if position is not None:
        return choices[position - 1] if 0 < position <= len(choices) else None
    if exact or not typos:
        return exact[0] if exact else None
    scored = sorted(
        ((fuzz.ratio(typed, label), c) for c in choices if (label := labels[c.id])), key=lambda pair: -pair[0]
    )
    if scored and scored[0][0] >= _TYPED_LABEL and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 5):
        return scored[0][1]
    return None


_TYPED_LABEL = 88.0  # "anak jalana" for "Anak jalanan"; a different word of the same length stays out


def is_stale_choice(inbound: Inbound, choices: Sequence[Choice]) -> bool:
    """A pressed button that the current step does not offer: an old keyboard."""
    return inbound.kind is InboundKind.CHOICE and all(c.id != inbound.choice for c in choices)


def unmatched_key(inbound: Inbound, choices: Sequence[Choice], default: str = "common.pick_one") -> str:
    """Why nothing offered was picked: an old keyboard's button, or an answer we could not place."""
    return STALE_CHOICE if is_stale_choice(inbound, choices) else default


def ask_again(
    question: Reply, ctx: FlowContext, key: str, params: Mapping[str, Any] | None = None
) -> tuple[Output, ...]:
    """Say what was wrong and ask the same question again, in one message; a stale press is marked as one."""
    said = replace(question, text=f"{ctx.t(key, **(params or {}))}\n\n{question.text}")
    return (StalePress(), said) if key == STALE_CHOICE else (said,)


def stale_press(ctx: FlowContext) -> tuple[StalePress, Reply]:
    """The answer to a button that no longer means anything here: said in words, marked for the channel."""
    return StalePress(), Reply(ctx.t(STALE_CHOICE))
