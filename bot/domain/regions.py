"""Banten's kabupaten/kota and kecamatan, and tolerant matching of what citizens type for them.

A request is routed by kabupaten/kota (DESIGN.md section 3) and located by kecamatan. Citizens type both
on cheap phones, in lower case, with typos, glued or split words and alternate spellings; matching only
exact names would push most reports into the provincial fallback queue, so matching here is forgiving
but says when it is unsure (several candidates) instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import areaid
from rapidfuzz import fuzz

REGION_CODES: tuple[str, ...] = (
    "kab-lebak",
    "kab-pandeglang",
    "kab-serang",
    "kab-tangerang",
    "kota-cilegon",
    "kota-serang",
    "kota-tangerang",
    "kota-tangerang-selatan",
)
#: Pseudo-region of the provincial queues, used when the citizen's kabupaten/kota is unknown.
PROVINCE = "provinsi"
PROVINCE_NAME = "Provinsi Banten"

#: (south, north, west, east) in degrees. A box, not the border polygon: see `in_banten`.
BANTEN_BOX: tuple[float, float, float, float] = (-7.05, -5.80, 105.05, 106.80)

#: Typed region names (spaces removed) -> (kabupaten code, kota code); None where no such region exists.
_REGION_NAMES: dict[str, tuple[str | None, str | None]] = {
    "lebak": ("kab-lebak", None),
    "pandeglang": ("kab-pandeglang", None),
    "serang": ("kab-serang", "kota-serang"),
    "tangerang": ("kab-tangerang", "kota-tangerang"),
    "cilegon": (None, "kota-cilegon"),
    "tangerangselatan": (None, "kota-tangerang-selatan"),
    "tangsel": (None, "kota-tangerang-selatan"),
}
_KABUPATEN_WORDS = frozenset({"kabupaten", "kab", "kabup", "kabupatn", "kbp", "kb"})
_KOTA_WORDS = frozenset({"kota", "kodya", "kotamadya", "kot", "kt"})
_KECAMATAN_WORDS = frozenset({"kecamatan", "kec", "kecamatn", "kc"})

_REGION_CUTOFF = 80.0  # a typed region name must be at least this close to a known one
_CONFIDENT = 80.0  # a kecamatan scoring this much, clearly ahead of the next, is taken alone
_MARGIN = 10.0  # "clearly ahead" of the runner-up
_CLOSE = 75.0  # kecamatan scoring less are not offered at all (one typo in a 4-letter name scores 75)
_PREFIX_SCORE = 85.0  # "rangkas" typed for "Rangkasbitung"
_MIN_PREFIX = 4
_MAX_CHOICES = 5


@dataclass(frozen=True, slots=True)
class Kecamatan:
    """One kecamatan; `code` is areaid's id, short enough for callback data such as "kec:3886"."""

    code: str
    name: str
    region: str
    #: Its desa and kelurahan, as areaid names them ("Kaligandu", "Cibodas Sari"); not part of its identity.
    villages: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Region:
    """One kabupaten/kota with its kecamatan sorted by name, the order a picker list shows them."""

    code: str
    name: str
    kecamatan: tuple[Kecamatan, ...]


def _words(text: str) -> list[str]:
    """Split into lower-case ASCII words: dots, dashes, commas and accents carry no meaning here."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def _compact(words: Iterable[str]) -> str:
    """Join words without spaces and fold old spellings, so "Rangkas Bitung" meets "Rangkasbitung"."""
    joined = "".join(words)
    for old, new in (("oe", "u"), ("dj", "j"), ("tj", "c")):
        joined = joined.replace(old, new)
    return joined


def _kecamatan_keys(name: str) -> tuple[str, ...]:
    """Matching keys of an areaid name: "Cikeudal (Cikedal)" answers to "cikeudal" and "cikedal"."""
    main, *alternates = re.split(r"[()]", name)
    names = [main, *(alt for alt in alternates if alt.strip())]
    return tuple(_compact(_words(part)) for part in names)


def _query_key(text: str) -> str:
    """Compact key of a typed kecamatan, without a leading "Kec." or "kecamatan"."""
    words = _words(text)
    if words and words[0] in _KECAMATAN_WORDS:
        words = words[1:]
    return _compact(words)


def _score(query: str, keys: Sequence[str]) -> float:
    """Similarity 0..100 of a query to the best of a kecamatan's keys; a long prefix counts as close."""
    best = 0.0
    for key in keys:
        score = fuzz.ratio(query, key)
        if len(query) >= _MIN_PREFIX and key.startswith(query):
            score = max(score, _PREFIX_SCORE)
        best = max(best, score)
    return best


