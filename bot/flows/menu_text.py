"""Free text outside a form: at the menu, or as a contact's very first message.

People do not start with buttons. They greet ("p", "assalamualaikum"), tell a whole story ("pak saya mau
lapor ada orang gila di jalan depan pasar"), ask about a ticket, or cry for help. This module decides
what such a message asks for: a warm answer, the form its story belongs to (with every answer the story
states filled in), "report or counseling?" when both fit, an urgent form at once for a cry for help, or,
the second time nothing is understood, the citizen's own words taken as a report for staff to classify.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.domain.pmks import UNCLASSIFIED, group_of
from bot.domain.text import MAX_FREE_TEXT
from bot.flows import clarify
from bot.flows.base import (
    EscalateRequest,
    FlowContext,
    LookupStatus,
    Output,
    RelayToCase,
    ShowMyData,
    StepResult,
)
from bot.flows.form import Ask, FormFlow, close_meaning_for
from bot.flows.menu import (
    emergency_reply,
    erase_confirm_reply,
    help_reply,
    language_reply,
    menu_reply,
    status_ask_reply,
)
from bot.flows.report_sighting import REPORT_SIGHTING
from bot.flows.request_counseling import REQUEST_COUNSELING
from bot.flows.state import Clarification, ConversationState, Side
from bot.flows.story import answers_from
from bot.messages import Reply
from bot.understanding import OUTSIDE, Meanings
from bot.understanding.meanings import MAX_OFFERED

FORMS: dict[str, FormFlow] = {f.name: f for f in (REPORT_SIGHTING, REQUEST_COUNSELING)}
_FORM_OF_INTENT = {"report": REPORT_SIGHTING.name, "counseling": REQUEST_COUNSELING.name}
_SIDE_INTENTS = ("help", "my_data", "erase", "language", "status", "cancel")
_ABROAD = ("pekerja_migran_bermasalah", "korban_trafficking")
_NEGLECT = ("anak_telantar", "anak_jalanan")
#: Counseling for someone who wants to die.
_DESPAIR = "stres_psikologis"
#: The question "how do I report (or ask for counseling)?" (catalog `faq.how_to`).
_HOW_TO = "how_to"
_DISASTERS = ("korban_bencana_sosial", "korban_bencana_alam")
_VIOLENCE = ("korban_kekerasan", "anak_korban_kekerasan")
#: A question about the service comes before a form only when the message also asks for one in so many
#: words ("mau lapor") or tells a story: two words of it.
_A_STORY = 2.0
#: A story that fits both a report and counseling goes to one alone when it explains two words more.
_CLEARLY_MORE = 2.0
#: A message this long is a story: at a place in Banten, in words the vocabulary lacks, it still opens a
#: form ("harga beras di pasar rangkas brp" is a question, not a story); a "tidak mau" in it is no "batal".
_WHOLE_STORY = 8
#: A question about reporting longer than this asks how it works ("bisa lapor disini?" is answered by the form).
_A_FEW_WORDS = 3
#: The words of two unclear messages are taken as a report only when they are words ("qwrty" is not).
_MIN_REAL_WORDS = 2


def read_at_menu(state: ConversationState, heard: Meanings, ctx: FlowContext, *, greeted: bool = False) -> StepResult:
    """What a typed message at the menu asks for. `greeted`: the service just said hello (first message)."""
    state = replace(state, clarify=None)
    if heard.ticket_code is not None:  # "tetangga yg dipasung kemaren udh ada yg dateng blm? tiket HKU-2NM"
        urgent = (emergency_reply(ctx),) if heard.danger is not None else ()
        return _understood(state, (*urgent, LookupStatus(heard.ticket_code), _menu(state, ctx)))
    if heard.danger is not None and heard.intent.clear() == "status":
        # "perkembangan laporan sy yg soal anak dipasung ..." tells a case sent before; "... udh lapor polisi blm
        # ada kabar" a child missing now. The numbers first, then the citizen says which it is.
        asked = Clarification("form", ("status", "report"), heard.text)
        return StepResult(
            replace(state, unheard=(), clarify=asked), (emergency_reply(ctx), clarify.clarify_reply(asked, ctx))
        )
    if heard.danger is not None:
        return _cry_for_help(state, heard, ctx)
    thread = ctx.open_request is not None and ctx.open_request.has_thread
    # "hapus semua data, gak jadi pakai": "gak jadi" gives way to any other request in the same words;
    # "how do I delete my data?": asking how gives way to what is asked for.
    intent = heard.intent.clear() or heard.intent.without("cancel").clear() or heard.intent.without("help").clear()
    if intent is None and heard.intent.without("my_data").clear() == "erase":
        intent = "erase"  # "hapus semua data sy, gk mau nomer sy kesimpen": about the data, to delete it (confirmed)
    content = max((g.ranked[0].score for g in (heard.category, heard.topic) if g), default=0.0)
    # A whole story about someone, then "gmn caranya minta bantuan" or "... gk mau keluar rumah": it asks for
    # help with that case (a report or counseling), and its "keluar" is no "batal".
    a_story = heard.words >= _WHOLE_STORY and content > 0
    # "gajadi lapor deh, mau konseling aja soal ...": at the menu there is nothing to cancel; the form asked
    # for in so many words instead is what is meant (not "gk jadi konseling", the one cancelled)
    instead = heard.intent.without("cancel").clear()
    asked_instead = instead in _FORM_OF_INTENT and heard.intent.score_of(instead or "") >= _A_STORY
    if intent == "cancel" and (heard.words >= _WHOLE_STORY or asked_instead):
        intent = instead
    elif intent == "help" and a_story:
        intent = heard.intent.without(intent).clear()
    if thread and intent not in _FORM_OF_INTENT and intent not in _SIDE_INTENTS:
        # Words to the counselor of an open case ("baik pak, besok saya di rumah") go to them.
        return _understood(state, (RelayToCase(heard.text.strip(), (_menu(state, ctx),)),))
    # "terima kasih pak, nenek yg sy laporin udh dijemput petugas": thanks, not a new report; "makasih, laporan
    # sy udh ditindak": thanks for a case taken care of, not a question about it
    thanked = heard.thanks and (
        (content < _A_STORY and heard.intent.score_of(intent or "") < _A_STORY)
        or (heard.handled and intent in (None, "status") and "?" not in heard.text)
    )
    if heard.only_courtesy or thanked:
        thanks = heard.thanks and (not heard.greeting or heard.handled)
        key = "menu.thanks_back" if thanks else "menu.greeting_back"
        warm = (*(() if greeted and not thanks else (Reply(ctx.t(key)),)), _menu(state, ctx))
        # "terima kasih" may be the comment the feedback question invited: the engine keeps it if so.
        return _understood(state, (RelayToCase(heard.text.strip(), warm),))
    answered: tuple[Output, ...] = ()
    asked_for = heard.intent.score_of(intent) if intent in _FORM_OF_INTENT else 0.0
    # "gmn caranya lapor?" is answered; "gmn cara lapor org terlantar ...", naming someone, their case or
    # where they are, and "mau lapor, caranya gimana?" open the form, which shows how by asking; "sy yg td
    # lapor, gmn kirim fotonya?" is about the report sent.
    in_banten = bool(heard.region) and OUTSIDE not in heard.region.codes
    shown_by_form = heard.question == _HOW_TO and (
        content > 0
        or heard.people > 0
        or in_banten
        or asked_for >= _A_STORY
        or intent not in (None, "help", *_FORM_OF_INTENT)
    )
    # "tolong hapus nomor hp sm nama sy dr sistem": a request in so many words, no question about the name
    requested = intent in _SIDE_INTENTS and heard.intent.score_of(intent) >= _A_STORY and "?" not in heard.text
    if heard.question is not None and not (shown_by_form or requested):
        # "gratis ga?", "nama sy dirahasiakan?": the answer, then what else it asks
        # "ini gratis gk kalo mau konseling soal anak remaja?": a few words of a case are the question's
        told = (content >= _A_STORY and heard.words > clarify.SHORT) or asked_for >= _A_STORY
        # "... dirawat di rs tp gk punya bpjs, biayanya gede bgt. tlg dibantu": a story that mentions a cost
        # (or "korban penipuan kerja") asks nothing of the service unless it asks ("?").
        asking = heard.asks or not (content and heard.words > clarify.SHORT)
        if asking or told:
            answered = tuple(Reply(ctx.t(f"faq.{q}")) for q in (heard.question, heard.other_question) if q)
        if asking and not told:
            return _understood(state, (*answered, _menu(state, ctx)))
    # "gmn cara lapor org terlantar?": the form asks what it needs, which shows how
    asks_how_to_report = intent == "help" and bool(set(heard.intent.codes) & set(_FORM_OF_INTENT))
    if (
        intent in _SIDE_INTENTS
        and not asks_how_to_report
        and (intent == "status" or heard.intent.score_of(intent) > content)
    ):
        return _side_intent(intent, state, ctx)
    if (
        heard.asks
        and intent in _FORM_OF_INTENT
        and (heard.intent.score_of(intent) < _A_STORY or heard.supposing)
        and heard.words > _A_FEW_WORDS
        and not (content or heard.region or heard.danger or (heard.people and not heard.supposing))
    ):
        # "apakah laporan bisa dikirim dengan foto?", "kl lapornya malem2 gini ada yg respon ga": a question
        # about reporting that names no one and no case; how the service works, and the menu to start (but
        # "bisa lapor disini?" is answered by the report itself). Supposing a report, whoever it names is
        # nobody yet: "kalo lapor bisa dicabut lagi ga? takut salah orang".
        return _understood(state, (help_reply(ctx), _menu(state, ctx)))
    form = _which_form(heard, intent)
    if form in FORMS:
        return open_with_story(form, replace(state, unheard=()), heard, ctx, answered)
    if form == "ask":
        asked = Clarification("form", ("report", "counseling"), heard.text)
        return StepResult(replace(state, unheard=(), clarify=asked), (*answered, clarify.clarify_reply(asked, ctx)))
    return _not_understood(state, heard, ctx, greeted=greeted)


def on_menu_clarification(state: ConversationState, code: str, ctx: FlowContext) -> StepResult:
    """The citizen said which form their story was for: open it with the story's answers."""
    asked = state.clarify
    assert asked is not None
    if code == "status":  # a story about a report sent before: its code tells where it stands
        return StepResult(replace(state, clarify=None, side=Side.STATUS), (status_ask_reply(ctx),))
    heard = ctx.understanding.read(asked.said)
    if heard.danger is not None:  # a new cry for help (the numbers were shown with the question): the urgent form
        urgent = replace(state, clarify=None, unheard=(), danger=True)
        return _open_urgent(urgent, heard, ctx, (Reply(ctx.t("safety.urgent_form")),))
    return open_with_story(_FORM_OF_INTENT[code], replace(state, clarify=None), heard, ctx)


