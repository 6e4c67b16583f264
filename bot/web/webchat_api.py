"""Web chat over HTTP: the page at `/` and the JSON API it talks to (documented in OpenAPI and the README).

The routes check the session and the limits and answer HTTP errors; what a request means to the engine
and how its replies look to the page is the channel adapter's, bot/handlers/webchat.py.

A session id is issued by the server, random and unguessable; the database keeps only its SHA-256,
so a copy of the database cannot be used to read anyone's chat. The page keeps the id in the browser
(`localStorage`) until the session ends (bot/services/webchat_sessions.py).

A photo is uploaded as the request body itself, read here within the photo limit and checked and
cleaned like a photo from any channel (bot/services/photos.py); one too large or not a photo is
answered in the chat, in the citizen's words, with the question asked again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from bot.domain.photos import MAX_PHOTO_BYTES, MAX_PHOTO_MB
from bot.engine import utc_now
from bot.handlers import webchat
from bot.handlers.webchat import MessageIn, RepliesOut, SessionIn, SessionOut
from bot.messages import PhotoProblem
from bot.runtime import Runtime
from bot.services.photos import PhotoRefused
from bot.services.webchat_sessions import PageMessage, end_session, open_session, page_messages
from bot.web.deps import RuntimeDep

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
T = TypeVar("T")
MAX_SEQ = 2**63 - 1  # the largest id either database can compare with; above it the driver raised (5xx)
#: Reads its own body within the photo limit (bot/web/limits.py lets it through).
PHOTO_UPLOAD_PATH = re.compile(r"/api/webchat/sessions/[^/]+/photos")
ClientMessageId = Annotated[str | None, Query(min_length=8, max_length=64)]
_PHOTO_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, runtime: RuntimeDep, lang: Literal["id", "en"] | None = None) -> HTMLResponse:
    """The chat page, in Indonesian unless `?lang=en`."""
    language = lang or runtime.settings.default_language
    catalog = runtime.catalog
    texts = catalog.section(language, "webchat") | catalog.section(language, "webchat_session")
    # A photo over the limit is refused on the page before it is sent, in the words the chat would use.
    texts["photo_too_large"] = catalog.text(language, "sighting.photo_refused_too_large", max_mb=MAX_PHOTO_MB)
    return templates.TemplateResponse(
        request, "webchat.html", {"texts": texts, "language": language, "max_photo_bytes": MAX_PHOTO_BYTES}
    )


@router.post("/api/webchat/sessions", status_code=201, response_model=SessionOut, tags=["web chat"])
async def create_session(runtime: RuntimeDep, body: SessionIn | None = None) -> SessionOut:
    """Start a conversation: returns the session id and the greeting with the main menu."""
    return await webchat.start_session(runtime.engine, body)


@router.post("/api/webchat/sessions/{session_id}/messages", response_model=RepliesOut, tags=["web chat"])
async def post_message(session_id: str, body: MessageIn, request: Request, runtime: RuntimeDep) -> RepliesOut:
    """Send text, a choice id or a location; returns the replies it caused."""
    await _in_session(runtime, session_id, lambda session, contact, now: None)  # open (and seen), or 404
    return await webchat.take_message(runtime.engine, session_id, body, origin=_origin(request))


@router.post(
    "/api/webchat/sessions/{session_id}/photos", response_model=RepliesOut, tags=["web chat"], openapi_extra=_PHOTO_BODY
)
async def post_photo(
    session_id: str, request: Request, runtime: RuntimeDep, client_message_id: ClientMessageId = None
) -> RepliesOut:
    """Send a photo: the file itself as the body, any content type. JPEG, PNG or WebP of at most 5 MB, as its
    content shows (not its name or type); returns the replies, which say so when the photo was not taken."""
    await _in_session(runtime, session_id, lambda session, contact, now: None)  # open (and seen), or 404
    return await webchat.take_photo(
        runtime.engine,
        session_id,
        lambda: _photo_body(request),  # the body is the photo
        client_message_id=client_message_id,
        origin=_origin(request),
    )


async def _photo_body(request: Request) -> bytes:
    """The uploaded bytes; PhotoRefused past the limit, where a declared length over it is not read at all."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or len(declared) > 15 or int(declared) > MAX_PHOTO_BYTES):
        raise PhotoRefused(PhotoProblem.TOO_LARGE)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_PHOTO_BYTES:
            raise PhotoRefused(PhotoProblem.TOO_LARGE)
    return bytes(data)


@router.get("/api/webchat/sessions/{session_id}/messages", response_model=RepliesOut, tags=["web chat"])
async def get_messages(
    session_id: str, runtime: RuntimeDep, after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0
) -> RepliesOut:
    """Messages with a sequence number above `after`, and any not fetched yet: history when the page is
    opened again (counselor messages written while it was closed among them), and later follow-ups."""

    def load(session: Session, contact, now) -> list[PageMessage]:
        return page_messages(session, contact_id=contact.id, after=after, now=now)

    return webchat.page_replies(await _in_session(runtime, session_id, load))


@router.delete("/api/webchat/sessions/{session_id}", status_code=204, response_class=Response, tags=["web chat"])
async def end_chat(session_id: str, runtime: RuntimeDep) -> Response:
    """End the session ("Akhiri dan hapus percakapan di perangkat ini"): the id is refused from now on.

    The citizen's requests stay and are still handled; erasing them is `/hapusdata`.
    """
    await _in_session(runtime, session_id, lambda session, contact, now: end_session(session, contact=contact, now=now))
    return Response(status_code=204)


async def _in_session(runtime: Runtime, session_id: str, work: Callable[..., T]) -> T:
    """Run `work(session, contact, now)` in one transaction, or answer 404 for an unknown, ended, expired,
    malformed or forged session id."""
    if not 16 <= len(session_id) <= 64:
        raise HTTPException(404, "Unknown session.")
    lifetime = timedelta(days=runtime.settings.webchat_session_days)
    missing = object()

    def run():
        now = utc_now()
        with Session(runtime.db, expire_on_commit=False) as session, session.begin():
            contact = open_session(session, token=session_id, now=now, lifetime=lifetime)
            return missing if contact is None else work(session, contact, now)

    result = await run_in_threadpool(run)
    if result is missing:
        raise HTTPException(404, "Unknown session.")
    return result


def _origin(request: Request) -> str:
    """The network address a request came from, for the status lookup's abuse limits."""
    return request.client.host if request.client else ""
