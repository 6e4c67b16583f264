"""The confirmation after sending: a promise the service keeps, with the deadlines of the routing file.

The claim deadline says when an officer takes a request up; contact is promised with the first-contact
deadline and the way the citizen chose, and never to an anonymous reporter.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT, Settings
from bot.domain.pmks import group_of
from bot.runtime import Runtime, build_runtime
from tests.helpers.casework import counseling_request
from tests.helpers.chat import Chat

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

#: Claim and first-contact deadlines that differ from the defaults and from each other, so a promise
#: that named the wrong one, or a number written into a text, would show.
SLA = {
    "urgent": {"claim_hours": 2, "first_contact_hours": 6},
    "normal": {"claim_business_days": 2, "first_contact_business_days": 5},
}


@pytest.fixture
def own_sla_runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """The service with the default routing file but other SLA numbers, as an operator may set them."""
    routing = yaml.safe_load((PROJECT_ROOT / "config" / "routing.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump({**routing, "sla": SLA}, allow_unicode=True), encoding="utf-8")
    runtime = build_runtime(Settings(_env_file=None, database_url=database_url, routing_file=path))
    runtime.sync_queues()
    yield runtime
    runtime.close()


def _counseling(chat: Chat, topic: str, way: str, contact_time: str = "anytime") -> str:
    counseling_request(chat, topic=topic, region="kab-lebak", way=way, contact_time=contact_time)
    return chat.last[0].text


def _sighting(chat: Chat, category: str, contact: str) -> str:
    chat.start()
    chat.press("menu:lapor")
    chat.press(f"grp:{group_of(category)}")
    chat.press(f"cat:{category}")
    chat.press("reg:kota-serang")
    chat.press("kec:unknown")
    chat.send("depan pasar rau")
    chat.send("anak kecil sendirian sampai malam")
    chat.press("skip")
    chat.press(f"contact:{contact}")
    if contact == "phone":
        chat.send("0812 3456 7890")
    chat.press("consent:yes")
    chat.press("confirm:send")
    return chat.last[0].text


@pytest.mark.parametrize(
    ("topic", "way", "promise", "not_said"),
    [
        (
            "kdrt",
            "phone",
            "Konselor UPTD PPA (P2TP2A) Kabupaten Lebak, layanan perlindungan perempuan dan anak, akan menghubungi Anda "
            "lewat telepon dalam 6 jam.",
            "2 jam",
        ),
        (
            "pengasuhan_anak",
            "chat",
            "Konselor LK3 Kabupaten Lebak, Lembaga Konsultasi Kesejahteraan Keluarga, akan menghubungi Anda "
            "lewat chat ini dalam 5 hari kerja.",
            "2 hari kerja",
        ),
    ],
)
def test_counseling_confirmation_names_the_contact_deadline_of_the_routing_file(
    own_sla_runtime: Runtime, topic: str, way: str, promise: str, not_said: str
) -> None:
    """Urgent ("Sekarang aman") and normal: the first-contact deadline as the routing file sets it, never the claim one."""
    done = _counseling(Chat(own_sla_runtime.engine), topic, way, "now" if topic == "kdrt" else "anytime")
    assert promise in done.splitlines()
    assert not_said not in done


def test_an_urgent_request_that_waits_for_the_safe_time_promises_that_time_not_the_deadline(
    own_sla_runtime: Runtime,
) -> None:
    """Messages to an urgent citizen wait for the window they chose: "in 6 hours" would be a broken promise."""
    done = _counseling(Chat(own_sla_runtime.engine), "kdrt", "phone", "morning")
    assert (
        "Konselor UPTD PPA (P2TP2A) Kabupaten Lebak, layanan perlindungan perempuan dan anak, akan menghubungi "
        "Anda lewat telepon pada waktu aman yang Anda pilih, Pagi (08.00–12.00), begitu waktu itu tiba; sebelum "
        "itu kami tidak mengirim apa pun."
    ) in done.splitlines()
    assert "6 jam" not in done


@pytest.mark.parametrize(
    ("contact", "promise"),
    [
        (
            "chat",
            "Petugas Dinas Sosial Kota Serang akan mulai menangani laporan ini dalam 2 hari kerja "
            "dan menghubungi Anda lewat chat ini dalam 5 hari kerja.",
        ),
        (
            "phone",
            "Petugas Dinas Sosial Kota Serang akan mulai menangani laporan ini dalam 2 hari kerja "
            "dan menghubungi Anda lewat telepon dalam 5 hari kerja.",
        ),
        (
            "anonymous",
            "Petugas Dinas Sosial Kota Serang akan mulai menangani laporan ini dalam 2 hari kerja. "
            "Anda melapor tanpa nama, jadi petugas tidak akan menghubungi Anda; "
            "kabar singkat perkembangannya kami kirim ke chat ini.",
        ),
    ],
)
def test_sighting_confirmation_promises_contact_only_the_way_chosen(
    own_sla_runtime: Runtime, contact: str, promise: str
) -> None:
    done = _sighting(Chat(own_sla_runtime.engine), "anak_jalanan", contact)
    assert promise in done.splitlines()


def test_an_urgent_anonymous_sighting_is_promised_the_claim_hour_and_no_contact(own_sla_runtime: Runtime) -> None:
    done = _sighting(Chat(own_sla_runtime.engine), "anak_balita_telantar", "anonymous")
    assert "akan mulai menangani laporan ini dalam 2 jam." in done
    assert "petugas tidak akan menghubungi Anda" in done and "dalam 6 jam" not in done


def test_the_english_confirmation_keeps_the_same_promise(own_sla_runtime: Runtime) -> None:
    chat = Chat(own_sla_runtime.engine)
    chat.start()
    chat.press("menu:bahasa")
    chat.press("lang:en")
    done = _counseling(chat, "pengasuhan_anak", "phone")
    assert (
        "A counselor of LK3 Kabupaten Lebak, the family welfare counseling agency, will contact you "
        "by phone within 5 working days."
    ) in done.splitlines()