def open_with_story(
    flow: str,
    state: ConversationState,
    heard: Meanings,
    ctx: FlowContext,
    before: tuple[Output, ...] = (),
    *,
    fixed: Mapping[str, str] | None = None,
    offered: tuple[str, ...] = (),
) -> StepResult:
    """Open `flow` with every answer the story states; a close meaning for the first question is asked
    (`offered`: the categories or topics to offer, when the caller knows them better than the story's ranking)."""
    form = FORMS[flow]
    answers = {**answers_from(flow, heard, ctx, as_story=True), **(fixed or {})}
    slot, steps = ("topic", ("topic",)) if flow == REQUEST_COUNSELING.name else ("category", ("group", "category"))
    if offered:  # the citizen picks among them: none is taken from the story meanwhile
        answers = {k: v for k, v in answers.items() if k not in (slot, "group")}
    shelved = state.shelved()
    taken = answers.get("category") or answers.get("topic")
    # A cry for help (`fixed`, `offered`) said the numbers and the urgent form already: nothing more here.
    told = bool(fixed) or bool(offered)
    if taken and taken != UNCLASSIFIED and not told:  # say what was understood; the summary shows it all
        label = ctx.t(f"pmks.{taken}" if "category" in answers else f"topic.{taken}")
        before = (*before, Reply(ctx.t("menu.story_noted", what=label)))
    elif not told and (answers.get("description") or answers.get("story")):  # the story is kept, not lost
        before = (*before, Reply(ctx.t(f"menu.story_kept_{form.kind}")))
    draft = shelved.draft_of(flow)
    if draft is not None:  # the same form left halfway: its answers stand, the story adds what it lacked
        started = form.advance(draft.answered({k: v for k, v in answers.items() if k not in draft.answers}), ctx)
    else:
        started = form.start(ctx, answers)
    assert started.form is not None
    opened = shelved.opened(started.form)
    assert opened.form is not None
    in_banten_too = any(code != OUTSIDE for code in heard.region.codes)  # "kopo": Serang's, or Bandung's? asked
    elsewhere = heard.outside and (
        heard.region.clear() == OUTSIDE or (opened.form.step == "region" and not in_banten_too)
    )
    if elsewhere and not any(code in _ABROAD for code in (answers.get("category"), *heard.category.codes)):
        # "... di kolong flyover bekasi"; a migrant worker's Malaysia is where they worked, not the place
        before = (*before, Reply(ctx.t("common.outside_banten", place=heard.outside.title())))
    asked = (
        Clarification(slot, offered, heard.text)
        if offered and opened.form.step in steps
        else close_meaning_for(opened.form.step, heard, ctx, opened.form.answers)
    )
    if asked is not None:
        step = form.ask(opened.form, Ask(asked), ctx, before)
        return StepResult(replace(opened, form=step.form), step.outputs)
    return StepResult(opened, (*before, *started.outputs))


