"""Types every flow shares: context, state, results, effects, and choice matching.

A flow is pure: `(state, inbound, context) -> StepResult`. It reads no database, no clock and no
platform; what must touch the world is returned as an effect for the engine to apply, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.domain.regions import RegionCatalog
from bot.domain.text import normalize
from bot.flows.state import ConversationState
from bot.i18n import Catalog
from bot.messages import Choice, Inbound, InboundKind, Reply


@dataclass(frozen=True, slots=True)
class FlowContext:
    """What a flow may know besides the conversation: language, texts, regions, emergency numbers."""

    language: str
    catalog: Catalog
    regions: RegionCatalog
    numbers: Mapping[str, str]
    is_staff: bool = False  # a Telegram chat linked to a staff account: staff commands work

    def t(self, key: str, **params: Any) -> str:
        return self.catalog.text(self.language, key, **{**self.numbers, **params})

    def with_language(self, language: str) -> FlowContext:
        return FlowContext(language, self.catalog, self.regions, self.numbers, self.is_staff)


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
    otherwise: tuple  # tuple[Reply, ...]


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
class StaffAction:
    """A staff member's action from their linked chat: queue, cases, claim, message, note, close."""

    action: str  # queue, cases, case, claim, message, note, call, close
    request_id: int = 0
    text: str = ""


Effect = StaffAction | SubmitRequest | LookupStatus | SetLanguage | CaseChoice | RelayToCase | LinkStaff | ShowMyData | EraseMyData
Output = Reply | Effect


@dataclass(frozen=True, slots=True)
class StepResult:
    """The new state and what to send, replies and effects interleaved in the order they happen."""

    state: ConversationState
    outputs: tuple[Output, ...] = ()


def match_choice(inbound: Inbound, choices: Sequence[Choice]) -> Choice | None:
    """The offered choice the citizen meant: a pressed id, a typed number, or a typed label.

    Typed labels are matched tolerantly ("anak jalanan", "Anak Jalanan.", "anak jalana") because
    many citizens type instead of pressing, and WhatsApp's numbered-text fallback relies on it.
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
    if exact:
        return exact[0]
    best = process.extract(typed, labels, scorer=fuzz.WRatio, limit=2, score_cutoff=86)
    if len(best) == 1 or (len(best) == 2 and best[0][1] - best[1][1] >= 5):
        return next(c for c in choices if c.id == best[0][2])
    return None


def is_stale_choice(inbound: Inbound, choices: Sequence[Choice]) -> bool:
    """A pressed button that the current step does not offer: an old keyboard."""
    return inbound.kind is InboundKind.CHOICE and all(c.id != inbound.choice for c in choices)


def unmatched_key(inbound: Inbound, choices: Sequence[Choice], default: str = "common.pick_one") -> str:
    """Why nothing offered was picked: an old keyboard's button, or an answer we could not place."""
    return "common.stale_choice" if is_stale_choice(inbound, choices) else default
