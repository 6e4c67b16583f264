"""Routing: the shipped file must say what DESIGN.md section 3 says, and a broken file names its line."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.domain.pmks import COUNSELING_TOPICS, PMKS_CATEGORIES
from bot.routing import QueueSpec, Route, RoutingFileError, RoutingTable, load_routing
from bot.sla import SlaPolicy

pytestmark = pytest.mark.clock  # outcome depends on the date and hour: tests/pinned_moments.py

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "routing.yaml"

# DESIGN.md section 3, written out by hand: the test fails when the YAML drifts from the design.
P2TP2A_URGENT = ("p2tp2a", "urgent")
DINSOS_URGENT = ("dinsos", "urgent")
DINSOS_NORMAL = ("dinsos", "normal")
LK3_NORMAL = ("lk3", "normal")
EXPECTED_SIGHTING: dict[str, tuple[str, str]] = {
    "anak_balita_telantar": DINSOS_URGENT,
    "anak_telantar": DINSOS_NORMAL,
    "anak_berhadapan_hukum": DINSOS_NORMAL,
    "anak_jalanan": DINSOS_NORMAL,
    "anak_disabilitas": DINSOS_NORMAL,
    "anak_korban_kekerasan": P2TP2A_URGENT,
    "anak_perlindungan_khusus": P2TP2A_URGENT,
    "lansia_telantar": DINSOS_NORMAL,
    "penyandang_disabilitas": DINSOS_NORMAL,
    "tuna_susila": DINSOS_NORMAL,
    "gelandangan": DINSOS_NORMAL,
    "pengemis": DINSOS_NORMAL,
    "pemulung": DINSOS_NORMAL,
    "kelompok_minoritas": DINSOS_NORMAL,
    "bekas_warga_binaan": DINSOS_NORMAL,
    "odha": DINSOS_NORMAL,
    "korban_napza": DINSOS_NORMAL,
    "korban_trafficking": P2TP2A_URGENT,
    "korban_kekerasan": P2TP2A_URGENT,
    "pekerja_migran_bermasalah": DINSOS_NORMAL,
    "korban_bencana_alam": DINSOS_URGENT,
    "korban_bencana_sosial": DINSOS_URGENT,
    "perempuan_rawan_sosial_ekonomi": DINSOS_NORMAL,
    "fakir_miskin": DINSOS_NORMAL,
    "keluarga_bermasalah": LK3_NORMAL,
    "komunitas_adat_terpencil": DINSOS_NORMAL,
}
EXPECTED_COUNSELING: dict[str, tuple[str, str]] = {
    "konflik_keluarga": LK3_NORMAL,
    "pengasuhan_anak": LK3_NORMAL,
    "kenakalan_remaja": LK3_NORMAL,
    "perceraian": LK3_NORMAL,
    "ekonomi_keluarga": LK3_NORMAL,
    "stres_psikologis": LK3_NORMAL,
    "kdrt": P2TP2A_URGENT,
    "lainnya": LK3_NORMAL,
}
REGIONS = ("kab-lebak", "kab-tangerang", "kota-serang", "kota-tangerang-selatan")
FALLBACKS = (None, "provinsi", "kab-bogor", "")  # unknown: the agency's provincial queue


@pytest.fixture(scope="module")
def table() -> RoutingTable:
    return load_routing(SHIPPED)


def test_expectations_cover_every_code() -> None:
    assert len(EXPECTED_SIGHTING) == 26
    assert set(EXPECTED_SIGHTING) == set(PMKS_CATEGORIES)
    assert set(EXPECTED_COUNSELING) == set(COUNSELING_TOPICS)


@pytest.mark.parametrize("category", sorted(EXPECTED_SIGHTING))
def test_sighting_routes(table: RoutingTable, category: str) -> None:
    agency, urgency = EXPECTED_SIGHTING[category]
    for region in REGIONS:
        expected = Route(f"{agency}-{region}", agency, region, urgency)
        assert table.route_sighting(category, region) == expected
    for unknown in FALLBACKS:
        expected = Route(f"{agency}-provinsi", agency, "provinsi", urgency)
        assert table.route_sighting(category, unknown) == expected


@pytest.mark.parametrize("topic", sorted(EXPECTED_COUNSELING))
def test_counseling_routes(table: RoutingTable, topic: str) -> None:
    agency, urgency = EXPECTED_COUNSELING[topic]
    for region in REGIONS:
        expected = Route(f"{agency}-{region}", agency, region, urgency)
        assert table.route_counseling(topic, region) == expected
    for unknown in FALLBACKS:
        expected = Route(f"{agency}-provinsi", agency, "provinsi", urgency)
        assert table.route_counseling(topic, unknown) == expected


def test_unknown_category_or_topic_is_a_key_error(table: RoutingTable) -> None:
    with pytest.raises(KeyError):
        table.route_sighting("anak_jalan", "kota-serang")
    with pytest.raises(KeyError):
        table.route_counseling("anak_jalanan", "kota-serang")


def test_twenty_seven_queues(table: RoutingTable) -> None:
    queues = table.queues()
    regions = [
        "kab-lebak", "kab-pandeglang", "kab-serang", "kab-tangerang",
        "kota-cilegon", "kota-serang", "kota-tangerang", "kota-tangerang-selatan", "provinsi",
    ]  # fmt: skip
    agencies = ("lk3", "p2tp2a", "dinsos")
    expected_codes = {f"{agency}-{region}" for agency in agencies for region in regions}
    assert len(queues) == 27
    assert {queue.code for queue in queues} == expected_codes
    assert all(queue.code == f"{queue.agency}-{queue.region}" for queue in queues)


def test_queue_names(table: RoutingTable) -> None:
    by_code = {queue.code: queue for queue in table.queues()}
    assert by_code["lk3-kota-serang"] == QueueSpec(
        code="lk3-kota-serang", agency="lk3", region="kota-serang", name="LK3 Kota Serang"
    )
    assert by_code["p2tp2a-provinsi"].name == "UPTD PPA (P2TP2A) Provinsi Banten"
    assert by_code["dinsos-kab-lebak"].name == "Dinas Sosial Kabupaten Lebak"
    assert by_code["dinsos-kota-tangerang-selatan"].name == "Dinas Sosial Kota Tangerang Selatan"


def test_sla_and_office_hours_from_the_file(table: RoutingTable) -> None:
    assert table.sla == SlaPolicy(
        urgent_claim_hours=1,
        urgent_first_contact_hours=4,
        normal_claim_business_days=1,
        normal_first_contact_business_days=3,
    )
    calendar = table.calendar
    assert (calendar.start, calendar.end) == (time(8), time(16))
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4})
    assert str(calendar.tz) == "Asia/Jakarta"
    assert calendar.holiday_country == "ID"
    # Cuti bersama: not in the public holiday list, closed all the same (this year's and next year's).
    assert {date(2026, 12, 24), date(2027, 3, 15)} <= calendar.closed_days
    assert not calendar.is_business_day(date(2026, 12, 24)) and calendar.is_business_day(date(2026, 12, 23))


# --- broken files --------------------------------------------------------------------------------------

# A small valid file; line numbers below are those of this text.
VALID = """\
agencies:
  lk3: "LK3"
  p2tp2a: "UPTD PPA (P2TP2A)"
  dinsos: "Dinas Sosial"