def _which_form(heard: Meanings, intent: str | None) -> str | None:
    """ "report_sighting", "request_counseling", "ask" (both fit as well) or None (neither)."""
    category = heard.category.ranked[0].score if heard.category else 0.0
    topic = heard.topic.ranked[0].score if heard.topic else 0.0
    if intent in _FORM_OF_INTENT:
        # "mau ngadu, anak sy 17th pulang subuh bawa sajam": the word says report, the story one's own
        # family's trouble; both fit, so the citizen chooses.
        told_as = heard.hints.clear()
        other_fits = topic > category if intent == "report" else category > topic
        return "ask" if told_as and told_as != intent and other_fits else _FORM_OF_INTENT[intent]
    said_report = heard.intent.score_of("report") > 0
    said_counseling = heard.intent.score_of("counseling") > 0
    hinted = heard.hints.clear()  # "tetangga saya ..." is told as a sighting, "suami saya ..." as one's own
    hinted_form = _FORM_OF_INTENT[hinted] if hinted else None
    if not (category or topic):  # "gimana cara lapor?": the report itself shows how
        if said_report != said_counseling:
            return REPORT_SIGHTING.name if said_report else REQUEST_COUNSELING.name
        if said_report:
            return "ask"
        # A story in words the vocabulary lacks, told about a neighbour or at a place in Banten: the form
        # it is told as, with the story kept and the first question asked.
        if heard.is_story and hinted_form is not None:
            return hinted_form
        placed = bool(heard.region) and OUTSIDE not in heard.region.codes  # "di tangerang": Kota or Kab., still Banten
        if not (placed and heard.words >= _WHOLE_STORY):
            return None
        # About someone the writer sees: a report. About the writer or their own family: either fits, so ask.
        told_as_own = hinted != "report" and (heard.about is not None or heard.hints.score_of("counseling") > 0)
        return "ask" if told_as_own else REPORT_SIGHTING.name
    if hinted_form == REPORT_SIGHTING.name and heard.about != "family":
        # "sy ketua rt ..., ada warga sy ...", "tetangga sy baru kena phk": a family's trouble told as a sighting,
        # not about one of the writer's own (whoever introduces themselves first); LK3 counsels those who ask
        # for themselves or their family, so it is a report
        return REPORT_SIGHTING.name
    if not topic or not category:
        by_content = REPORT_SIGHTING.name if category else REQUEST_COUNSELING.name
        return (
            "ask" if hinted_form and hinted_form != by_content and abs(category - topic) < _CLEARLY_MORE else by_content
        )
    # Both fit. A clear lead decides alone; a smaller one when how it is told agrees; an even story is
    # decided by how it is told ("tetangga saya ..."), and otherwise the citizen is asked.
    lead = category - topic
    by_content = REPORT_SIGHTING.name if lead > 0 else REQUEST_COUNSELING.name
    if abs(lead) >= _CLEARLY_MORE:
        return by_content
    if abs(lead) >= 1:
        return by_content if hinted_form == by_content else "ask"
    # Told about a neighbour, an even story is a report; told about oneself it may be either: "sy ODHA ...
    # di-PHK" asks for help for oneself, which is a report of one's own need as much as counseling.
    return REPORT_SIGHTING.name if hinted_form == REPORT_SIGHTING.name else "ask"