_Entry = tuple[Kecamatan, tuple[str, ...]]


def _match(text: str, entries: Sequence[_Entry]) -> list[Kecamatan]:
    """One kecamatan when sure, up to five best first when unsure, none when nothing is close."""
    query = _query_key(text)
    if not query:
        return []
    exact = [kec for kec, keys in entries if query in keys]
    if exact:
        return exact[:_MAX_CHOICES]
    scored = [(score, kec) for kec, keys in entries if (score := _score(query, keys)) >= _CLOSE]
    scored.sort(key=lambda pair: -pair[0])  # stable: ties keep catalog order
    if not scored:
        return []
    best = scored[0][0]
    if best >= _CONFIDENT and (len(scored) == 1 or best - scored[1][0] >= _MARGIN):
        return [scored[0][1]]
    return [kec for _, kec in scored[:_MAX_CHOICES]]


def _split_region_kind(words: list[str]) -> tuple[str | None, list[str]]:
    """Take a leading "kab"/"kabupaten"/"kota" (also glued, "kotaserang") off the typed words."""
    if not words:
        return None, words
    first, rest = words[0], words[1:]
    if first in _KABUPATEN_WORDS:
        return "kab", rest
    if first in _KOTA_WORDS:
        return "kota", rest
    for prefix, kind in (("kabupaten", "kab"), ("kab", "kab"), ("kota", "kota")):
        if first.startswith(prefix) and first[len(prefix) :] in _REGION_NAMES:
            return kind, [first[len(prefix) :], *rest]
    return None, words


def _closest_region_name(name: str) -> str | None:
    """The known region name closest to a typed one ("tanggerang" -> "tangerang"), if close enough."""
    if name in _REGION_NAMES:
        return name
    best, best_score = None, _REGION_CUTOFF
    for known in _REGION_NAMES:
        score = fuzz.ratio(name, known)
        if score >= best_score:
            best, best_score = known, score
    return best


class RegionCatalog:
    """Banten's regions in REGION_CODES order, with lookups by code and by what a citizen typed."""

    def __init__(self, regions: Sequence[Region]) -> None:
        self.regions: tuple[Region, ...] = tuple(regions)
        self._regions = {region.code: region for region in self.regions}
        self._kecamatan = {kec.code: kec for region in self.regions for kec in region.kecamatan}
        self._entries: dict[str, tuple[_Entry, ...]] = {
            region.code: tuple((kec, _kecamatan_keys(kec.name)) for kec in region.kecamatan) for region in self.regions
        }
        self._all_entries = tuple(entry for entries in self._entries.values() for entry in entries)

    def region(self, code: str) -> Region:
        """The region with this code; KeyError for an unknown code (including PROVINCE)."""
        return self._regions[code]

    def kecamatan(self, code: str) -> Kecamatan:
        """The kecamatan with this code; KeyError for an unknown code."""
        return self._kecamatan[code]

    def match_region(self, text: str) -> Region | None:
        """The region a citizen means, or None when unknown or ambiguous ("serang" alone)."""
        kind, words = _split_region_kind(_words(text))
        name = _closest_region_name("".join(words)) if words else None
        if name is None:
            return None
        kabupaten, kota = _REGION_NAMES[name]
        if kind == "kab":
            code = kabupaten or kota
        elif kind == "kota":
            code = kota or kabupaten
        else:
            code = None if (kabupaten and kota) else (kabupaten or kota)
        return self._regions.get(code) if code else None

    def match_kecamatan(self, region_code: str, text: str) -> list[Kecamatan]:
        """Kecamatan of one region for typed text: one when sure, up to 5 when unsure, [] if none."""
        return _match(text, self._entries[region_code])

    def find_kecamatan_anywhere(self, text: str) -> list[Kecamatan]:
        """Like `match_kecamatan` across all regions, for when the citizen did not give the region."""
        return _match(text, self._all_entries)


