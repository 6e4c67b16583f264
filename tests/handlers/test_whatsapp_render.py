"""Planning a `Reply` as WhatsApp messages within Meta's limits (pure: no server, no database)."""

from __future__ import annotations

import pytest

from bot.domain.pmks import PMKS_CATEGORIES
from bot.handlers.whatsapp_render import (
    ButtonsPart,
    Labels,
    ListPart,
    LocationRequestPart,
    TextPart,
    render_reply,
    shorten,
    split_body,
    split_text,
)
from bot.i18n import load_catalog
from bot.messages import Choice, Reply

T = load_catalog()
LABELS = Labels.for_language(T, "id")


def _choices(count: int, label: str = "Pilihan nomor {}") -> tuple[Choice, ...]:
    return tuple(Choice(f"c:{i}", label.format(i)) for i in range(1, count + 1))


def test_plain_text_is_one_message_and_long_text_is_split_at_paragraphs() -> None:
    assert render_reply(Reply("Halo!"), LABELS) == [TextPart("Halo!")]
    long = "\n\n".join(["a" * 3000, "b" * 3000, "c" * 100])
    assert [len(p.text) for p in render_reply(Reply(long), LABELS)] == [3000, 3102]
    assert split_text("x" * 9000, 4096) == ["x" * 4096, "x" * 4096, "x" * 808]  # no boundary: hard cut


@pytest.mark.parametrize("count", [1, 2, 3])
def test_up_to_three_choices_are_reply_buttons(count: int) -> None:
    [part] = render_reply(Reply("Setuju?", _choices(count, "Ya {}")), LABELS)
    assert part == ButtonsPart("Setuju?", tuple((f"c:{i}", f"Ya {i}") for i in range(1, count + 1)))


def test_long_button_titles_are_cut_and_spelled_out_in_the_body() -> None:
    choices = (
        Choice("contact:anonymous", "Tidak, saya lapor anonim"),
        Choice("contact:chat", "Boleh, lewat chat ini"),
        Choice("contact:phone", "Boleh, lewat telepon"),
    )
    [part] = render_reply(Reply("Bolehkah petugas menghubungi Anda?", choices), LABELS)
    assert isinstance(part, ButtonsPart)
    assert [t for _, t in part.buttons] == ["Tidak, saya lapor…", "Boleh, lewat chat…", "Boleh, lewat telepon"]
    assert part.body.endswith("• Tidak, saya lapor anonim\n• Boleh, lewat chat ini\n• Boleh, lewat telepon")


def test_button_titles_stay_distinct_after_cutting() -> None:
    choices = (Choice("a", "Laporan untuk wilayah utara"), Choice("b", "Laporan untuk wilayah selatan"))
    [part] = render_reply(Reply("Yang mana?", choices), LABELS)
    titles = [t for _, t in part.buttons]
    assert len(set(titles)) == 2 and all(len(t) <= 20 for t in titles)


def test_four_to_ten_choices_are_one_list_with_full_labels_kept() -> None:
    choices = (*_choices(3), Choice("grp:korban", "Korban (kekerasan, bencana, perdagangan orang)"))
    [part] = render_reply(Reply("Siapa?", choices), LABELS)
    assert isinstance(part, ListPart) and part.button == "Lihat pilihan" and part.section_title == "Pilihan"
    row = part.rows[-1]
    assert row.title == "Korban (kekerasan…" and row.description == "Korban (kekerasan, bencana, perdagangan orang)"
    assert all(len(r.title) <= 24 and len(r.description) <= 72 for r in part.rows)


def test_more_than_ten_choices_become_several_lists_none_over_the_limit() -> None:
    categories = tuple(Choice(f"cat:{code}", T.text("id", f"pmks.{code}")) for code in PMKS_CATEGORIES)
    parts = render_reply(Reply(T.text("id", "sighting.ask_category"), categories), LABELS)
    assert all(isinstance(p, ListPart) for p in parts)
    assert [len(p.rows) for p in parts] == [9, 9, 8]  # 26 categories, evenly
    assert [r.id for p in parts for r in p.rows] == [c.id for c in categories]  # every id, in order
    assert [p.section_title for p in parts] == ["Pilihan 1–9", "Pilihan 10–18", "Pilihan 19–26"]
    assert parts[0].body == "Pilih yang paling sesuai:" and parts[1].body == "Pilihan lainnya:"


def test_location_request_is_its_own_interactive_message() -> None:
    ask = T.text("id", "sighting.ask_place")
    assert render_reply(Reply(ask, request_location=True), LABELS) == [LocationRequestPart(ask)]
    parts = render_reply(Reply(ask, _choices(1), request_location=True), LABELS)
    assert parts == [ButtonsPart(ask, (("c:1", "Pilihan nomor 1"),)), LocationRequestPart("Kirim lokasi saya")]


def test_long_summary_goes_as_text_and_the_question_keeps_the_buttons() -> None:
    summary = "Ringkasan laporan:\n" + "\n".join(f"Keterangan {i}: " + "x" * 80 for i in range(15))
    text = f"{summary}\n\nApakah data ini sudah benar?"
    parts = render_reply(Reply(text, (Choice("confirm:send", "Kirim"), Choice("confirm:edit", "Ubah"))), LABELS)
    assert parts == [TextPart(summary), ButtonsPart("Apakah data ini sudah benar?", parts[1].buttons)]


def test_split_body_prefers_paragraphs_then_lines_then_words() -> None:
    assert split_body("short", 1024) == ("", "short")
    assert split_body("a" * 50 + "\n\n" + "b" * 20, 30) == ("a" * 50, "b" * 20)
    assert split_body("a" * 50 + "\n" + "b" * 20, 30) == ("a" * 50, "b" * 20)
    lead, body = split_body("kata " * 20, 30)
    assert len(body) <= 30 and " ".join((lead + " " + body).split()) == " ".join(("kata " * 20).split())


def test_shorten_cuts_at_words_and_marks_the_cut() -> None:
    assert shorten("Anak jalanan", 20) == "Anak jalanan"
    assert shorten("Anak yang memerlukan perlindungan khusus", 24) == "Anak yang memerlukan…"
    assert shorten("Supercalifragilisticexpialidocious", 10) == "Supercali…"
    assert len(shorten("Tidak, saya lapor anonim", 20)) <= 20


def test_english_labels() -> None:
    labels = Labels.for_language(T, "en")
    [part] = render_reply(Reply("Which?", _choices(5)), labels)
    assert isinstance(part, ListPart) and (part.button, part.section_title) == ("See options", "Options")