def _side_intent(intent: str, state: ConversationState, ctx: FlowContext) -> StepResult:
    quiet = replace(state, unheard=())
    if intent == "help":
        return StepResult(quiet, (help_reply(ctx), _menu(quiet, ctx)))
    if intent == "my_data":
        return StepResult(quiet, (ShowMyData(), _menu(quiet, ctx)))
    if intent == "erase":
        return StepResult(replace(quiet, side=Side.ERASE), (erase_confirm_reply(ctx),))
    if intent == "language":
        return StepResult(replace(quiet, side=Side.LANGUAGE), (language_reply(ctx),))
    if intent == "status":
        return StepResult(replace(quiet, side=Side.STATUS), (status_ask_reply(ctx),))
    return StepResult(quiet, (Reply(ctx.t("cancel.nothing")), _menu(quiet, ctx)))


def _cry_for_help(state: ConversationState, heard: Meanings, ctx: FlowContext) -> StepResult:
    """112 and SAPA 129 at once; then the open request is marked urgent, or the right urgent form starts."""
    emergency = emergency_reply(ctx)
    if ctx.open_request is not None:
        return StepResult(
            replace(state, unheard=()),
            (emergency, EscalateRequest(ctx.open_request.ticket_code, heard.text.strip()), _menu(state, ctx)),
        )
    urgent = replace(state, unheard=(), danger=True)
    return _open_urgent(urgent, heard, ctx, (emergency, Reply(ctx.t("safety.urgent_form"))))


