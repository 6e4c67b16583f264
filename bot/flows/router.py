"""The top of every conversation: danger first, commands that work anywhere, then the active flow.

Whatever interrupts a form (help, status, language, a look at the menu) keeps the form's answers and
returns to its question, so nothing a citizen already said is lost. Free text outside a form is read
by bot/flows/menu_text.py. Every function here returns a new `ConversationState`; none changes the one
it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.domain.regions import REGION_CODES
from bot.domain.text import normalize
from bot.domain.tickets import looks_like_ticket_code, parse_ticket_code
from bot.flows import clarify
from bot.flows.base import (
    CaseChoice,
    EraseMyData,
    FlowContext,
    LinkStaff,
    LookupStatus,
    Output,
    SetLanguage,
    ShowMyData,
    StepResult,
    ask_again,
    match_choice,
    unmatched_key,
)
from bot.flows.menu import (
    cancel_confirm_reply,
    emergency_reply,
    erase_confirm_reply,
    greeting_reply,
    help_reply,
    language_reply,
    menu_reply,
    status_ask_reply,
)
from bot.flows.menu_text import FORMS, on_menu_clarification, read_at_menu
from bot.flows.report_sighting import REPORT_SIGHTING
from bot.flows.request_counseling import REQUEST_COUNSELING
from bot.flows.staff import handle_staff, is_staff_input, staff_menu_reply
from bot.flows.state import ConversationState, FormState, Side
from bot.flows.steps import typed_choice, wrong_kind_key
from bot.messages import Choice, Inbound, InboundKind, Reply
from bot.understanding import Meanings

_MENU_FORMS = {"menu:lapor": REPORT_SIGHTING.name, "menu:konseling": REQUEST_COUNSELING.name}
_DEEP_LINKS = {"lapor": REPORT_SIGHTING.name, "konseling": REQUEST_COUNSELING.name}

# Whole-message commands, typed with or without a slash, in either language.
_COMMANDS: dict[str, str] = {
    "start": "start",
    "mulai": "start",
    "menu": "menu",
    "batal": "cancel",
    "cancel": "cancel",
    "bantuan": "help",
    "help": "help",
    "tolong": "help",
    "bahasa": "language",
    "language": "language",
    "lapor": "report",
    "report": "report",
    "konseling": "counsel",
    "konsultasi": "counsel",
    "counseling": "counsel",
    "status": "status",
    "cek status": "status",
    "tautkan": "link",
    "dataku": "my_data",
    "datasaya": "my_data",
    "mydata": "my_data",
    "hapusdata": "erase",
    "hapus data": "erase",
    "erasedata": "erase",
}
#: "status tiket saya", "status laporan kemarin": a few words after "status" are the command's; more are a story.
_STATUS_WORDS = 3
_WANTS_FORM = {"report": REPORT_SIGHTING.name, "counseling": REQUEST_COUNSELING.name}
_INTENT_OF_FORM = {form: intent for intent, form in _WANTS_FORM.items()}
#: Buttons of messages about a case, valid whatever the conversation is doing.
CASE_CHOICE_PREFIXES = ("appt:", "apptother:", "rate:", "better:", "safe:")


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    argument: str = ""


def start_conversation(state: ConversationState, ctx: FlowContext) -> StepResult:
    """The first words of a new conversation: greeting and menu."""
    return _show_menu(state, ctx, (greeting_reply(ctx),))


def handle(state: ConversationState, inbound: Inbound, ctx: FlowContext, *, first_contact: bool = False) -> StepResult:
    """One step of a conversation: safety first, then commands, then the active flow.

    A contact's very first message is greeted, and then read as if typed at the menu: a story there
    opens its form at once. Danger in a form marks it urgent; outside a form it is a cry for help,
    which bot/flows/menu_text.py answers with an urgent form or by marking the open request urgent.
    """
    before: tuple[Output, ...] = ()
    heard = ctx.hear(inbound)
    if heard is not None and heard.danger is not None and state.form is not None and state.staff_input is None:
        state = replace(state, form=replace(state.form, danger=True))
        before = (emergency_reply(ctx), Reply(ctx.t("safety.in_form")))
    if inbound.kind is InboundKind.CHOICE and inbound.choice.startswith(CASE_CHOICE_PREFIXES):
        return StepResult(state, (*before, CaseChoice(inbound.choice), *_reminder_of(state, ctx)))
    if ctx.is_staff and (is_staff_input(inbound) or state.staff_input is not None):
        result = handle_staff(state, inbound, ctx)
        return StepResult(result.state, (*before, *result.outputs))
    command = parse_command(inbound)
    if first_contact and (command is None or command.name != "start"):
        in_danger = heard is not None and heard.danger is not None
        before = (*before, *(() if in_danger else (greeting_reply(ctx),)))
        if command is None and heard is not None and match_choice(inbound, menu_reply(ctx).choices) is None:
            result = read_at_menu(state, heard, ctx, greeted=True)
            return StepResult(result.state, (*before, *result.outputs))
        if command is None and match_choice(inbound, menu_reply(ctx).choices) is None:
            return StepResult(state, (*before, *_show_menu(state, ctx).outputs))
    if command is None and heard is not None and heard.danger is not None and state.form is None:
        result = read_at_menu(_back(state), heard, ctx)  # a cry for help, wherever outside a form
        return StepResult(result.state, (*before, *result.outputs))
    result = _run_command(command, state, ctx) if command else _continue(state, inbound, ctx)
    if emergency_reply(ctx) in result.outputs:
        before = ()  # "sebenernya sy mau lapor, anak tetangga dipukulin": the urgent report says it all, once
    return StepResult(result.state, (*before, *result.outputs))


def _means_cancel(heard: Meanings) -> bool:
    """ "gak jadi", "ga jadi lapor": cancelling, when nothing but the form's own name comes with it (and no
    question about the service: "bayar gk? kalo bayar sy gk jadi" wants the answer first)."""
    codes = set(heard.intent.codes)
    return (
        "cancel" in codes
        and codes <= {"cancel", "report", "counseling"}
        and not (heard.category or heard.topic or heard.question)
    )


def _reminder_of(state: ConversationState, ctx: FlowContext) -> tuple[Reply, ...]:
    """After answering a case button in the middle of a form, repeat the form's question."""
    return (FORMS[state.form.name].prompt(state.form, ctx),) if state.form and state.side is None else ()


