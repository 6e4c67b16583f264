"""A `Reply` -> the WhatsApp messages that show it, within the Cloud API's limits.

Pure planning, no I/O: the sender turns each planned part into one pywa call. The limits
(developers.facebook.com, interactive reply buttons and list messages):
at most 3 reply buttons with titles of 20 characters; a list of at most 10 rows in all, row titles
24, row descriptions 72, the list's button 20, section titles 24; an interactive body 1024; a text
4096. A choice's id is what comes back when it is tapped, so titles may be shortened freely; a
shortened label is never lost: a list row carries it in its description, reply buttons in the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.i18n import Catalog
from bot.messages import Choice, Reply

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE = 20
MAX_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = 20
SECTION_TITLE = 24


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ButtonsPart:
    body: str
    buttons: tuple[tuple[str, str], ...]  # (choice id, title)


@dataclass(frozen=True, slots=True)
class ListRow:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ListPart:
    body: str
    button: str
    section_title: str
    rows: tuple[ListRow, ...]


@dataclass(frozen=True, slots=True)
class LocationRequestPart:
    body: str


Part = TextPart | ButtonsPart | ListPart | LocationRequestPart


@dataclass(frozen=True, slots=True)
class Labels:
    """The few words the rendering adds itself, in the recipient's language."""

    list_button: str
    list_section: str
    more_choices: str
    location_body: str

    @classmethod
    def for_language(cls, catalog: Catalog, language: str) -> Labels:
        return cls(
            list_button=shorten(catalog.text(language, "whatsapp.list_button"), LIST_BUTTON),
            list_section=catalog.text(language, "whatsapp.list_section"),
            more_choices=catalog.text(language, "whatsapp.more_choices"),
            location_body=catalog.text(language, "webchat.send_location"),
        )


def render_reply(reply: Reply, labels: Labels) -> list[Part]:
    """The messages that show `reply`, in order: leading text, then the choices or location button."""
    if not reply.choices and not reply.request_location:
        return [TextPart(chunk) for chunk in split_text(reply.text, TEXT_LIMIT)]
    legend = _button_legend(reply.choices)
    room = BODY_LIMIT - (len(legend) + 2 if legend else 0)
    lead, body = split_body(reply.text, room)
    body = f"{body}\n\n{legend}" if legend and body else body or legend
    parts: list[Part] = [TextPart(chunk) for chunk in split_text(lead, TEXT_LIMIT)]
    if reply.choices:
        parts.extend(_choice_parts(body, reply.choices, labels))
    if reply.request_location:
        parts.append(LocationRequestPart(labels.location_body if reply.choices else body))
    return parts


def _choice_parts(body: str, choices: tuple[Choice, ...], labels: Labels) -> list[Part]:
    if len(choices) <= MAX_BUTTONS:
        return [ButtonsPart(body, _button_titles(choices))]
    groups = _even_groups(choices, MAX_ROWS)
    parts: list[Part] = []
    start = 1
    for number, group in enumerate(groups):
        end = start + len(group) - 1
        section = labels.list_section if len(groups) == 1 else f"{labels.list_section} {start}–{end}"
        parts.append(
            ListPart(
                body=body if number == 0 else labels.more_choices,
                button=labels.list_button,
                section_title=shorten(section, SECTION_TITLE),
                rows=tuple(_row(choice) for choice in group),
            )
        )
        start = end + 1
    return parts


def _button_titles(choices: tuple[Choice, ...]) -> tuple[tuple[str, str], ...]:
    """Titles within 20 characters and distinct (Meta refuses two buttons with one title)."""
    titles: list[tuple[str, str]] = []
    for number, choice in enumerate(choices, 1):
        title = shorten(choice.label, BUTTON_TITLE)
        if title in (t for _, t in titles):
            title = shorten(f"{number}. {choice.label}", BUTTON_TITLE)
        titles.append((choice.id, title))
    return tuple(titles)


def _button_legend(choices: tuple[Choice, ...]) -> str:
    """When a button title had to be cut, the body lists every option in full."""
    if not choices or len(choices) > MAX_BUTTONS or all(len(c.label) <= BUTTON_TITLE for c in choices):
        return ""
    return "\n".join(f"• {choice.label}" for choice in choices)


def _row(choice: Choice) -> ListRow:
    title = shorten(choice.label, ROW_TITLE)
    if title == choice.label:
        return ListRow(choice.id, title, shorten(choice.description, ROW_DESCRIPTION))
    full = f"{choice.label} · {choice.description}" if choice.description else choice.label
    return ListRow(choice.id, title, shorten(full, ROW_DESCRIPTION))


def _even_groups(choices: tuple[Choice, ...], size: int) -> list[tuple[Choice, ...]]:
    """Split into as few groups of at most `size` as possible, of nearly equal length (12 -> 6 + 6)."""
    count = math.ceil(len(choices) / size)
    per_group = math.ceil(len(choices) / count)
    return [choices[i : i + per_group] for i in range(0, len(choices), per_group)]


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary where one is near, and mark the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–(") + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at a paragraph, line or word boundary when possible."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _boundary(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def split_body(text: str, limit: int) -> tuple[str, str]:
    """(lead, body): the body is the longest tail of whole paragraphs (else lines, else words) that fits.

    The question is a reply's last paragraph ("Apakah data ini sudah benar?"), so a long summary goes
    as text and the question stays with its buttons.
    """
    text = text.strip()
    if len(text) <= limit:
        return "", text
    earliest = len(text) - limit
    for separator in ("\n\n", "\n", " "):
        position = text.find(separator, earliest - len(separator))  # the first whose tail fits
        if position != -1:
            return text[:position].rstrip(), text[position + len(separator) :].strip()
    return text[:earliest], text[earliest:]


def _boundary(text: str, limit: int) -> int:
    for separator in ("\n\n", "\n", " "):
        position = text.rfind(separator, 0, limit)
        if position > limit // 2:
            return position
    return limit