def _region_code(name: str) -> str:
    """ "Kabupaten Lebak" -> "kab-lebak", "Kota Tangerang Selatan" -> "kota-tangerang-selatan"."""
    kind, *rest = _words(name)
    return "-".join(["kab" if kind == "kabupaten" else kind, *rest])


def _region_from_areaid(entry: dict[str, Any]) -> Region:
    """Build one Region from an areaid kabupaten dict."""
    code = _region_code(entry["kab_kota"])
    kecamatan = sorted(
        (
            Kecamatan(
                code=str(kec["id"]),
                name=kec["kec"],
                region=code,
                villages=tuple(village["kelu"] for village in kec.get("kelurahan", ())),
            )
            for kec in entry["kecamatan"]
        ),
        key=lambda kec: kec.name,
    )
    return Region(code=code, name=entry["kab_kota"], kecamatan=tuple(kecamatan))


@cache
def load_regions() -> RegionCatalog:
    """Read Banten from areaid once; fail loudly if its regions ever differ from REGION_CODES."""
    (province,) = areaid.buka_data("banten")
    by_code = {region.code: region for region in map(_region_from_areaid, province["kabupaten"])}
    if set(by_code) != set(REGION_CODES):
        raise ValueError(f"areaid regions {sorted(by_code)} differ from REGION_CODES")
    return RegionCatalog([by_code[code] for code in REGION_CODES])


#: Regions next to Banten whose kecamatan people name as often as the region itself ("kerja di
#: cengkareng", "dari parung"): areaid's names, as `places_elsewhere` reads them.
NEIGHBOURS: tuple[str, ...] = (
    "Kota Adm. Jakarta Barat",
    "Kota Adm. Jakarta Pusat",
    "Kota Adm. Jakarta Selatan",
    "Kota Adm. Jakarta Timur",
    "Kota Adm. Jakarta Utara",
    "Kabupaten Bogor",
    "Kota Bogor",
    "Kota Depok",
    "Kabupaten Bekasi",
    "Kota Bekasi",
)
_REGION_KIND = re.compile(r"^(kabupaten|kota)(\s+adm\.)?\s+", re.IGNORECASE)


@cache
def places_elsewhere() -> tuple[str, ...]:
    """Names of places outside Banten, from areaid: every other province, its kabupaten/kota, and the
    kecamatan of the neighbouring regions, in lower case ("jawa barat", "aceh barat", "cengkareng").

    The understanding step knows a place outside Banten as such (issue 15: "name it, say what to do
    instead") without a hand-kept list of 500 names; a name that is also one of Banten's is Banten's.
    """
    names: dict[str, None] = {}
    for province_name in areaid.buka_nama()["himpunan"]:  # areaid's provinces, each with a data file of its name
        if province_name == "Banten":
            continue
        for province in areaid.buka_data(province_name.lower()):
            names[province["provinsi"].lower()] = None
            for region in province["kabupaten"]:
                names[_REGION_KIND.sub("", region["kab_kota"]).lower()] = None
                if region["kab_kota"] in NEIGHBOURS:
                    names.update((kec["kec"].lower(), None) for kec in region["kecamatan"])
    return tuple(names)


def in_banten(latitude: float, longitude: float) -> bool:
    """Whether a shared pin may lie in Banten.

    A bounding box, not the border: it spans Ujung Kulon and Panaitan in the west (~105.1 E), Pulau Tunda
    in the north (~5.81 S), the Lebak and Pandeglang south coast (~7.0 S) and Tangerang Selatan's eastern
    edge (~106.78 E). It also holds bits of Jakarta, Bogor and the sea, which is fine: we only refuse
    pins clearly elsewhere (Bandung, Lampung, central Jakarta); the region comes from the citizen anyway.
    """
    south, north, west, east = BANTEN_BOX
    return south <= latitude <= north and west <= longitude <= east
