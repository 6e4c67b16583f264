"""Places in a message: Banten's kabupaten/kota and kecamatan, a few landmarks, and places elsewhere.

Places are matched on the words as typed (folded, joined without spaces for multi-word names), never on
stems: "menes" is a kecamatan, not "me-" + "tes". Rules, each from a way people write:

- "serang" or "tangerang" alone is two regions: both are ranked equally, so the flow asks which.
  "kab tangerang", "kabupaten serang", "serang kota", "kotaserang" name one.
- A kecamatan names its region too ("pamulang" is Kota Tangerang Selatan). A name in two regions
  ("curug") ranks both, unless the message also names one of the regions.
- A kecamatan whose name is also an everyday word ("benda", "larangan", "petir", "carita" in Sundanese)
  counts inside a story only after a place word ("di", "daerah", "kec."); typed as the answer to "which
  kecamatan?" it counts as it is. So does a typo: "di malimping" is Malingping, "main serong" is not Serpong.
- "kec. tangerang" is the kecamatan Tangerang, though "tangerang" alone names two regions.
- A place outside Banten ranks the pseudo-region `OUTSIDE`; a name that is both ("bandung": a kecamatan
  of Kabupaten Serang and a city in Jawa Barat) ranks both, so the flow asks.
- A name after "kp.", "desa", "dusun" is a village: one that is only a place elsewhere ("kp. sukasari
  picung": a Sukasari is in Bandung) is the village's name, not a place outside Banten; the word after
  the village's name is where an address names its kecamatan ("picung" is also a tree).
- A desa or kelurahan after "desa" or "kel." names its kecamatan (areaid's names), unless a kecamatan is named.
- Where a family lives gives way to another place of Banten; a place a few words after someone's work is
  kept apart (`FoundPlaces.region_off_work`): a counseling story's family lives elsewhere as often as not.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.regions import RegionCatalog
from bot.understanding.meanings import Guess, Guesses
from bot.understanding.words import Word, WordShaper

OUTSIDE = "outside"
_NAME_SCORE = 2.0  # a region named, or a kecamatan: clearly one place
_SHARED_SCORE = 1.0  # "serang" alone, a kecamatan in two regions, a name that is also elsewhere
_LONGEST = 4  # words in the longest place name looked for ("kota tangerang selatan")
_FUZZY_CUTOFF = 88.0
_FUZZY_MIN_LENGTH = 6
_WORK_REACH = 7  # words back from a place to a work word: "kerja jd kasir di minimarket di kec | cipondoh"
_KECAMATAN_WORDS = frozenset({"kec", "kecamatan", "kc"})
_KIN_REACH = 4  # words back from a place to someone's family: "anaknya yg pergi ke | jakarta"
_VILLAGE_WORDS = frozenset(
    {
        "kp",
        "kampung",
        "kmp",
        "desa",
        "ds",
        "dusun",
        "dsn",
        "kelurahan",
        "kel",
        "lingkungan",
        "link",
        "perum",
        "perumahan",
    }
)
#: Before the name of a desa or kelurahan, which names its kecamatan ("kel. kaligandu" is in Kecamatan Serang);
#: not "kp."/"kampung", whose names areaid does not hold and which often repeat a desa's of another kecamatan.
_OFFICIAL_VILLAGE_WORDS = frozenset({"desa", "ds", "kelurahan", "kel"})
_KIND_WORDS = {
    "kab": "kab",
    "kabupaten": "kab",
    "kabupaten.": "kab",
    "kb": "kab",
    "kab.": "kab",
    "kota": "kota",
    "kodya": "kota",
    "kotamadya": "kota",
    "kt": "kota",
}


@dataclass(frozen=True, slots=True)
class Place:
    """What one name means: regions (several when the name alone does not say which) and kecamatan."""

    regions: tuple[str, ...] = ()
    kecamatan: tuple[str, ...] = ()
    outside: str = ""  # the name as written, when it is a place outside Banten
    common: bool = False  # also an everyday word: needs a place word before it inside a story


@dataclass(frozen=True, slots=True)
class PlaceVocabulary:
    """The catalog's part: nicknames of regions, kecamatan and landmarks, places elsewhere, place words."""

    region_names: Mapping[str, Sequence[str]]  # region code -> names and nicknames
    kecamatan_aliases: Mapping[str, str]  # alias -> "region-code/Official Name"
    landmarks: Mapping[str, str]  # landmark -> "region-code" or "region-code/Official Name"
    outside: Sequence[str]
    markers: Sequence[str]  # "di", "daerah", "kec": a place name follows
    away: Sequence[str]  # "kerja di", "pulang dari": the place elsewhere that follows is not the case's
    home: Sequence[str]  # "saya tinggal": where the writer lives follows, which may not be the case's
    kin: Sequence[str]  # "ortu saya (di)": where a family is follows, which gives way to another place of Banten
    case: Sequence[str]  # "ini di", "lokasinya": where the case is follows, whatever else is named
    common_names: Sequence[str]  # kecamatan names that are everyday words the dictionary misses
    as_a_thing: Sequence[str]  # after such a name, it is the thing: "sumur umum", "benda tajam"
    work: Sequence[str] = ()  # "kerja", "kantor": a place a few words after, in the clause, is someone's work
    service_office: Sequence[str] = ()  # "kantor dinsos": after a work word, the service's office, no one's work
    elsewhere: Sequence[str] = ()  # areaid's places outside Banten: known exactly, never as a typo
    but: Sequence[str] = ()  # "tapi": after where the writer lives, the story turns to where the case is
    here: Sequence[str] = ()  # "sy di": opening a clause, where the writer is follows (a kind of `home`)
    relatives: Sequence[str] = ()  # "adik", "sepupu": before "saya di <place>", where a relative lives
    lives: Sequence[str] = ()  # "yang tinggal": between a relative and the place words
    abroad: Sequence[str] = ()  # outside names abroad: a migrant worker's case belongs to the family's region
    origin: Sequence[str] = ()  # "asal": where someone comes from follows


