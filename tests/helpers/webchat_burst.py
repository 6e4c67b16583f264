"""Many web chat citizens at once, each sending the shortest whole report as the page would.

Used by the restart test (SIGKILL in the middle of a burst) and the two-instance test (each message to
another instance). The client behaves as the page does: every send carries a `client_message_id`, a send
that got no answer (connection refused, 5xx) is sent again with the same id, and a send that comes back
as already processed (`replies: []`) is followed by a history read (`?after=<last seq>`) to get the answer
that was lost with the process. Each answer must be the next question of the form, so a conversation that
jumped, repeated or fell back a step fails.
"""

from __future__ import annotations

import asyncio
import time
from itertools import count

import httpx

#: How long a burst may take, waits for a dead or restarting service included.
DEADLINE_S = 240.0
#: The shortest whole report (a typed category skips the group, an unknown region the kecamatan): what each
#: conversation sends, and a choice id (or text) that the answer to it must offer.
STEPS: tuple[tuple[dict, str], ...] = (
    ({"choice": "menu:lapor"}, "grp:anak"),
    ({"text": "anak jalanan"}, "reg:kota-serang"),
    ({"choice": "reg:unknown"}, "request_location"),
    ({"text": "depan pasar rau"}, "text:Ceritakan"),
    ({"text": "anak kecil tidur di trotoar"}, "skip"),
    ({"choice": "skip"}, "contact:anonymous"),
    ({"choice": "contact:anonymous"}, "consent:yes"),
    ({"choice": "consent:yes"}, "confirm:send"),
    ({"choice": "confirm:send"}, "text:Kode tiket"),
)


def _offers(replies: list[dict], expected: str) -> bool:
    if expected == "request_location":
        return any(r.get("request_location") for r in replies)
    if expected.startswith("text:"):
        return any(expected[5:] in r["text"] for r in replies)
    return any(expected == c["id"] for r in replies for c in r["choices"])


class Burst:
    """Web chat conversations against one service, or several in turn (a round-robin load balancer).

    With more than one base URL, each request of a conversation goes to the next instance after the one
    before. `answered`, `retries` and `recovered` count answers, re-sends and answers read from history.
    """

    def __init__(self, base_url: str, *more_base_urls: str) -> None:
        self.base_urls = (base_url, *more_base_urls)
        self.answered = 0
        self.retries = 0
        self.recovered = 0

    async def _call(self, client: httpx.AsyncClient, base_url: str, method: str, path: str, **kwargs) -> httpx.Response:
        """Retry until the service answers (it may be dead or restarting): the page's own behaviour."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                answer = await client.request(method, f"{base_url}{path}", **kwargs)
                if answer.status_code < 500:
                    return answer
            except httpx.TransportError:
                pass
            self.retries += 1
            assert time.monotonic() < deadline, f"no answer to {method} {path} within {DEADLINE_S}s"
            await asyncio.sleep(0.1)

    async def conversation(self, client: httpx.AsyncClient, number: int) -> str:
        """One whole report as citizen `number`; returns the web chat session id."""
        turns = count()

        async def call(method: str, path: str, **kwargs) -> httpx.Response:
            base_url = self.base_urls[(number + next(turns)) % len(self.base_urls)]
            return await self._call(client, base_url, method, path, **kwargs)

        created = await call("POST", "/api/webchat/sessions", json={})
        assert created.status_code == 201
        session_id = created.json()["session_id"]
        last_seq = created.json()["replies"][-1]["seq"]
        path = f"/api/webchat/sessions/{session_id}/messages"
        for step, (body, expected) in enumerate(STEPS):
            answer = await call("POST", path, json={**body, "client_message_id": f"c{number:03d}-s{step:02d}"})
            assert answer.status_code == 200, answer.text
            replies = answer.json()["replies"]
            if not replies:  # processed before the process died; the answer was lost with it
                self.recovered += 1
                history = await call("GET", path, params={"after": last_seq})
                replies = history.json()["replies"]
            assert _offers(replies, expected), f"conversation {number} step {step}: {replies}"
            last_seq = replies[-1]["seq"]
            self.answered += 1
        return session_id
