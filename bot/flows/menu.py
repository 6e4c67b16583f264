"""The main menu and the short side questions: greeting, help, language, status code, cancel."""

from __future__ import annotations

from bot.flows.base import FlowContext
from bot.messages import Choice, Reply

LANGUAGES = ("id", "en")


def menu_reply(ctx: FlowContext, *, has_draft: bool = False, intro_key: str = "menu.title") -> Reply:
    choices = [
        Choice("menu:lapor", ctx.t("menu.report")),
        Choice("menu:konseling", ctx.t("menu.counseling")),
        Choice("menu:status", ctx.t("menu.status")),
        Choice("menu:dataku", ctx.t("menu.my_data")),
        Choice("menu:bantuan", ctx.t("menu.help")),
        Choice("menu:bahasa", ctx.t("menu.language")),
    ]
    if has_draft:
        choices.insert(0, Choice("menu:resume", ctx.t("menu.resume")))
    return Reply(ctx.t(intro_key), tuple(choices))


def greeting_reply(ctx: FlowContext) -> Reply:
    return Reply(ctx.t("menu.greeting"))


def help_reply(ctx: FlowContext) -> Reply:
    return Reply(ctx.t("help.text"))


def emergency_reply(ctx: FlowContext) -> Reply:
    return Reply(ctx.t("safety.emergency"))


def language_reply(ctx: FlowContext) -> Reply:
    return Reply(ctx.t("language.ask"), tuple(Choice(f"lang:{code}", ctx.t(f"language.{code}")) for code in LANGUAGES))


def status_ask_reply(ctx: FlowContext) -> Reply:
    return Reply(ctx.t("status.ask_code"), (Choice("status:back", ctx.t("common.back_to_menu")),))


def cancel_confirm_reply(ctx: FlowContext) -> Reply:
    return Reply(
        ctx.t("cancel.confirm"),
        (Choice("cancel:yes", ctx.t("cancel.yes")), Choice("cancel:no", ctx.t("cancel.no"))),
    )


def erase_confirm_reply(ctx: FlowContext) -> Reply:
    return Reply(
        ctx.t("privacy.erase_confirm"),
        (Choice("erase:yes", ctx.t("privacy.erase_yes")), Choice("erase:no", ctx.t("privacy.erase_no"))),
    )