sla:
  urgent: {claim_hours: 1, first_contact_hours: 4}
  normal: {claim_business_days: 1, first_contact_business_days: 3}
business_hours:
  start: "08:00"
  end: "16:00"
  weekdays: [mon, tue, wed, thu, fri]
  holidays: ID
sighting:
  default: {agency: dinsos, urgency: normal}
  rules:
    - categories: [anak_korban_kekerasan, anak_perlindungan_khusus]
      agency: p2tp2a
      urgency: urgent
    - categories:
        - anak_balita_telantar
        - korban_bencana_alam
      agency: dinsos
      urgency: urgent
counseling:
  default: {agency: lk3, urgency: normal}
  rules:
    - topics: [kdrt]
      agency: p2tp2a
      urgency: urgent
"""


def load_text(tmp_path: Path, text: str) -> RoutingTable:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return load_routing(path)


def refusal(tmp_path: Path, old: str, new: str) -> str:
    """The error message for VALID with one edit."""
    assert VALID.count(old) == 1, old
    with pytest.raises(RoutingFileError) as caught:
        load_text(tmp_path, VALID.replace(old, new))
    return str(caught.value)


def test_the_small_file_is_valid(tmp_path: Path) -> None:
    table = load_text(tmp_path, VALID)
    assert table.route_sighting("korban_bencana_alam", None).urgency == "urgent"
    assert table.route_sighting("korban_trafficking", "kab-serang").queue_code == "dinsos-kab-serang"


def test_unknown_category_names_its_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, "- korban_bencana_alam", "- anak_jalan")
    assert message == f"{tmp_path / 'routing.yaml'} line 21: unknown category 'anak_jalan'"


def test_unknown_category_in_a_flow_list_names_its_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, "anak_perlindungan_khusus]", "anak_perlindungan]")
    assert message.endswith("routing.yaml line 16: unknown category 'anak_perlindungan'")


def test_unknown_topic_names_its_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, "topics: [kdrt]", "topics: [kekerasan]")
    assert message.endswith("line 27: unknown topic 'kekerasan'")


def test_unknown_agency_names_its_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, "[kdrt]\n      agency: p2tp2a", "[kdrt]\n      agency: ppa")
    assert message.endswith("line 28: unknown agency 'ppa'")


def test_category_in_two_rules_names_the_second(tmp_path: Path) -> None:
    message = refusal(tmp_path, "- korban_bencana_alam", "- anak_korban_kekerasan")
    assert message.endswith("line 21: category 'anak_korban_kekerasan' is listed more than once")


def test_yaml_syntax_error_names_the_line_pyyaml_reports(tmp_path: Path) -> None:
    message = refusal(tmp_path, "weekdays: [mon, tue, wed, thu, fri]", "weekdays: [mon, tue")
    # PyYAML notices the missing "]" on the next line and names where the list began.
    assert message.startswith(f"{tmp_path / 'routing.yaml'} line 12: YAML syntax error:")
    assert "line 11" in message


def test_missing_section_is_refused(tmp_path: Path) -> None:
    message = refusal(tmp_path, VALID[VALID.index("counseling:") :], "")
    assert message.endswith("line 1: missing section 'counseling'")


def test_misspelt_key_names_its_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, "    - categories:\n", "    - categoires:\n")
    assert "line 19: unknown key 'categoires'" in message
    assert "line 19: sighting.rules[1].categories: missing" in message


def test_wrong_urgency_names_its_line(tmp_path: Path) -> None:
    kdrt_rule = "[kdrt]\n      agency: p2tp2a\n      urgency: "
    message = refusal(tmp_path, kdrt_rule + "urgent", kdrt_rule + "high")
    assert "line 29: counseling.rules[0].urgency: Input should be 'urgent' or 'normal'" in message


def test_unquoted_time_is_refused(tmp_path: Path) -> None:
    # YAML 1.1 reads 8:00 as the number 480; taking it would open the office at 00:08.
    message = refusal(tmp_path, 'start: "08:00"', "start: 8:00")
    assert message.endswith('line 9: time must be written in quotes as "HH:MM", got 480')


def test_impossible_cuti_bersama_date_names_its_line(tmp_path: Path) -> None:
    dates = "  holidays: ID\n  cuti_bersama:\n    - 2026-12-24\n    - 2026-02-30\n"
    message = refusal(tmp_path, "  holidays: ID\n", dates)
    assert message == f"{tmp_path / 'routing.yaml'} line 15: not a date: 2026-02-30"


def test_several_mistakes_are_listed_in_file_order(tmp_path: Path) -> None:
    text = VALID.replace("holidays: ID", "holidays: XX").replace("- korban_bencana_alam", "- anak_jalan")
    with pytest.raises(RoutingFileError) as caught:
        load_text(tmp_path, text)
    path = tmp_path / "routing.yaml"
    assert str(caught.value).splitlines() == [
        f"{path} line 12: unknown holiday country 'XX'",
        f"{path} line 21: unknown category 'anak_jalan'",
    ]


def test_empty_and_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RoutingFileError, match="line 1"):
        load_text(tmp_path, "")
    with pytest.raises(RoutingFileError, match="cannot read"):
        load_routing(tmp_path / "absent.yaml")


def test_routing_file_error_is_a_value_error() -> None:
    assert issubclass(RoutingFileError, ValueError)
