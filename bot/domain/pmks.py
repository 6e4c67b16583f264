"""The 26 PMKS categories (Permensos No. 08/2012) and the counseling topics, as stable codes.

Codes are what the database, the routing file and channel callback data carry; labels live in the
message catalogs (`pmks.<code>`, `pmks_group.<code>`, `topic.<code>`). Groups keep every keyboard short.
"""

from __future__ import annotations

from types import MappingProxyType

#: Category groups in the order the citizen sees them; no group holds more than 8 categories.
PMKS_GROUPS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "anak": (
            "anak_balita_telantar",
            "anak_telantar",
            "anak_berhadapan_hukum",
            "anak_jalanan",
            "anak_disabilitas",
            "anak_korban_kekerasan",
            "anak_perlindungan_khusus",
        ),
        "lansia_disabilitas": ("lansia_telantar", "penyandang_disabilitas"),
        "jalanan": (
            "tuna_susila",
            "gelandangan",
            "pengemis",
            "pemulung",
            "kelompok_minoritas",
            "bekas_warga_binaan",
            "odha",
            "korban_napza",
        ),
        "korban": (
            "korban_trafficking",
            "korban_kekerasan",
            "pekerja_migran_bermasalah",
            "korban_bencana_alam",
            "korban_bencana_sosial",
        ),
        "keluarga": (
            "perempuan_rawan_sosial_ekonomi",
            "fakir_miskin",
            "keluarga_bermasalah",
            "komunitas_adat_terpencil",
        ),
    }
)

PMKS_CATEGORIES: tuple[str, ...] = tuple(code for codes in PMKS_GROUPS.values() for code in codes)

#: Category or topic of a request whose words the citizen could not fit to one: staff set it on the request page.
UNCLASSIFIED = "belum_ditentukan"

#: Counseling topics of DESIGN.md section 3, in the order shown.
COUNSELING_TOPICS: tuple[str, ...] = (
    "konflik_keluarga",
    "pengasuhan_anak",
    "kenakalan_remaja",
    "perceraian",
    "ekonomi_keluarga",
    "stres_psikologis",
    "kdrt",
    "lainnya",
)

#: Categories whose count the province uses to plan panti sosial capacity (dashboard "service needs").
PANTI_CATEGORIES: tuple[str, ...] = (
    "lansia_telantar",
    "penyandang_disabilitas",
    "korban_napza",
    "anak_telantar",
)


def group_of(category: str) -> str:
    """Return the group code a category belongs to."""
    for group, codes in PMKS_GROUPS.items():
        if category in codes:
            return group
    raise KeyError(category)