def _open_urgent(state: ConversationState, heard: Meanings, ctx: FlowContext, before: tuple[Output, ...]) -> StepResult:
    """The urgent form for a cry for help. A category the routing rules settle is taken, unless the story
    names another close to it ("bocah ditinggal ibunya 2 hari sendirian": neglected, or hurt?): then both
    are offered, since they go to different agencies, and the numbers were already shown."""
    flow, fixed = _urgent_form(heard)
    chosen = fixed.get("category")
    danger = heard.danger
    if fixed.get("topic") == _DESPAIR and danger is not None and not danger.self_:
        # "anak sy 17 thn ikut aliran aneh ..., kalo ditegur ngancem mau bunuh diri": despair, or the trouble
        # the story tells? Both are offered when the story tells another.
        others = tuple(code for code in heard.topic.codes if code != _DESPAIR)[: MAX_OFFERED - 1]
        if others:
            unsettled = {k: v for k, v in fixed.items() if k != "topic"}
            return open_with_story(flow, state, heard, ctx, before, fixed=unsettled, offered=(_DESPAIR, *others))
    if flow != REPORT_SIGHTING.name or chosen is None:
        return open_with_story(flow, state, heard, ctx, before, fixed=fixed)
    categories = clarify.of_the_one_hurt(heard)
    maybe_grown = danger is not None and danger.maybe_grown and chosen == "anak_korban_kekerasan"
    if danger is not None and (danger.child or danger.young_writer) and not maybe_grown:
        categories = categories.without("korban_kekerasan")  # a grown-up victim's category is no rival
    # "adik sy dikeroyok preman": a younger sibling may be grown up, so a grown-up's category is offered too
    grown_up = ("korban_kekerasan",) if maybe_grown else ()
    options = tuple(dict.fromkeys((chosen, *grown_up, *clarify.rivals(categories, heard))))[:MAX_OFFERED]
    # A whole story whose words hardly name the chosen category (a rule's default, or one word of many)
    # confirms it with a tap, as any whole story does; the numbers were already shown. Not a victim of
    # the violence the story tells ("ayahku suka mukul aku"): the danger itself names that category.
    told_violence = chosen in _VIOLENCE and heard.danger is not None and heard.danger.kind in ("violence", "sexual")
    thin = heard.words >= clarify.WHOLE_STORY and categories.score_of(chosen) < clarify.STRONG and not told_violence
    if len(options) < 2 and not thin:
        return open_with_story(flow, state, heard, ctx, before, fixed=fixed)
    unsettled = {k: v for k, v in fixed.items() if k not in ("category", "group")}
    return open_with_story(flow, state, heard, ctx, before, fixed=unsettled, offered=options)


