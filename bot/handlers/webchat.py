"""The web chat channel: the page's JSON in as `Inbound`, the engine's replies out as the page's JSON.

The adapter of the third channel, beside telegram.py and whatsapp.py. Its platform is our own page, so
its routes, the session check and the body limits are plain HTTP and live in bot/web/webchat_api.py;
this module only translates. A session id stands for the citizen: the engine knows them by its SHA-256
(`session_key`), and a message's id is that key's start with the page's own id for the message, so a
retried send is handled once. The page reads replies straight from the outbox (`page_replies`), no
sender is involved.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, model_validator

from bot.engine import ConversationEngine, EngineResult
from bot.messages import Channel, Inbound, InboundKind, Location, Reply
from bot.services.photos import receive_photo
from bot.services.webchat_sessions import PageMessage, new_session_token, session_key


class ChoiceOut(BaseModel):
    id: str
    label: str
    description: str | None = None


class ReplyOut(BaseModel):
    seq: int
    text: str
    choices: list[ChoiceOut] = []
    request_location: bool = False
    request_photo: bool = False
    #: Written while no page had fetched it (a counselor's message while the browser was closed): shown once.
    unread: bool = False


class SessionIn(BaseModel):
    language: Literal["id", "en"] | None = None


class SessionOut(BaseModel):
    session_id: str
    replies: list[ReplyOut]


class LocationIn(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class MessageIn(BaseModel):
    """Exactly one of text, choice or location; `client_message_id` makes a retried send harmless."""

    text: str | None = Field(default=None, max_length=50_000)
    choice: str | None = Field(default=None, max_length=64)
    location: LocationIn | None = None
    client_message_id: str | None = Field(default=None, min_length=8, max_length=64)

    @model_validator(mode="after")
    def _exactly_one(self) -> MessageIn:
        given = [name for name in ("text", "choice", "location") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("send exactly one of 'text', 'choice' or 'location'")
        return self


class RepliesOut(BaseModel):
    replies: list[ReplyOut]


async def start_session(engine: ConversationEngine, body: SessionIn | None) -> SessionOut:
    """A new session id, and the greeting with the main menu in the language the page asked for."""
    session_id = new_session_token()
    language = body.language if body and body.language else ""
    result = await run_in_threadpool(
        engine.start, channel=Channel.WEBCHAT, user_id=session_key(session_id), language=language
    )
    return SessionOut(session_id=session_id, replies=_replies(result))


async def take_message(engine: ConversationEngine, session_id: str, body: MessageIn, *, origin: str) -> RepliesOut:
    """Text, a choice id or a location through the engine; the replies it caused."""
    common = _message_fields(session_id, body.client_message_id, origin)
    if body.location is not None:
        location = Location(body.location.latitude, body.location.longitude)
        inbound = Inbound(kind=InboundKind.LOCATION, location=location, **common)
    elif body.choice is not None:
        inbound = Inbound(kind=InboundKind.CHOICE, choice=body.choice, **common)
    else:
        inbound = Inbound(kind=InboundKind.TEXT, text=body.text or "", **common)
    return RepliesOut(replies=_replies(await run_in_threadpool(engine.handle, inbound)))


async def take_photo(
    engine: ConversationEngine,
    session_id: str,
    read_photo: Callable[[], Awaitable[bytes]],
    *,
    client_message_id: str | None,
    origin: str,
) -> RepliesOut:
    """An uploaded photo, read by `read_photo` (PhotoRefused past the limit) and checked like any channel's."""
    inbound = Inbound(kind=InboundKind.PHOTO, **_message_fields(session_id, client_message_id, origin))
    inbound = await receive_photo(inbound, lambda _media_id: read_photo())
    return RepliesOut(replies=_replies(await run_in_threadpool(engine.handle, inbound)))


def page_replies(messages: Iterable[PageMessage]) -> RepliesOut:
    """Messages from the outbox as the page draws them."""
    return RepliesOut(replies=[_reply_out(m.seq, m.reply, m.unread) for m in messages])


def _replies(result: EngineResult) -> list[ReplyOut]:
    return [_reply_out(q.seq, q.reply) for q in result.replies]


def _reply_out(seq: int, reply: Reply, unread: bool = False) -> ReplyOut:
    return ReplyOut(seq=seq, unread=unread, **reply.to_json())


def _message_fields(session_id: str, client_message_id: str | None, origin: str) -> dict[str, Any]:
    key = session_key(session_id)
    message_id = f"{key[:16]}:{client_message_id or uuid.uuid4().hex}"
    return {"channel": Channel.WEBCHAT, "user_id": key, "message_id": message_id, "origin": origin}