def parse_command(inbound: Inbound) -> Command | None:
    """A whole message that is a command ("/batal", "Menu", "status abc-def"); never part of a text."""
    if inbound.kind is not InboundKind.TEXT:
        return None
    raw = inbound.text.strip()
    word, _, rest = raw.lstrip("/").partition(" ")
    word = word.split("@", 1)[0]  # "/start@BotName" in Telegram groups
    name = _COMMANDS.get(normalize(word))
    if name == "status" and rest.strip():
        # "status ABC-DEF", "status laporan sy": the command; "status wa adik sy isinya pamitan terus, ...": a story
        return Command("status", rest.strip()) if _a_code_or_few_words(rest) else None
    if name in ("start", "link") and rest.strip():
        return Command(name, rest.strip())
    if name and not rest.strip():
        return Command(name)
    if normalize(raw) in _COMMANDS:
        return Command(_COMMANDS[normalize(raw)])
    return None


def _run_command(command: Command, state: ConversationState, ctx: FlowContext) -> StepResult:
    handlers: dict[str, Callable[[], StepResult]] = {
        "start": lambda: _start(command.argument, state, ctx),
        "menu": lambda: _show_menu(state.shelved(), ctx),
        "cancel": lambda: _ask_cancel(state, ctx),
        "help": lambda: _interject(state, ctx, (help_reply(ctx),)),
        "language": lambda: _side_question(state, Side.LANGUAGE, language_reply(ctx)),
        "report": lambda: _open_form(REPORT_SIGHTING.name, state, ctx),
        "counsel": lambda: _open_form(REQUEST_COUNSELING.name, state, ctx),
        "status": lambda: _status(command.argument, state, ctx),
        "link": lambda: StepResult(state, (LinkStaff(command.argument),)),
        "my_data": lambda: _interject(state, ctx, (ShowMyData(),)),
        "erase": lambda: _side_question(state, Side.ERASE, erase_confirm_reply(ctx)),
    }
    return handlers[command.name]()