def _urgent_form(heard: Meanings) -> tuple[str, dict[str, str]]:
    """Which form a cry for help belongs to, and what it settles: DESIGN.md's routing, by who is hurt.

    A child -> a report of a child victim (P2TP2A); someone hurt at home or the writer -> counseling on
    domestic violence (P2TP2A); someone who wants to die -> counseling; anyone else -> a report of a
    victim of violence, unless the story names its category clearly ("orang gila ngamuk").
    """
    danger = heard.danger
    assert danger is not None
    categories = clarify.of_the_one_hurt(heard)
    category = categories.clear()
    if danger.kind == "self_harm" and not danger.third_party:
        # the writer, or one of the writer's own ("istri sy ... bilang pengen mati": for the wife; "anak sy 15 th
        # bilang pengen mati": the parent asks how to help their child)
        return REQUEST_COUNSELING.name, {"topic": _DESPAIR, **({"for_whom": "self"} if danger.self_ else {})}
    if danger.by == "writer" and category in (None, *_VIOLENCE) and not danger.young_writer:
        # "sy sampe mukul dia, sy nyesel": the writer asks help for what they do; not "sy mau lapor ada odgj
        # ngamuk bawa parang", whose story names what it is, nor a child's ("aku 14 tahun. om aku ... pegang2")
        topic = "pengasuhan_anak" if danger.child else "kdrt"
        return REQUEST_COUNSELING.name, {"topic": topic, "for_whom": "self"}
    if danger.kind == "self_harm" and not danger.child and heard.intent.clear() == "counseling":
        return REQUEST_COUNSELING.name, {"topic": "stres_psikologis"}  # "konseling buat adik sy, ... mending mati"
    if (
        danger.kind in ("missing", "threat")
        and not danger.third_party
        and heard.intent.clear() == "counseling"
        and heard.intent.score_of("counseling") >= _A_STORY
    ):
        # "sy mau konseling soal anak sy yg udh 2 hari ga pulang": asked for in so many words, for one's own
        told = heard.topic.clear()
        return REQUEST_COUNSELING.name, ({"topic": told} if told else {})
    if danger.kind in ("self_harm", "missing", "at_risk") and not (category or "").startswith("anak_"):
        # someone else who wants to die, someone missing, someone collapsed: staff read who
        return REPORT_SIGHTING.name, {}
    if danger.kind == "captive" and not categories and not (danger.self_ or danger.at_home) and danger.by is None:
        # "dibawa paksa masuk mobil": who it is, staff and the form ask; "disekap pacarnya": a victim of violence
        return REPORT_SIGHTING.name, {}
    if category in _DISASTERS:  # "bentrok antar kampung, rumah dibakar, sy takut keluar rumah": not a home's violence
        return REPORT_SIGHTING.name, {"category": category, "group": group_of(category)}
    # "disekap di kamboja": trafficking, not home (but "sy tkw di hongkong, anak sy ... dipukul om nya" is the child)
    if any(code in _ABROAD for code in categories.codes) and not danger.child:
        return REPORT_SIGHTING.name, ({"category": category, "group": group_of(category)} if category else {})
    if (
        category is not None
        and danger.kind not in ("violence", "sexual")
        and not category.startswith("anak_")
        and category != "korban_kekerasan"
    ):
        # "ODGJ dipasung", "bayi dibuang": the story names what it is; danger makes it urgent
        return REPORT_SIGHTING.name, {"category": category, "group": group_of(category)}
    ill = category == "penyandang_disabilitas" or "penyandang_disabilitas" in categories.close()
    if ill and not (danger.self_ or danger.child):
        # "bapak sy ODGJ ngamuk2 bawa parang": the illness is what staff must answer, urgently
        return REPORT_SIGHTING.name, ({"category": category, "group": group_of(category)} if category else {})
    # "aku SMA kelas 10, aku dipaksa pacar kirim foto2 ...": a child writes of their own danger (not "ibu sy
    # dipukul bapak, sy msh sma": the mother's)
    own_as_child = (
        danger.young_writer
        and not danger.third_party
        and (danger.self_ or not danger.at_home)
        and danger.kind in ("violence", "sexual")
    )
    if danger.child or own_as_child or (category or "").startswith("anak_"):
        if category in _NEGLECT and (danger.kind in ("violence", "sexual") or danger.by is not None):
            category = "anak_korban_kekerasan"  # "dikurung ibu tirinya, gk dikasih makan": hurt, not neglected
        if category is not None and category.startswith("anak_"):
            return REPORT_SIGHTING.name, {"category": category, "group": group_of(category)}
        if any(code.startswith("anak_") for code in categories.codes):
            return REPORT_SIGHTING.name, {}  # close child categories: the form asks which
        return REPORT_SIGHTING.name, {"category": "anak_korban_kekerasan", "group": "anak"}
    if danger.by == "outsider":  # "sy korban pelecehan di tempat kerja, atasan sy"; "dipukulin org mabok"
        chosen = category if category is not None and not danger.self_ else "korban_kekerasan"
        return REPORT_SIGHTING.name, {"category": chosen, "group": group_of(chosen)}
    asked_counseling = heard.intent.clear() == "counseling"  # "mw konsul, sy korban kdrt"
    if (
        danger.kind in ("sexual", "violence")
        and danger.self_
        and not (danger.at_home or asked_counseling)
        and danger.by is None
    ):
        # "sy korban pelecehan di krl": harassment by a stranger is reported, not counseled as KDRT; so is
        # violence that names no home nor anyone of it ("sy korban kekerasan")
        return REPORT_SIGHTING.name, {"category": "korban_kekerasan", "group": group_of("korban_kekerasan")}
    if danger.young_writer and danger.kind in ("violence", "sexual") and not asked_counseling:
        # "ayah sy sering mabok terus mukul ibu, sy umur 12": a child tells of violence at home; reported
        chosen = "anak_korban_kekerasan" if danger.self_ or danger.child else "korban_kekerasan"
        return REPORT_SIGHTING.name, {"category": chosen, "group": group_of(chosen)}
    if (danger.self_ or danger.at_home) and not danger.third_party and danger.kind != "neglect":
        # not "bapak sy udh tua ditinggal anak2nya, sendirian di rumah": someone left alone is reported
        return REQUEST_COUNSELING.name, {"topic": "kdrt", **({"for_whom": "self"} if danger.self_ else {})}
    if category is None and categories:
        return REPORT_SIGHTING.name, {}  # "kebakaran ... rumah dibakar": the form asks which category
    chosen = category or "korban_kekerasan"
    return REPORT_SIGHTING.name, {"category": chosen, "group": group_of(chosen)}