@dataclass(frozen=True, slots=True)
class _Mention:
    """One place named in a message, and how."""

    place: Place
    start: int  # its first word
    kind: str | None = None  # "kab"/"kota" said by it
    as_kecamatan: bool = False  # named as a kecamatan ("kec. cisoka")
    home: bool = False  # where the writer lives ("sy tinggal di cikupa, tp ...")
    kin: bool = False  # where the writer's or someone's family is ("keluarganya di kec pontang")
    case: bool = False  # said to be where the case is ("tp ini di jakarta", "lokasinya kec serang")
    width: int = 1  # how many words name it
    work: bool = False  # where someone works ("kerja jd kasir di minimarket di kec cipondoh")
    village: bool = False  # a desa or kelurahan ("kel. kaligandu"): its kecamatan, unless one is named
    relative: bool = False  # where a relative of the writer is, in Indonesia ("adik sy (yg tinggal) di depok")
    origin: bool = False  # where someone comes from ("keluarga asal pandeglang")
    kin_near: bool = False  # a family word a few words before, in the clause ("anaknya tinggal di cikarang")


def _not_a_route(mentions: list[_Mention]) -> list[_Mention]:
    """Two regions named one right after the other are a road or a bus line between them, not where the
    case is: "di jalan raya serang-pandeglang", "bus serang pandeglang" (but "terminal pakupatan kota
    serang" is one place said twice)."""

    def regional(m: _Mention) -> bool:
        return bool(m.place.regions) and not m.place.kecamatan

    ends = {m.start + m.width: m for m in mentions if regional(m)}
    pairs = [
        (ends[m.start], m)
        for m in mentions
        if regional(m) and m.start in ends and not set(ends[m.start].place.regions) & set(m.place.regions)
    ]
    route = {id(m) for pair in pairs for m in pair}
    return [m for m in mentions if id(m) not in route]