def _continue(state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
    side = {Side.LANGUAGE: _on_language, Side.CANCEL: _on_cancel, Side.STATUS: _on_status_code, Side.ERASE: _on_erase}
    if state.side is not None:
        return side[state.side](state, inbound, ctx)
    if state.form is not None:
        step = FORMS[state.form.name].handle(state.form, inbound, ctx)
        if step.form is None:  # sent: the other form's draft, if any, still waits behind the menu
            return StepResult(ConversationState(drafts=state.drafts), step.outputs)
        heard = ctx.hear(inbound)
        if heard is None:  # not typed words
            return StepResult(replace(state, form=step.form), step.outputs)
        # "eh salah, saya mau lapor aja", "gk jadi konseling, mau lapor aja": the other form, this one kept
        other = heard.intent.without("cancel", _INTENT_OF_FORM[state.form.name]).clear()
        # "sebenernya sy mau lapor, anak tetangga dipukulin tiap hari", typed at the counseling topic: the other
        # form asked for in so many words, with what it is about, though its words also answered the question
        about = heard.category if other == "report" else heard.topic
        asked_other = other in _WANTS_FORM and heard.intent.score_of(other or "") >= 2 and bool(about)
        if step.form.misses <= state.form.misses and not asked_other:  # answered
            return StepResult(replace(state, form=step.form), step.outputs)
        # said in so many words ("mau lapor aja") or as a correction ("eh salah, mau konseling"): "gajadi lapor
        # deh" is cancelling what is on screen
        wanted = _WANTS_FORM.get(other or "")
        if wanted is not None and (
            heard.intent.score_of(other or "") >= 2 or (heard.correcting and "cancel" not in heard.intent.codes)
        ):
            if heard.category or heard.topic or heard.region or heard.about:
                # "bukan konseling, sy mau lapor orang gila di jalan": the other form, with what the words say
                return read_at_menu(state.shelved(), heard, ctx)
            return _open_form(wanted, state, ctx)
        if _means_cancel(heard):
            return _ask_cancel(state, ctx)  # not an answer to the question: "gak jadi deh" means cancel
        if heard.ticket_code is not None:  # "cek tiket aja deh, DNE-8QA": looked up, form kept
            return _interject(state, ctx, (LookupStatus(heard.ticket_code),))
        if heard.question is not None:  # "ini rahasia kan? sy takut suami tau": answered, form kept
            answers = (heard.question, heard.other_question)
            return _interject(state, ctx, tuple(Reply(ctx.t(f"faq.{q}")) for q in answers if q))
        return StepResult(replace(state, form=step.form), step.outputs)
    return _on_menu(state, inbound, ctx)


# --- menu -------------------------------------------------------------------------------------


def _show_menu(state: ConversationState, ctx: FlowContext, before: tuple[Output, ...] = ()) -> StepResult:
    """The menu, with "continue" when a draft waits; `state` is already at the menu."""
    staff = (staff_menu_reply(ctx),) if ctx.is_staff else ()
    return StepResult(state, (*before, *staff, menu_reply(ctx, has_draft=bool(state.drafts))))


def _on_menu(state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
    menu = menu_reply(ctx, has_draft=bool(state.drafts))
    if state.clarify is not None and inbound.kind is InboundKind.CHOICE and inbound.choice.startswith(clarify.PREFIX):
        code = clarify.picked(inbound.choice, state.clarify)
        if code is not None:
            return on_menu_clarification(state, code, ctx)
        return _show_menu(replace(state, clarify=None), ctx)  # "Bukan, pilih sendiri"
    picked = match_choice(inbound, menu.choices)
    if picked is None:
        heard = ctx.hear(inbound)
        if (
            inbound.kind is InboundKind.TEXT
            and looks_like_ticket_code(inbound.text)
            and ("-" in inbound.text or heard is None or heard.understood_nothing)
        ):
            return _status(inbound.text, state, ctx)  # "ABC-DEF", "hbx27r"; not "curhat" or "data sy"
        if heard is not None:
            return read_at_menu(state, heard, ctx)
        why = unmatched_key(inbound, menu.choices, wrong_kind_key(inbound, "menu.pick_one"))
        return _ask_again(state, menu, why, ctx)
    state = replace(state, clarify=None, unheard=())
    if picked.id in _MENU_FORMS:
        return _open_form(_MENU_FORMS[picked.id], state, ctx)
    if picked.id == "menu:resume":
        return _resume(state.drafts[0], state, ctx)
    if picked.id == "menu:status":
        return _side_question(state, Side.STATUS, status_ask_reply(ctx))
    if picked.id == "menu:bahasa":
        return _side_question(state, Side.LANGUAGE, language_reply(ctx))
    if picked.id == "menu:dataku":
        return StepResult(state, (ShowMyData(), menu))
    return StepResult(state, (help_reply(ctx), menu))


def _start(argument: str, state: ConversationState, ctx: FlowContext) -> StepResult:
    """`/start lapor_kota-serang`: a poster's deep link opens a form with the region filled in."""
    flow_word, _, region = argument.partition("_")
    flow = _DEEP_LINKS.get(flow_word)
    if flow is None:
        return _show_menu(state.shelved(), ctx, (greeting_reply(ctx),))
    # A poster scanned halfway through a form: that form's answers wait behind the menu, as with "menu".
    shelved = state.shelved()
    draft = shelved.draft_of(flow)
    if draft is not None:
        result = _resume(draft, shelved, ctx)
    else:
        result = _begin(flow, shelved, ctx, {"region": region} if region in REGION_CODES else {})
    return StepResult(result.state, (greeting_reply(ctx), *result.outputs))


# --- forms ------------------------------------------------------------------------------------


def _open_form(flow: str, state: ConversationState, ctx: FlowContext) -> StepResult:
    """Open a form, resuming its draft when the citizen left one halfway."""
    state = replace(state, clarify=None, unheard=())
    if state.form is not None and state.form.name == flow and state.side is None:
        return StepResult(state, (FORMS[flow].prompt(state.form, ctx),))
    shelved = state.shelved()
    draft = shelved.draft_of(flow)
    if draft is not None:
        return _resume(draft, shelved, ctx)
    return _begin(flow, shelved, ctx)


def _begin(
    flow: str, state: ConversationState, ctx: FlowContext, answers: Mapping[str, Any] | None = None
) -> StepResult:
    """A new form on screen; drafts of the other form stay behind the menu."""
    step = FORMS[flow].start(ctx, answers)
    assert step.form is not None
    return StepResult(state.opened(step.form), step.outputs)


def _resume(draft: FormState, state: ConversationState, ctx: FlowContext) -> StepResult:
    opened = state.opened(draft)
    assert opened.form is not None
    return StepResult(opened, (FORMS[draft.name].prompt(opened.form, ctx),))


def _prompt_of(state: ConversationState, ctx: FlowContext) -> Reply:
    """The question the citizen is at, once any side question is answered."""
    if state.form is not None:
        return FORMS[state.form.name].prompt(state.form, ctx)
    return menu_reply(ctx, has_draft=bool(state.drafts))


# --- side questions: language, status, cancel, erase ------------------------------------------


def _side_question(state: ConversationState, side: Side, question: Reply) -> StepResult:
    """Ask a short question over the form or menu, which stays as it is underneath."""
    return StepResult(replace(state, side=side, unheard=()), (question,))


def _back(state: ConversationState) -> ConversationState:
    return replace(state, side=None, unheard=())


def _ask_again(state: ConversationState, question: Reply, key: str, ctx: FlowContext) -> StepResult:
    """Say what was wrong and repeat the question, in one message; the state does not move."""
    return StepResult(state, ask_again(question, ctx, key))


def _interject(state: ConversationState, ctx: FlowContext, outputs: tuple[Output, ...]) -> StepResult:
    """Answer something in passing, then repeat the question the citizen was at."""
    base = _back(state)
    return StepResult(base, (*outputs, _prompt_of(base, ctx)))


def _on_language(state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
    question = language_reply(ctx)
    picked = match_choice(inbound, question.choices) or _language_named(inbound, question)
    if picked is None and inbound.kind is InboundKind.TEXT and inbound.text.strip():
        return _continue(_back(state), inbound, ctx)  # not a language: what it says, where the citizen was
    if picked is None:
        return _ask_again(state, question, unmatched_key(inbound, question.choices), ctx)
    language = picked.id.removeprefix("lang:")
    new_ctx = ctx.with_language(language)
    base = _back(state)
    return StepResult(base, (SetLanguage(language), Reply(new_ctx.t("language.changed")), _prompt_of(base, new_ctx)))


_LANGUAGE_WORDS = {
    "indonesia": "lang:id",
    "indo": "lang:id",
    "inggris": "lang:en",
    "english": "lang:en",
    "en": "lang:en",
    "id": "lang:id",
}


def _language_named(inbound: Inbound, question: Reply) -> Choice | None:
    """ "inggris", "english", "bahasa indonesia": the language named in a few words."""
    if inbound.kind is not InboundKind.TEXT:
        return None
    wanted = next((_LANGUAGE_WORDS[w] for w in normalize(inbound.text).split() if w in _LANGUAGE_WORDS), None)
    return next((c for c in question.choices if c.id == wanted), None)


def _status(argument: str, state: ConversationState, ctx: FlowContext) -> StepResult:
    if not argument:
        return _side_question(state, Side.STATUS, status_ask_reply(ctx))
    code = parse_ticket_code(argument) or ctx.understanding.read(argument).ticket_code  # "status tiket saya ABC-DEF"
    if code is None and not _tried_a_code(argument):  # "status laporan saya": words, not a code mistyped
        return _side_question(state, Side.STATUS, status_ask_reply(ctx))
    base = _back(state)
    found: tuple[Output, ...] = (LookupStatus(code),) if code else (Reply(ctx.t("status.bad_code")),)
    return StepResult(base, (*found, _prompt_of(base, ctx)))


def _a_code_or_few_words(argument: str) -> bool:
    """What may follow "status" as the command: a code or a few words, not a sentence of a story."""
    return len(argument.split()) <= _STATUS_WORDS or _tried_a_code(argument)


def _tried_a_code(argument: str) -> bool:
    """ "status ABC-DE", "status hbx27": something typed as a code, not words ("status laporan sy")."""
    return any(c.isdigit() for c in argument) or "-" in argument or (len(argument.split()) == 1 and len(argument) <= 8)


def _on_status_code(state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
    question = status_ask_reply(ctx)
    if match_choice(inbound, question.choices) is not None:
        base = _back(state)
        return StepResult(base, (_prompt_of(base, ctx),))
    text = inbound.text if inbound.kind is InboundKind.TEXT else ""
    code = parse_ticket_code(text) or (ctx.understanding.read(text).ticket_code if text.strip() else None)
    if code is None and text.strip() and not looks_like_ticket_code(text):
        return _continue(_back(state), inbound, ctx)  # not a code at all: what it says, where the citizen was
    if code is None:
        return _ask_again(state, question, "status.bad_code", ctx)
    base = _back(state)
    return StepResult(base, (LookupStatus(code), _prompt_of(base, ctx)))


def _on_erase(state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
    """Erase only after an explicit yes: it cannot be undone. Unclear twice is a no."""
    question = erase_confirm_reply(ctx)
    picked = typed_choice(inbound, question.choices, ctx, "answer", {"yes": "erase:yes", "no": "erase:no"})
    if picked is None:
        return _unclear_confirmation(state, question, inbound, ctx, "erase:no", _on_erase)
    if picked.id == "erase:no":
        base = _back(state)
        return StepResult(base, (Reply(ctx.t("privacy.erase_kept")), _prompt_of(base, ctx)))
    return StepResult(ConversationState(), (EraseMyData(), Reply(ctx.t("privacy.erased")), menu_reply(ctx)))


def _unclear_confirmation(
    state: ConversationState,
    question: Reply,
    inbound: Inbound,
    ctx: FlowContext,
    safe: str,
    answer: Callable[[ConversationState, Inbound, FlowContext], StepResult],
) -> StepResult:
    """A yes/no that is neither: asked once more; the second time it is the answer that loses nothing."""
    said = inbound.text.strip() if inbound.kind is InboundKind.TEXT else ""
    if not state.unheard:
        asked = _ask_again(state, question, unmatched_key(inbound, question.choices), ctx)
        return StepResult(replace(asked.state, unheard=(said or "?",)), asked.outputs)
    safe_press = Inbound(inbound.channel, inbound.user_id, inbound.message_id, InboundKind.CHOICE, choice=safe)
    return answer(replace(state, unheard=()), safe_press, ctx)


def _ask_cancel(state: ConversationState, ctx: FlowContext) -> StepResult:
    base = _back(state)
    if base.form is None:
        return _show_menu(base, ctx, (Reply(ctx.t("cancel.nothing")),))
    return _side_question(base, Side.CANCEL, cancel_confirm_reply(ctx))


def _on_cancel(state: ConversationState, inbound: Inbound, ctx: FlowContext) -> StepResult:
    question = cancel_confirm_reply(ctx)
    picked = typed_choice(inbound, question.choices, ctx, "answer", {"yes": "cancel:yes", "no": "cancel:no"})
    if picked is None:
        return _unclear_confirmation(state, question, inbound, ctx, "cancel:no", _on_cancel)
    base = _back(state)
    if picked.id == "cancel:no":
        return StepResult(base, (_prompt_of(base, ctx),))
    # Only this form is cancelled: the other form's draft, if one waits behind the menu, stays.
    return _show_menu(ConversationState(drafts=base.drafts), ctx, (Reply(ctx.t("cancel.done")),))