def _not_understood(state: ConversationState, heard: Meanings, ctx: FlowContext, *, greeted: bool) -> StepResult:
    """Once: say so and show the menu. Twice in a row: take the words as a report staff will classify.

    A question the vocabulary cannot answer ("apakah layanan ini terhubung dgn polisi?") gets the help text:
    how the service works is the best answer there is, and a question is no report to take as said.
    """
    if heard.asks and heard.real_words >= _MIN_REAL_WORDS:
        return _understood(state, (RelayToCase(heard.text.strip(), (help_reply(ctx), _menu(state, ctx))),))
    unheard = (*state.unheard, heard.text.strip())[-2:]
    if len(unheard) < 2:
        menu = _menu(state, ctx)
        said = menu if greeted else Reply(f"{ctx.t('menu.pick_one')}\n\n{menu.text}", menu.choices)
        # It may be the comment the feedback question invited: the engine keeps it if so.
        return StepResult(replace(state, unheard=unheard), (RelayToCase(heard.text.strip(), (said,)),))
    words = "\n".join(unheard)
    taken = ctx.understanding.read(words)
    if taken.real_words < _MIN_REAL_WORDS:
        menu = _menu(state, ctx)
        return StepResult(
            replace(state, unheard=()), (Reply(f"{ctx.t('menu.pick_again')}\n\n{menu.text}", menu.choices),)
        )
    fixed = {"category": UNCLASSIFIED, "group": UNCLASSIFIED, "description": words[:MAX_FREE_TEXT]}
    return open_with_story(
        REPORT_SIGHTING.name, replace(state, unheard=()), taken, ctx, (Reply(ctx.t("menu.taken_as_said")),), fixed=fixed
    )


def _understood(state: ConversationState, outputs: tuple[Output, ...]) -> StepResult:
    return StepResult(replace(state, unheard=()), outputs)


def _menu(state: ConversationState, ctx: FlowContext) -> Reply:
    return menu_reply(ctx, has_draft=bool(state.drafts))