@dataclass(frozen=True, slots=True)
class FoundPlaces:
    region: Guesses
    kecamatan: Guesses
    outside: str
    positions: frozenset[int]  # words that were part of a place name
    #: The same without the places where someone works: where a family's counseling belongs. A report keeps
    #: them ("sy kerja di terminal pakupatan, tiap hari liat anak2 ngamen"); a counseling story's family
    #: lives elsewhere as often as not ("sy kerja di pabrik di kec cikande ..., anak sy ...").
    region_off_work: Guesses
    kecamatan_off_work: Guesses


def compact(words: Sequence[str]) -> str:
    """Words joined without spaces, old spellings folded: "Rangkas Bitung" meets "Rangkasbitung"."""
    joined = "".join(words)
    for old, new in (("oe", "u"), ("dj", "j"), ("tj", "c")):
        joined = joined.replace(old, new)
    return joined


def _plain_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class PlaceFinder:
    """Finds place names among a message's words; built once from the regions and the catalog."""

    def __init__(self, regions: RegionCatalog, vocabulary: PlaceVocabulary, shaper: WordShaper) -> None:
        self._regions = regions
        self._markers = frozenset(vocabulary.markers)
        self._but = frozenset(vocabulary.but)
        self._away = frozenset(tuple(_plain_words(m)) for m in vocabulary.away)
        self._home = frozenset(tuple(_plain_words(m)) for m in vocabulary.home)
        self._here = frozenset(tuple(_plain_words(m)) for m in vocabulary.here)
        self._relatives = frozenset(vocabulary.relatives)
        self._first_person = frozenset(w for m in vocabulary.here if len(m.split()) == 1 for w in _plain_words(m))
        self._lives = frozenset(tuple(_plain_words(m)) for m in vocabulary.lives)
        self._abroad = frozenset(vocabulary.abroad)
        # someone's family ("anaknya", "keluarganya"), not a family the case is about ("ada keluarga miskin di depok")
        self._kin_words = frozenset(m for m in vocabulary.kin if " " not in m.strip() and m.endswith("nya"))
        self._origin = frozenset(tuple(_plain_words(m)) for m in vocabulary.origin)
        self._kin = frozenset(tuple(_plain_words(m)) for m in vocabulary.kin)
        self._case = frozenset(tuple(_plain_words(m)) for m in vocabulary.case)
        self._as_a_thing = frozenset(vocabulary.as_a_thing)
        self._work = frozenset(vocabulary.work)
        self._service_office = frozenset(vocabulary.service_office)
        self._places: dict[str, Place] = {}
        self._exact_only: set[str] = set()
        self._kecamatan_named: dict[str, Place] = {}  # by kecamatan name alone, for "kec. <name>"
        self._villages: dict[str, Place] = {}  # desa and kelurahan, only after "desa", "kel." ...
        self._shaper = shaper
        self._build(vocabulary, shaper)
        self._fuzzy_keys = [
            k
            for k, p in self._places.items()
            if len(k) >= _FUZZY_MIN_LENGTH and not p.common and k not in self._exact_only
        ]

    def names_a_place(self, surface: str) -> bool:
        """The word as typed is a place name of Banten on its own ("serpong"): never a typo of another word."""
        place = self._places.get(compact([surface]))
        return place is not None and bool(place.regions) and not place.common

    def find(self, words: Sequence[Word], *, answer: bool = False, denied: frozenset[int] = frozenset()) -> FoundPlaces:
        """Places among `words`; `answer` when the whole message answers "where?" (no place word needed).

        `denied`: words said not to be the case ("bukan pamulang, ciputat timur"); a place there is not
        the case's, nor is one where someone works ("suami kerja di cilegon"): the form asks where.
        """
        surfaces = [w.surface for w in words]
        mentions: list[_Mention] = []
        taken: set[int] = set()
        in_banten: set[int] = set()
        explicit = False  # a kecamatan named as one ("kec. cisoka") outranks a word that may be a name
        for start in range(1, len(surfaces)):  # "kec. tangerang": the kecamatan, though the word names regions
            if surfaces[start - 1] not in _KECAMATAN_WORDS or start in denied:
                continue
            for width in range(min(3, len(surfaces) - start), 0, -1):
                place = self._kecamatan_named.get(compact(surfaces[start : start + width]))
                if place is not None:
                    taken.update(range(start, start + width))
                    in_banten.update(range(start, start + width))
                    mentions.append(
                        _Mention(
                            place,
                            start,
                            as_kecamatan=True,
                            home=self._writer_home_before(words, surfaces, start),
                            kin=self._kin_before(surfaces, start),
                            case=self._case_before(surfaces, start),
                            work=self._at_work(words, start),
                        )
                    )
                    explicit = True
                    break
        for width in range(min(_LONGEST, len(surfaces)), 0, -1):
            for start in range(len(surfaces) - width + 1):
                span = range(start, start + width)
                if taken.intersection(span):
                    continue
                marked = self._after_marker(surfaces, start)
                place = self._lookup(surfaces, start, width, typo_ok=width == 1 and (answer or marked))
                village = place is None and start > 0 and surfaces[start - 1] in _OFFICIAL_VILLAGE_WORDS
                if village:
                    place = self._villages.get(compact(surfaces[start : start + width]))  # "kel. kaligandu"
                if place is None:
                    continue
                # "..., anak2 dibiarin. pagelaran": a name said alone as the last clause
                said_alone = words[start].starts_clause and start + width == len(surfaces)
                if (
                    place.common
                    and not answer
                    and not (marked or said_alone or self._its_region_after(surfaces, start + width, place))
                ):
                    continue  # "benda" alone is a thing; "di benda", "benda kota tangerang" are the kecamatan
                after = surfaces[start + width] if start + width < len(surfaces) else ""
                if place.common and after in self._as_a_thing:
                    continue  # "ambil air di sumur umum": a well, not Kecamatan Sumur
                if place.common and explicit and not answer:
                    continue  # "ambil air di sumur umum ... di kec. cisoka": the well is no kecamatan
                taken.update(span)
                if place.regions or place.kecamatan:
                    in_banten.update(span)  # a place elsewhere is still a word of the story ("kerja di taiwan")
                if self._away_before(words, surfaces, start) or start in denied:
                    continue  # "suami kerja di cilegon", "bukan pamulang": not where the case is
                if place.outside and not place.regions and start > 0 and surfaces[start - 1] in _VILLAGE_WORDS:
                    continue  # "kp. sukasari": a village of Banten sharing a name with a place elsewhere
                mentions.append(
                    _Mention(
                        place,
                        start,
                        self._kind_near(surfaces, start, width),
                        home=self._writer_home_before(words, surfaces, start),
                        kin=self._kin_before(surfaces, start),
                        case=self._case_before(surfaces, start),
                        width=width,
                        work=self._at_work(words, start),
                        village=village,
                        relative=self._relative_before(surfaces, start) and place.outside not in self._abroad,
                        origin=_said_before(self._origin, surfaces, self._before_place_words(surfaces, start)),
                        kin_near=self._kin_near(words, start),
                    )
                )
        mentions = _not_a_route(mentions)
        # "desa kadu kec. cimanuk", "kel. kedaung pinang": a kecamatan named outranks a village's, often shared
        if any(m.place.kecamatan and not m.village for m in mentions):
            mentions = [m for m in mentions if not m.village]
        # "sy mau lapor tp ini di jakarta. sy tinggal di ciledug": the place said to be the case's is the place
        mentions = [m for m in mentions if m.case] or mentions
        # "sy tinggal di pamulang tp mau lapor soal kakek sy di malingping": the case is where the story goes
        mentions = [m for m in mentions if not (m.home and self._story_moves_on(surfaces, m, mentions))]
        # "adik sy di depok dipukul suaminya ..., sy di rangkas": a relative elsewhere in Indonesia is the case,
        # the writer's place after it only says why they cannot go (not "istri sy di malaysia ..., kami di ...")
        # (also in another region of Banten: "adik sy di mandalawangi depresi ..., sy di serang kota")
        relatives = [m for m in mentions if m.relative]
        if relatives:
            first = relatives[0]
            mentions = [
                m
                for m in mentions
                if not (
                    m.home
                    and m.start > first.start
                    and (first.place.outside or not set(first.place.regions) & set(m.place.regions))
                )
            ]
        # "keluarga asal pandeglang tidur di kolong tol tanah abang": where they come from gives way to where they
        # are elsewhere in Indonesia ("tkw asal cikeusik" abroad stays a case of home)
        if any(m.place.outside and not m.place.regions and m.place.outside not in self._abroad for m in mentions):
            mentions = [m for m in mentions if not m.origin]
        # "temen sy di kec serang diusir sm keluarganya di kec pontang": a family's place gives way
        mentions = [m for m in mentions if not (m.kin and self._elsewhere_in_banten(m, mentions))]
        # "istri sy kabur ke rumah ortunya di tasik": family elsewhere, not where the case is (unless said to be:
        # "sy tinggal di tangsel, ini soal ortu di sukabumi")
        mentions = [
            m
            for m in mentions
            if not ((m.kin or m.kin_near) and not m.case and m.place.outside and not m.place.regions)
        ]
        # "kerja di pabrik di kec. jatiuwung, ... tinggal di kec. periuk": where someone works gives way to a
        # kecamatan of Banten the story names otherwise
        mentions = [
            m
            for m in mentions
            if not (m.work and any(o.place.kecamatan and not (o.work or o.place.outside) for o in mentions))
        ]
        named = {r for m in mentions if not m.place.common and m.place.kecamatan for r in m.place.regions}
        if not answer and named:
            # "mandi di sumur ... di cipondoh": a kecamatan that is only a name outranks a word that may be one
            # of another region
            mentions = [m for m in mentions if not m.place.common or set(m.place.regions) & named]
        found = self._rank(mentions)
        off_work = self._rank([m for m in mentions if not m.work]) if any(m.work for m in mentions) else found
        return FoundPlaces(*found, frozenset(in_banten), *off_work[:2])

    def _lookup(self, surfaces: Sequence[str], start: int, width: int, *, typo_ok: bool) -> Place | None:
        key = compact(surfaces[start : start + width])
        place = self._places.get(key)
        if place is not None or not typo_ok or len(key) < _FUZZY_MIN_LENGTH or self._shaper.is_root(key):
            return place  # a word of the language is no misspelt place: "di angkot" is not Tangkot
        found = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        return self._places[found[0]] if found else None

    def _its_region_after(self, surfaces: Sequence[str], at: int, place: Place) -> bool:
        """The name of the kecamatan's own region follows it: "jombang cilegon", "benda kota tangerang"."""
        for width in (3, 2, 1):
            named = self._places.get(compact(surfaces[at : at + width])) if at + width <= len(surfaces) else None
            if named is not None and named.regions and not named.kecamatan:
                return bool(set(named.regions) & set(place.regions))
        return False

    def _away_before(self, words: Sequence[Word], surfaces: Sequence[str], start: int) -> bool:
        """ "kerja di cilegon", within the clause: not "... ga bisa kerja. di cibodas kota tangerang"."""
        starts = frozenset(i for i in range(max(0, start - 2), start + 1) if words[i].starts_clause)
        return _said_before(self._away, surfaces, start, starts)

    def _at_work(self, words: Sequence[Word], start: int) -> bool:
        """A work word a few words before, in the same clause: "kerja jd spg di mall di tangerang kota" (but
        "konseling di kantor dinsos kota serang" is the service's office)."""
        at = _back_in_clause(words, start, _WORK_REACH, self._work)
        return at is not None and words[at + 1].surface not in self._service_office

    def _story_moves_on(self, surfaces: Sequence[str], home: _Mention, mentions: Sequence[_Mention]) -> bool:
        """A "but" and another place follow where the writer lives: that place is the case's."""
        return any(
            m.start > home.start and any(w in self._but for w in surfaces[home.start : m.start]) for m in mentions
        )

    def _case_before(self, surfaces: Sequence[str], start: int) -> bool:
        """ "ini di <place>", "lokasinya (kec.) <place>": the writer says where the case is."""
        at = self._before_place_words(surfaces, start)
        return _said_before(self._case, surfaces, at) or _said_before(self._case, surfaces, start)

    def _writer_home_before(self, words: Sequence[Word], surfaces: Sequence[str], start: int) -> bool:
        """ "saya tinggal di (kec.) <place>", "..., sy di rangkas": where the writer lives or is, which may
        not be where the case is; "sy di" only opening a clause or after "tapi" (not "tetangga sy di")."""
        if self._before_place_word(self._home, surfaces, start):
            return True
        at = self._before_place_words(surfaces, start)
        return at < start and any(
            tuple(surfaces[at - n : at]) in self._here
            and (at == n or words[at - n].starts_clause or surfaces[at - n - 1] in self._but)
            for n in (1, 2)
            if at >= n
        )

    @staticmethod
    def _elsewhere_in_banten(kin: _Mention, mentions: Sequence[_Mention]) -> bool:
        """Another place of Banten, in another region, is named, and not as where a family or the writer lives.

        A place abroad does not count: a migrant worker's case belongs to the family's region at home
        ("sodara sy TKW di malaysia ..., keluarganya di malingping").
        """
        return any(
            not (m.kin or m.home) and m.place.regions and not set(m.place.regions) & set(kin.place.regions)
            for m in mentions
        )

    def _relative_before(self, surfaces: Sequence[str], start: int) -> bool:
        """ "adik sy di <place>", "sepupu sy yg tinggal di <place>": where one of the writer's own lives."""
        at = self._before_place_words(surfaces, start)
        if tuple(surfaces[max(0, at - 2) : at]) in self._lives:
            at -= 2
        return at >= 2 and surfaces[at - 1] in self._first_person and surfaces[at - 2] in self._relatives

    def _kin_near(self, words: Sequence[Word], start: int) -> bool:
        """ "anaknya tinggal di cikarang gak peduli", "anaknya sukses di jakarta": someone's family a few words
        before the place, in its clause (the place is theirs, away from the case)."""
        return _back_in_clause(words, start, _KIN_REACH, self._kin_words) is not None

    def _kin_before(self, surfaces: Sequence[str], start: int) -> bool:
        """ "keluarganya di (kec.) <place>", "ortu sy di <place>": where a family is."""
        return self._before_place_word(self._kin, surfaces, start)

    def _before_place_word(self, phrases: frozenset[tuple[str, ...]], surfaces: Sequence[str], start: int) -> bool:
        """One of `phrases` ends right before the place words ("di", "kec.") that lead to the name at `start`."""
        at = self._before_place_words(surfaces, start)
        return at < start and _said_before(phrases, surfaces, at)

    def _before_place_words(self, surfaces: Sequence[str], start: int) -> int:
        """Where the words before a place name begin, past "di", "kec." and the like ("tinggal | di kec. cikupa")."""
        at = start
        while at > 0 and (surfaces[at - 1] in self._markers or surfaces[at - 1] in _KECAMATAN_WORDS):
            at -= 1
        return at

    def _after_marker(self, surfaces: Sequence[str], start: int) -> bool:
        """After a place word ("di benda"), or after a village's name in an address ("kp. sukasari picung")."""
        return start > 0 and (
            surfaces[start - 1] in self._markers
            or surfaces[start - 1] in _KIND_WORDS
            or (start > 1 and surfaces[start - 2] in _VILLAGE_WORDS)
        )

    @staticmethod
    def _kind_near(surfaces: Sequence[str], start: int, width: int) -> str | None:
        """ "kab"/"kota" right before or after an ambiguous name: "kab tangerang", "serang kota"."""
        before = _KIND_WORDS.get(surfaces[start - 1]) if start > 0 else None
        after = _KIND_WORDS.get(surfaces[start + width]) if start + width < len(surfaces) else None
        return before or after

    def _rank(self, mentions: Sequence[_Mention]) -> tuple[Guesses, Guesses, str]:
        """Regions and kecamatan ranked by how clearly each mention names them; the place outside Banten."""
        regions: dict[str, float] = defaultdict(float)
        kecamatan: dict[str, float] = defaultdict(float)
        outside = ""
        elsewhere_only = [m.place for m in mentions if m.place.outside and not m.place.regions]
        banten_named = any(m.place.regions and not m.place.outside for m in mentions)
        for mention in mentions:
            place = mention.place
            codes = place.regions
            if mention.kind and len(codes) > 1:
                codes = tuple(c for c in codes if c.startswith(f"{mention.kind}-")) or codes
            shared = len(codes) > 1 or bool(place.outside and codes)
            for code in codes:
                regions[code] += _SHARED_SCORE if shared else _NAME_SCORE
            for code in place.kecamatan:
                kecamatan[code] += _SHARED_SCORE if len(place.kecamatan) > 1 or place.outside else _NAME_SCORE
                if mention.as_kecamatan:  # "kec cinangka deket pantai anyer": the kecamatan is the one named as such
                    kecamatan[code] += _SHARED_SCORE
            if place.outside:
                outside = outside or place.outside
                regions[OUTSIDE] += _SHARED_SCORE if codes else _NAME_SCORE
        if banten_named and elsewhere_only:  # "kerja di jakarta, pulang ke lebak": Banten is the place
            regions.pop(OUTSIDE, None)
        for code in list(kecamatan):  # a kecamatan of a region also named is the one meant
            kecamatan[code] += regions.get(self._regions.kecamatan(code).region, 0.0) / _NAME_SCORE
        ranked = _ranked(regions)
        if (lead := ranked.clear()) not in (None, OUTSIDE):  # "tangerang ... pasar curug": Curug of Kab. Tangerang
            kecamatan = {c: s for c, s in kecamatan.items() if self._regions.kecamatan(c).region == lead}
        return ranked, _ranked(kecamatan), outside

    # --- building the name table -----------------------------------------------------------------

    def _build(self, vocabulary: PlaceVocabulary, shaper: WordShaper) -> None:
        common = {compact(_plain_words(n)) for n in vocabulary.common_names}
        for region in self._regions.regions:
            for kec in region.kecamatan:
                for key in _kecamatan_keys(kec.name):
                    # One word that is also a word of the language; a name of two words is a name.
                    is_common = " " not in kec.name.split(" (")[0] and (key in common or shaper.is_root(key))
                    place = Place(regions=(region.code,), kecamatan=(kec.code,), common=is_common)
                    self._add(key, place)
                    self._kecamatan_named[key] = _joined(self._kecamatan_named.get(key), place)
        for code, names in vocabulary.region_names.items():
            for name in names:
                self._add(compact(_plain_words(name)), Place(regions=(code,)))
        for alias, target in (*vocabulary.kecamatan_aliases.items(), *vocabulary.landmarks.items()):
            key = compact(_plain_words(alias))
            place = self._target(target)
            self._add(key, Place(place.regions, place.kecamatan, common=key in common))
        for name in vocabulary.outside:
            key = compact(_plain_words(name))
            known = self._places.get(key, Place())
            self._places[key] = Place(known.regions, known.kecamatan, outside=name, common=known.common)
        self._add_elsewhere(vocabulary.elsewhere, common, shaper)
        self._add_villages()

    def _add_villages(self) -> None:
        """Every desa and kelurahan of Banten by name; a name of several kecamatan ranks them all, so it is asked."""
        for region in self._regions.regions:
            for kec in region.kecamatan:
                for village in kec.villages:
                    for key in (k for part in village.split("/") for k in _kecamatan_keys(part) if k):
                        place = Place(regions=(region.code,), kecamatan=(kec.code,))
                        self._villages[key] = _joined(self._villages.get(key), place)

    def _add_elsewhere(self, names: Sequence[str], common: set[str], shaper: WordShaper) -> None:
        """areaid's places outside Banten, after every name of Banten and of the catalog, which win.

        A name of one word, or of everyday words ("tanah abang"), counts only after a place word, as a
        kecamatan of Banten does, and one everyday word alone ("batu", "metro") not at all; a name holding
        one of Banten's ("serang baru" in Bekasi) is left out, so "di serang baru2 ini" stays in Serang. None
        is matched as a typo: a misspelt place of Banten must not turn into a town in Sumatra.
        """
        for name in names:
            parts = _plain_words(name)
            key = compact(parts)
            if key in self._places or any(self._in_banten(part) for part in parts):
                continue
            everyday = key in common or all(shaper.is_root(part) for part in parts)
            if everyday and len(parts) == 1:
                continue  # "tidur di batu" is a stone, not Kota Batu; the catalog names the famous ones
            # One word may be a word of another language ("karo" is Javanese "with"): after a place word only
            self._places[key] = Place(outside=name, common=everyday or len(parts) == 1)
            self._exact_only.add(key)

    def _in_banten(self, key: str) -> bool:
        place = self._places.get(key)
        return place is not None and not place.outside

    def _target(self, target: str) -> Place:
        """ "kab-serang/Anyar" (a kecamatan), "kota-serang" (a region), "a, b" (either: asked about)."""
        region, _, name = target.partition("/")
        if not name:
            return Place(regions=tuple(r.strip() for r in region.split(",")))
        matches = [k for k in self._regions.region(region).kecamatan if k.name.split(" (")[0] == name]
        if len(matches) != 1:
            raise ValueError(f"no kecamatan {name!r} in {region} for a place alias")
        return Place(regions=(region,), kecamatan=(matches[0].code,))

    def _add(self, key: str, place: Place) -> None:
        """Two places under one name merge: "curug" is in two regions, "serang" is a region and a kecamatan."""
        known = self._places.get(key)
        if known is None:
            self._places[key] = place
        elif not known.kecamatan and not place.kecamatan:  # "serang" named for both regions
            self._places[key] = Place(regions=_merge(known.regions, place.regions))
        elif not place.kecamatan:  # a region's own name wins over its kecamatan ("serang", "cilegon")
            self._places[key] = place
        elif known.kecamatan:  # one name, two kecamatan ("curug")
            self._places[key] = Place(
                _merge(known.regions, place.regions),
                _merge(known.kecamatan, place.kecamatan),
                common=known.common or place.common,
            )


