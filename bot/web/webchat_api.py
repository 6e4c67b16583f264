"""Web chat: the page at `/` and the JSON API it talks to (documented in OpenAPI and the README).

A session id is issued by the server, random and unguessable; the database keeps only its SHA-256,
so a copy of the database cannot be used to read anyone's chat.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session

from bot.engine import EngineResult, QueuedReply
from bot.messages import Channel, Inbound, InboundKind, Location, Reply
from bot.web.deps import RuntimeDep
from storage.contacts import find_contact
from storage.outbox import messages_after

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
SESSION_ID_BYTES = 24
MAX_SEQ = 2**63 - 1  # the largest id either database can compare with; above it the driver raised (5xx)


class ChoiceOut(BaseModel):
    id: str
    label: str
    description: str | None = None


class ReplyOut(BaseModel):
    seq: int
    text: str
    choices: list[ChoiceOut] = []
    request_location: bool = False


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


def _user_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _reply_out(seq: int, reply: Reply) -> ReplyOut:
    data = reply.to_json()
    return ReplyOut(seq=seq, **data)


def _replies(result: EngineResult) -> list[ReplyOut]:
    return [_reply_out(q.seq, q.reply) for q in result.replies]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, runtime: RuntimeDep, lang: Literal["id", "en"] | None = None) -> HTMLResponse:
    """The chat page, in Indonesian unless `?lang=en`."""
    language = lang or runtime.settings.default_language
    texts = runtime.catalog.section(language, "webchat")
    return templates.TemplateResponse(request, "webchat.html", {"texts": texts, "language": language})


@router.post("/api/webchat/sessions", status_code=201, response_model=SessionOut, tags=["web chat"])
async def create_session(runtime: RuntimeDep, body: SessionIn | None = None) -> SessionOut:
    """Start a conversation: returns the session id and the greeting with the main menu."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    language = body.language if body and body.language else ""
    result = await run_in_threadpool(
        runtime.engine.start, channel=Channel.WEBCHAT, user_id=_user_id(session_id), language=language
    )
    return SessionOut(session_id=session_id, replies=_replies(result))


@router.post("/api/webchat/sessions/{session_id}/messages", response_model=RepliesOut, tags=["web chat"])
async def post_message(session_id: str, body: MessageIn, runtime: RuntimeDep) -> RepliesOut:
    """Send text, a choice id or a location; returns the replies it caused."""
    await _require_session(runtime, session_id)
    inbound = _inbound(session_id, body)
    result = await run_in_threadpool(runtime.engine.handle, inbound)
    return RepliesOut(replies=_replies(result))


@router.get("/api/webchat/sessions/{session_id}/messages", response_model=RepliesOut, tags=["web chat"])
async def get_messages(
    session_id: str, runtime: RuntimeDep, after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0
) -> RepliesOut:
    """Messages with a sequence number above `after`: history on reload, and later follow-ups."""
    contact_id = await _require_session(runtime, session_id)

    def load() -> list[QueuedReply]:
        with Session(runtime.db) as session:
            rows = messages_after(session, contact_id=contact_id, after_id=after)
            return [QueuedReply(row.id, Reply.from_json(row.payload)) for row in rows]

    queued = await run_in_threadpool(load)
    return RepliesOut(replies=[_reply_out(q.seq, q.reply) for q in queued])


async def _require_session(runtime, session_id: str) -> int:
    """The contact id behind a session id, or 404 for an unknown, malformed or forged id."""
    if not 16 <= len(session_id) <= 64:
        raise HTTPException(404, "Unknown session.")

    def lookup() -> int | None:
        with Session(runtime.db) as session:
            contact = find_contact(session, channel=Channel.WEBCHAT.value, platform_user_id=_user_id(session_id))
            return contact.id if contact else None

    contact_id = await run_in_threadpool(lookup)
    if contact_id is None:
        raise HTTPException(404, "Unknown session.")
    return contact_id


def _inbound(session_id: str, body: MessageIn) -> Inbound:
    message_id = f"{_user_id(session_id)[:16]}:{body.client_message_id or uuid.uuid4().hex}"
    common = {"channel": Channel.WEBCHAT, "user_id": _user_id(session_id), "message_id": message_id}
    if body.location is not None:
        location = Location(body.location.latitude, body.location.longitude)
        return Inbound(kind=InboundKind.LOCATION, location=location, **common)
    if body.choice is not None:
        return Inbound(kind=InboundKind.CHOICE, choice=body.choice, **common)
    return Inbound(kind=InboundKind.TEXT, text=body.text or "", **common)
