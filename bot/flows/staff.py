"""Staff mode in a linked Telegram chat: the queue, my cases, claim, write to the citizen, close.

Pure like every flow: it turns commands and buttons into `StaffAction` effects; the engine runs them
through the same services as the dashboard, with the same permission checks.
"""

from __future__ import annotations

from bot.domain.statuses import CLOSED_STATUSES, RequestStatus
from bot.flows.base import FlowContext, StaffAction, StepResult, stale_press
from bot.flows.state import ConversationState, StaffInput
from bot.messages import Choice, Inbound, InboundKind, Reply

STAFF_COMMANDS = {"antrian": "queue", "kasus": "cases"}
#: Button prefixes of staff messages and the action each starts.
BUTTONS = {
    "sclaim": "claim",
    "scase": "case",
    "scall": "call",
    "smsg": "message",
    "snote": "note",
    "sclose": "close_ask",
    "sout": "close",
}


def staff_menu_reply(ctx: FlowContext) -> Reply:
    return Reply(
        ctx.t("staff_chat.menu"),
        (Choice("sq:queue", ctx.t("staff_chat.queue")), Choice("sq:cases", ctx.t("staff_chat.cases"))),
    )


def is_staff_input(inbound: Inbound) -> bool:
    """A staff command or button, recognised before anything a citizen could mean."""
    if inbound.kind is InboundKind.CHOICE:
        prefix = inbound.choice.split(":", 1)[0]
        return prefix in BUTTONS or prefix == "sq"
    word = inbound.text.strip().lstrip("/").split("@", 1)[0].lower() if inbound.kind is InboundKind.TEXT else ""
    return word in STAFF_COMMANDS


def handle_staff(state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
    """A staff command, a staff button, or the text a staff question was waiting for."""
    if inbound.kind is InboundKind.TEXT and state.staff_input is not None and not is_staff_input(inbound):
        return _typed_answer(state, state.staff_input, inbound, ctx)
    if inbound.kind is InboundKind.TEXT:
        word = inbound.text.strip().lstrip("/").split("@", 1)[0].lower()
        return StepResult(ConversationState(), (StaffAction(STAFF_COMMANDS[word]),))
    prefix, _, rest = inbound.choice.partition(":")
    if prefix == "sq":
        return StepResult(ConversationState(), (StaffAction(rest if rest in ("queue", "cases") else "queue"),))
    action = BUTTONS[prefix]
    request_id, _, extra = rest.partition(":")
    if not request_id.isdigit():
        return StepResult(state, stale_press(ctx))
    if action in ("message", "note"):
        prompt = Reply(ctx.t(f"staff_chat.ask_{action}"), (Choice("sq:cases", ctx.t("common.back")),))
        return StepResult(ConversationState(staff_input=StaffInput(action, int(request_id))), (prompt,))
    if action == "close_ask":
        choices = tuple(Choice(f"sout:{request_id}:{o}", ctx.t(f"staff_chat.outcome_{o}")) for o in CLOSED_STATUSES)
        return StepResult(ConversationState(), (Reply(ctx.t("staff_chat.ask_outcome"), choices),))
    if action == "close" and extra not in CLOSED_STATUSES:
        return StepResult(state, stale_press(ctx))
    if action == "close" and extra == RequestStatus.REFERRED:  # a referral names where to: asked, then closed with it
        prompt = Reply(ctx.t("staff_chat.ask_referred"), (Choice("sq:cases", ctx.t("common.back")),))
        return StepResult(ConversationState(staff_input=StaffInput(RequestStatus.REFERRED, int(request_id))), (prompt,))
    return StepResult(ConversationState(), (StaffAction(action, int(request_id), extra),))


def _typed_answer(state: ConversationState, waiting: StaffInput, inbound: Inbound, ctx: FlowContext) -> StepResult:
    text = inbound.text.strip()
    if not text:
        return StepResult(state, (Reply(ctx.t(f"staff_chat.ask_{waiting.action}")),))
    return StepResult(ConversationState(), (StaffAction(waiting.action, waiting.request_id, text),))