def _said_before(
    phrases: frozenset[tuple[str, ...]], surfaces: Sequence[str], at: int, starts: frozenset[int] = frozenset()
) -> bool:
    """One of `phrases` (of up to three words) ends right before word `at`, and no clause (`starts`: the
    words that open one) begins after its first word."""
    return any(
        tuple(surfaces[max(0, at - n) : at]) in phrases and not starts.intersection(range(at - n + 1, at + 1))
        for n in (1, 2, 3)
    )


def _back_in_clause(words: Sequence[Word], start: int, reach: int, wanted: frozenset[str]) -> int | None:
    """Where one of `wanted` is typed, up to `reach` words before `start` and in its clause; None if nowhere."""
    for at in range(start - 1, max(-1, start - 1 - reach), -1):
        if words[at].surface in wanted:
            return at
        if words[at].starts_clause:
            return None
    return None


def _joined(known: Place | None, place: Place) -> Place:
    """One name of two kecamatan ("curug", a village "mekarsari"): both, so the name alone is asked about."""
    if known is None:
        return place
    return Place(_merge(known.regions, place.regions), _merge(known.kecamatan, place.kecamatan))


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _kecamatan_keys(name: str) -> tuple[str, ...]:
    """Keys of an areaid name: "Cikeudal (Cikedal)" answers to "cikeudal" and "cikedal"."""
    main, *alternates = re.split(r"[()]", name)
    return tuple(compact(_plain_words(part)) for part in (main, *alternates) if part.strip())


def _ranked(scores: Mapping[str, float]) -> Guesses:
    order = sorted(scores.items(), key=lambda item: -item[1])
    return Guesses(tuple(Guess(code, score) for code, score in order))
