"""People probing the service: each refused cleanly, nothing stored, logged as an event without secrets.

In process (httpx over ASGI with the app's lifespan, every channel on), on both engines.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from sqlmodel import Session, select

from bot.handlers.telegram import SECRET_HEADER
from bot.handlers.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.handlers.whatsapp import WEBHOOK_PATH as WHATSAPP_PATH
from storage.models import AuditLog, Contact, OutboxMessage, ProcessedInbound, Request
from tests.hardening.conftest import Service
from tests.helpers.dashboard import CSRF, login, seed
from tests.helpers.staff import PASSWORD, make_staff
from tests.helpers.telegram_chat import WEBHOOK_SECRET, message_update
from tests.helpers.whatsapp import APP_SECRET, message_payload, post_webhook, sign

#: For checks that do not depend on the database engine: SQLite only, to keep the suite quick.
one_engine = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HOSTILE = (
    "'; DROP TABLE request; --",
    "<script>alert('x')</script>",
    '" onmouseover="alert(1)',
    "Robert'); DELETE FROM contact; --",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "%00%27",
    "\u202egnp.exe",
)


def _nothing_stored(service: Service) -> bool:
    return all(service.count(model) == 0 for model in (Contact, ProcessedInbound, OutboxMessage, Request))


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("request_refused")]


def _assert_no_secrets(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in text


# --- webhooks ----------------------------------------------------------------------------------------


@one_engine
async def test_forged_telegram_secret_is_403_and_stores_nothing(service: Service, caplog) -> None:
    caplog.set_level(logging.INFO)
    update = message_update(81234567, text="/start")
    for secret in (None, "", "wrong-secret", WEBHOOK_SECRET[:-1], WEBHOOK_SECRET + "x", WEBHOOK_SECRET.upper()):
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        answer = await service.client.post(TELEGRAM_PATH, json=update, headers=headers)
        assert answer.status_code == 403
    assert _nothing_stored(service)
    assert _refusals(caplog).count(f"request_refused status=403 method=POST route={TELEGRAM_PATH}") == 6
    assert "telegram_webhook_refused reason=secret_token" in caplog.text
    _assert_no_secrets(caplog, WEBHOOK_SECRET, "wrong-secret")


@one_engine
async def test_forged_whatsapp_signature_is_403_and_stores_nothing(service: Service, caplog) -> None:
    caplog.set_level(logging.INFO)
    body = message_payload({"type": "text", "text": {"body": "tolong, saya dipukul"}})
    forged = [
        None,
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        sign(body, "another-secret"),
        sign(body + b" "),
        sign(body).upper(),
        sign(body)[7:],
        "sha1=" + sign(body)[7:],
    ]
    for signature in forged:
        answer = await post_webhook(service.client, body, signature=signature)
        assert answer.status_code == 403, signature
    assert _nothing_stored(service)
    assert caplog.text.count("whatsapp_webhook_bad_signature") == len(forged)
    _assert_no_secrets(caplog, APP_SECRET, "dipukul")


async def test_a_replayed_signed_whatsapp_body_is_processed_once(service: Service) -> None:
    body = message_payload({"type": "text", "text": {"body": "halo"}})
    answers = [await post_webhook(service.client, body) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert service.count(ProcessedInbound) == 1 and service.count(Contact) == 1
    replies = service.count(OutboxMessage)
    assert replies >= 1
    assert (await post_webhook(service.client, body)).status_code == 200 and service.count(OutboxMessage) == replies


@one_engine
async def test_a_replayed_telegram_update_is_processed_once(service: Service) -> None:
    update = message_update(81234567, text="/start")
    for _ in range(3):
        answer = await service.client.post(TELEGRAM_PATH, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET})
        assert answer.status_code == 200
    assert service.count(ProcessedInbound) == 1 and service.count(Contact) == 1


# --- bodies: size and type ---------------------------------------------------------------------------


@one_engine
async def test_oversized_bodies_are_413_everywhere_and_logged(service: Service, caplog) -> None:
    caplog.set_level(logging.INFO)
    session_id = (await service.client.post("/api/webchat/sessions")).json()["session_id"]
    big = b'{"text": "' + b"a" * 300_000 + b'"}'
    targets = [
        "/api/webchat/sessions",
        f"/api/webchat/sessions/{session_id}/messages",
        WHATSAPP_PATH,
        TELEGRAM_PATH,
        "/login",
    ]
    for path in targets:
        answer = await service.client.post(
            path, content=big, headers={"content-type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
        )
        assert answer.status_code == 413, path

    async def chunks():  # no Content-Length: the limit counts the bytes as they stream in
        for _ in range(40):
            yield b"a" * 10_000

    streamed = await service.client.post(
        f"/api/webchat/sessions/{session_id}/messages", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    lying = await service.client.post(
        "/api/webchat/sessions", content=b"{}", headers={"content-type": "application/json", "content-length": "-1"}
    )
    assert lying.status_code in (400, 413)
    absurd = await service.client.post(
        "/api/webchat/sessions",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "9" * 5000},
    )
    assert absurd.status_code == 413  # found here: int() of a 5,000-digit length raised, a 500
    assert service.count(Request) == 0 and service.count(ProcessedInbound) == 0
    assert len([r for r in _refusals(caplog) if "status=413" in r]) >= len(targets) + 1
    assert session_id not in caplog.text  # logged by route template, never by path


BROKEN_BODIES = [
    ("text/plain", b"halo"),
    ("application/x-www-form-urlencoded", b"text=halo"),
    (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="text"\r\n\r\nhalo\r\n--xyz--\r\n',
    ),
    ("application/xml", b"<text>halo</text>"),
    ("application/json", b"{not json"),
    ("application/json", b""),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'"just a string"'),
    ("application/json", b'{"text": "\\ud800"}'),
    ("application/json", b'{"text": null, "choice": null, "location": {"latitude": "NaN", "longitude": 1}}'),
    ("application/json", json.dumps({"location": {"latitude": 1e309, "longitude": 0}}).encode()),
    ("application/json; charset=latin-1", '{"text": "caf\u00e9"}'.encode("latin-1")),
    ("application/json", b"\xff\xfe\x00\x00garbage"),
]


@one_engine
async def test_wrong_content_types_and_broken_bodies_are_4xx(service: Service) -> None:
    session_id = (await service.client.post("/api/webchat/sessions")).json()["session_id"]
    for content_type, body in BROKEN_BODIES:
        await _broken_body(service, session_id, content_type, body)
    assert service.count(Request) == 0


async def _broken_body(service: Service, session_id: str, content_type: str, body: bytes) -> None:
    answer = await service.client.post(
        f"/api/webchat/sessions/{session_id}/messages", content=body, headers={"content-type": content_type}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert "Traceback" not in answer.text and "detail" in answer.json()
    for path, headers in (
        (WHATSAPP_PATH, {"X-Hub-Signature-256": sign(body)}),
        (TELEGRAM_PATH, {SECRET_HEADER: WEBHOOK_SECRET}),
    ):
        webhook = await service.client.post(path, content=body, headers={"content-type": content_type, **headers})
        assert webhook.status_code == 200  # authentic but unreadable: acknowledged, never re-sent forever
    created = await service.client.post("/api/webchat/sessions", content=body, headers={"content-type": content_type})
    assert created.status_code < 500


# --- SQL and HTML in every field ---------------------------------------------------------------------


async def test_sql_and_html_in_every_web_chat_field_are_kept_as_text(service: Service) -> None:
    client = service.client
    for hostile in HOSTILE:
        bad = await client.post("/api/webchat/sessions", json={"language": hostile})
        assert (bad.status_code == 422 and hostile not in bad.text) or bad.status_code == 422
        assert (await client.post(f"/api/webchat/sessions/{hostile}/messages", json={"text": "x"})).status_code == 404
    session_id = (await client.post("/api/webchat/sessions", json={})).json()["session_id"]

    async def send(**body) -> list[dict]:
        answer = await client.post(f"/api/webchat/sessions/{session_id}/messages", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()["replies"]

    for hostile in HOSTILE:
        await send(text=hostile)
        await send(choice=hostile[:64])
        await send(text="halo", client_message_id=(hostile * 3)[:64].ljust(8, "x"))
    await send(choice="menu:lapor")
    for body in (
        {"choice": "grp:anak"},
        {"choice": "cat:anak_jalanan"},
        {"choice": "reg:kota-serang"},
        {"text": "kasemen"},
        {"text": HOSTILE[0]},
        {"text": HOSTILE[1]},
        {"choice": "skip"},
        {"choice": "contact:anonymous"},
        {"choice": "consent:yes"},
    ):
        replies = await send(**body)
    assert HOSTILE[0] in replies[-1]["text"] and HOSTILE[1] in replies[-1]["text"]  # echoed verbatim in the summary
    await send(choice="confirm:send")
    with Session(service.runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.landmark, request.description) == (HOSTILE[0], HOSTILE[1])
    staff = make_staff(service.runtime, "petugas", queues=(request.queue_code,))
    await login(client, staff.username)
    page = await client.get(f"/dashboard/requests/{request.id}")
    assert page.status_code == 200
    assert "<script>alert('x')</script>" not in page.text and "&lt;script&gt;" in page.text


# --- paths, sessions, other people's things ---------------------------------------------------------


async def _raw_get(service: Service, raw_path: bytes) -> int:
    """GET with the path exactly as given: httpx would normalise `..` away before sending it."""
    from urllib.parse import unquote_to_bytes

    status = 0
    app = service.client._transport.app  # type: ignore[attr-defined]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    body: list[bytes] = []
    requested, done = False, asyncio.Event()

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # then the client goes, as a real one would after the answer
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    await asyncio.wait_for(app(scope, receive, send), 10)
    assert b"class Settings" not in b"".join(body) and b"SECRET_KEY" not in b"".join(body)
    return status


PATH_TRICKS = [
    b"/static/../bot/config.py",
    b"/static/%2e%2e/bot/config.py",
    b"/static/..%2fbot%2fconfig.py",
    b"/static/%2e%2e%2f%2e%2e%2fbot/config.py",
    b"/static/....//bot/config.py",
    b"/static/%252e%252e/bot/config.py",
    b"/static/..%5cbot%5cconfig.py",
    b"/static//etc/passwd",
    b"/static/%2fetc%2fpasswd",
    b"/static/../../.env",
    b"/static/.%00./bot/config.py",
    b"/../bot/config.py",
    b"/static/webchat.js/../../config.py",
]


@one_engine
async def test_path_tricks_on_static_files_are_404(service: Service, caplog) -> None:
    caplog.set_level(logging.INFO)
    for raw_path in PATH_TRICKS:
        assert await _raw_get(service, raw_path) == 404, raw_path
    assert await _raw_get(service, b"/static/webchat.js") == 200
    assert len([r for r in _refusals(caplog) if "status=404" in r]) == len(PATH_TRICKS)


async def test_another_sessions_id_or_its_stored_hash_is_404(service: Service, caplog) -> None:
    caplog.set_level(logging.INFO)
    client = service.client
    mine = (await client.post("/api/webchat/sessions")).json()["session_id"]
    theirs = (await client.post("/api/webchat/sessions")).json()["session_id"]
    await client.post(f"/api/webchat/sessions/{theirs}/messages", json={"text": "rahasia saya"})
    with Session(service.runtime.db) as session:
        stored = [c.platform_user_id for c in session.exec(select(Contact))]
    near_misses = [
        theirs[:-1] + ("A" if theirs[-1] != "A" else "B"),
        theirs.upper(),
        theirs + "=",
        *stored,
        mine[:16] + theirs[16:],
    ]
    for forged in near_misses:
        assert (await client.get(f"/api/webchat/sessions/{forged}/messages")).status_code == 404
        assert (await client.post(f"/api/webchat/sessions/{forged}/messages", json={"text": "x"})).status_code == 404
    history = (await client.get(f"/api/webchat/sessions/{mine}/messages")).json()["replies"]
    assert all("rahasia" not in r["text"] for r in history)
    refused = [r for r in _refusals(caplog) if "status=404" in r]
    assert len(refused) == 2 * len(near_misses)
    assert all(route in r for r in refused for route in ["/api/webchat/sessions/{session_id}/messages"])
    _assert_no_secrets(caplog, mine, theirs, *stored, "rahasia")


# --- the dashboard ----------------------------------------------------------------------------------


@one_engine
async def test_dashboard_posts_without_csrf_are_403_and_change_nothing(service: Service, caplog) -> None:
    caplog.set_level(logging.INFO)
    request_id = seed(service.runtime, queue="lk3-kota-serang").id
    make_staff(service.runtime, "siti", queues=("lk3-kota-serang",))
    token = await login(service.client, "siti")
    claim = f"/dashboard/requests/{request_id}/claim"
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "forged-token"}, {"csrf_token": token[:-1]}):
        assert (await service.client.post(claim, data=data)).status_code == 403
    assert (await service.client.post(claim, json={"csrf_token": token})).status_code == 403  # not a form
    with Session(service.runtime.db) as session:
        assert session.get(Request, request_id).status == "new"
    assert len([r for r in _refusals(caplog) if "status=403" in r and "/claim" in r]) == 5
    _assert_no_secrets(caplog, token)
    assert (await service.client.post(claim, data={"csrf_token": token})).status_code == 303


@one_engine
async def test_another_queues_request_is_404_even_to_claim(service: Service) -> None:
    theirs = seed(service.runtime, queue="p2tp2a-kab-lebak").id
    make_staff(service.runtime, "budi", queues=("lk3-kota-serang",))
    token = await login(service.client, "budi")
    assert (await service.client.get(f"/dashboard/requests/{theirs}")).status_code == 404
    answer = await service.client.post(f"/dashboard/requests/{theirs}/claim", data={"csrf_token": token})
    assert answer.status_code == 404
    with Session(service.runtime.db) as session:
        assert session.get(Request, theirs).status == "new"


async def test_brute_force_login_is_throttled_after_five_failures(service: Service, caplog) -> None:
    caplog.set_level(logging.INFO)
    make_staff(service.runtime, "admin1", role="admin")
    token = CSRF.search((await service.client.get("/login")).text).group(1)

    async def attempt(password: str) -> int:
        data = {"username": "admin1", "password": password, "csrf_token": token}
        return (await service.client.post("/login", data=data)).status_code

    assert [await attempt(f"guess-{n}") for n in range(5)] == [401] * 5
    assert await attempt(PASSWORD) == 429  # even the right password waits out the window
    assert await attempt("guess-6") == 429
    with Session(service.runtime.db) as session:
        actions = [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions.count("login_failed") == 5 and actions.count("login_throttled") == 2 and "login" not in actions
    assert len([r for r in _refusals(caplog) if "status=429 method=POST route=/login" in r]) == 2
    _assert_no_secrets(caplog, PASSWORD, "guess-")
