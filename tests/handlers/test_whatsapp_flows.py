"""Whole conversations over WhatsApp: signed webhooks in, pywa's requests out at the fake Graph API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import Session, select

from bot.config import Settings
from bot.runtime import Runtime
from storage.models import Contact, OutboxMessage, Request, StoredPhoto
from tests.helpers.chat import TICKET
from tests.helpers.fake_graph_api import FakeGraphAPI, graph_api, graph_api_server  # noqa: F401 (fixtures)
from tests.helpers.images import png
from tests.helpers.whatsapp import (
    WA_ID,
    Citizen,
    assert_within_limits,
    body_text,
    interactive_kind,
    offered_ids,
    whatsapp_client,
    whatsapp_settings,
)


@pytest.fixture
def settings(database_url: str, graph_api: FakeGraphAPI) -> Settings:
    return whatsapp_settings(database_url, graph_api)


@pytest.fixture
async def citizen(runtime: Runtime, graph_api: FakeGraphAPI) -> AsyncIterator[Citizen]:
    async with whatsapp_client(runtime) as (client, _channel):
        yield Citizen(client, runtime, graph_api)


def _last(sent: list[dict]) -> dict:
    assert sent, "nothing was sent"
    for message in sent:
        assert_within_limits(message)
        assert message["messaging_product"] == "whatsapp" and message["to"] == WA_ID
    return sent[-1]


async def test_full_sighting_report_with_buttons_lists_and_location(citizen: Citizen, runtime: Runtime) -> None:
    menu = _last(await citizen.text("halo"))
    assert interactive_kind(menu) == "list" and "menu:lapor" in offered_ids(menu)

    groups = _last(await citizen.pick_row("menu:lapor"))
    assert interactive_kind(groups) == "list" and "grp:anak" in offered_ids(groups)
    rows = groups["interactive"]["action"]["sections"][0]["rows"]
    cut = next(r for r in rows if r["id"] == "grp:korban")  # "Korban (kekerasan, bencana, ...)": 46 characters
    assert cut["title"].endswith("…") and cut["description"].startswith("Korban (kekerasan, bencana")

    categories = _last(await citizen.pick_row("grp:anak"))
    assert "cat:anak_jalanan" in offered_ids(categories) and len(offered_ids(categories)) == 8

    regions = _last(await citizen.pick_row("cat:anak_jalanan"))
    assert interactive_kind(regions) == "list" and len(offered_ids(regions)) == 9

    kecamatan = _last(await citizen.pick_row("reg:kab-serang"))
    assert "kecpage:next" in offered_ids(kecamatan)
    page_two = _last(await citizen.pick_row("kecpage:next"))
    assert "kec:3955" in offered_ids(page_two)  # Cikande

    place = _last(await citizen.pick_row("kec:3955"))
    assert interactive_kind(place) == "location_request_message"
    assert place["interactive"]["action"] == {"name": "send_location"}

    description = _last(await citizen.location(-6.17, 106.33))
    assert interactive_kind(description) == "text" and "Ceritakan" in body_text(description)

    photo = _last(await citizen.text("Anak kecil mengamen sendirian sampai malam di lampu merah"))
    assert interactive_kind(photo) == "button" and offered_ids(photo) == ["skip"]

    more = _last(await citizen.photo("1002003004005"))
    assert interactive_kind(more) == "button" and offered_ids(more) == ["photo:another", "photo:done"]
    fetched = [(r.path, r.authorization) for r in citizen.graph_api.requests if "1002003004005" in r.path]
    assert fetched == [
        ("/v23.0/1002003004005", "Bearer test-token-not-real"),  # fetched on arrival (media
        ("/download/1002003004005", "Bearer test-token-not-real"),
    ]  # expire): its URL, the bytes
    gone = _last(await citizen.send({"type": "image", "image": {"id": "1002003009999", "mime_type": "image/jpeg"}}))
    assert body_text(gone).startswith(runtime.catalog.text("id", "sighting.photo_refused_unavailable"))
    second = _last(await citizen.document("1002003004006", png(), filename="layar.png", mime_type="image/png"))
    assert offered_ids(second) == ["photo:another", "photo:done"] and "ke-2" in body_text(second)

    contact = _last(await citizen.tap_button("photo:done"))
    assert interactive_kind(contact) == "button"
    assert offered_ids(contact) == ["contact:anonymous", "contact:chat", "contact:phone"]
    assert "Tidak, saya lapor anonim" in body_text(contact)  # cut titles are spelled out in the body

    consent = _last(await citizen.tap_button("contact:chat"))
    assert offered_ids(consent) == ["consent:yes", "consent:no"]

    summary = _last(await citizen.tap_button("consent:yes"))
    assert offered_ids(summary)[0] == "confirm:send" and "Cikande" in body_text(summary)

    done = await citizen.tap_button("confirm:send")
    texts = "\n".join(body_text(m) for m in done)
    code = TICKET.search(texts)
    assert code is not None and "Dinas Sosial Kabupaten Serang" in texts

    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.ticket_code, request.category, request.queue_code) == (
            code.group(1),
            "anak_jalanan",
            "dinsos-kab-serang",
        )
        photos = session.exec(select(StoredPhoto).order_by(StoredPhoto.id)).all()
        assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
        assert request.photo_refs == [f"photo:{p.id}" for p in photos] and (request.latitude, request.longitude) == (
            -6.17,
            106.33,
        )
        assert session.exec(select(Contact)).one().address == WA_ID
        unsent = session.exec(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
        assert unsent == []


async def test_full_counseling_request(citizen: Citizen, runtime: Runtime) -> None:
    await citizen.text("menu")
    topics = _last(await citizen.pick_row("menu:konseling"))
    assert interactive_kind(topics) == "list" and "topic:kdrt" in offered_ids(topics)

    regions = _last(await citizen.pick_row("topic:pengasuhan_anak"))
    assert interactive_kind(regions) == "list" and "reg:kota-cilegon" in offered_ids(regions)

    whom = _last(await citizen.pick_row("reg:kota-cilegon"))
    assert interactive_kind(whom) == "button" and offered_ids(whom) == ["whom:self", "whom:family"]
    assert "Untuk anggota keluarga" in body_text(whom)  # 22 characters: cut on the button, kept in the body

    way = _last(await citizen.tap_button("whom:family"))
    assert offered_ids(way) == ["way:chat", "way:phone"]

    phone = _last(await citizen.tap_button("way:phone"))
    assert interactive_kind(phone) == "text"

    times = _last(await citizen.text("0812 3456 7890"))
    assert interactive_kind(times) == "list" and len(offered_ids(times)) == 4

    story = _last(await citizen.pick_row("time:evening"))
    assert interactive_kind(story) == "button" and "skip" in offered_ids(story)

    consent = _last(await citizen.text("Anak kami sering marah dan tidak mau sekolah"))
    assert offered_ids(consent) == ["consent:yes", "consent:no"]

    summary = _last(await citizen.tap_button("consent:yes"))
    assert "confirm:send" in offered_ids(summary) and "+6281234567890" in body_text(summary)

    done = await citizen.tap_button("confirm:send")
    code = TICKET.search("\n".join(body_text(m) for m in done))
    assert code is not None
    with Session(runtime.db) as session:
        request = session.exec(select(Request)).one()
        assert (request.ticket_code, request.kind, request.topic) == (code.group(1), "counseling", "pengasuhan_anak")
        assert (request.queue_code, request.urgency, request.phone) == ("lk3-kota-cilegon", "normal", "+6281234567890")


async def test_a_cry_for_help_and_a_close_meaning_over_whatsapp(citizen: Citizen, runtime: Runtime) -> None:
    """Issue 15 on WhatsApp: the numbers first, the urgent form at once; "Maksud Anda" as reply buttons."""
    sent = await citizen.text("tolong saya dipukulin suami tiap malam")
    texts = [body_text(m) for m in sent]
    assert texts[0].startswith("Jika ada yang dalam bahaya sekarang") and "SAPA 129" in texts[0]
    assert "belum mengerti" not in " ".join(texts)
    assert interactive_kind(sent[-1]) == "list" and "reg:kota-serang" in offered_ids(sent[-1])
    asked = _last(await citizen.text("serang"))  # Kota or Kabupaten? Two options and "Bukan": reply buttons
    assert interactive_kind(asked) == "button"
    assert offered_ids(asked) == ["mean:kab-serang", "mean:kota-serang", "mean:none"]
    _last(await citizen.tap_button("mean:kota-serang"))
    with Session(runtime.db) as session:
        assert session.exec(select(Request)).first() is None  # not sent yet: the form goes on
