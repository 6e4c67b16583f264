"""From typed text to words we can compare: folded, de-slanged, stemmed.

Citizens type on cheap phones: lower case or all caps, stretched letters ("tolooong"), SMS spellings
("sy", "gk", "anak2"), Betawi and Sundanese forms ("dipukulin", "ngemis"). Each word becomes a `Word`
with the form typed (`surface`, after folding and the slang list) and a `key`: its stem by PySastrawi
(Nazief-Adriani/ECS with a 30,000-word root dictionary), after the colloquial affixes Sastrawi does not
know are turned into standard ones. Vocabulary and messages go through the same function, so "mengemis",
"ngemis" and "pengemis" meet at one key whatever Sastrawi makes of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import Sastrawi
from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer

_ROOTS_FILE = Path(Sastrawi.__file__).resolve().parent / "Stemmer" / "data" / "kata-dasar.txt"
_WORD = re.compile(r"[a-z0-9]+")
_CLAUSE_MARK = re.compile(r"[.,;:!?]")
#: Abbreviations of addresses whose full stop ends no clause: "kakek sy di kec. bandung ditinggal sendirian".
_ADDRESS_ABBREVIATIONS = frozenset({"kec", "kab", "kel", "ds", "kp", "jl", "rt", "rw", "gg", "perum"})
_STRETCHED = re.compile(r"([a-z])\1{2,}")  # "tolooong" -> "tolong"; two letters stay ("maaf")
_REDUPLICATED = re.compile(r"^([a-z]{2,})2(an)?$")  # "minta2" -> "minta minta", "mabok2an" -> "mabok mabok"
_ABOUT_NUMBER = re.compile(r"^(\d+)an$")  # "jam 9an" -> "jam 9"
_YEARS_OLD = re.compile(r"^(\d+)(th|thn|tahun|taun|yo)$")  # "umur 3th" -> "umur 3 tahun"
_VOWELS = "aeiou"
STEM_CACHE = 50_000  # distinct words remembered; Sastrawi takes ~0.1 ms for a word it has not seen


@dataclass(frozen=True, slots=True)
class Word:
    """One typed word: as typed (folded, slang replaced) and its comparison key (the stem)."""

    surface: str
    key: str
    starts_clause: bool = False  # first word after a full stop, comma or the like


def fold(text: str) -> str:
    """Lower-case ASCII: accents and full-width letters folded, everything else kept for splitting."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


class WordShaper:
    """Turns text into `Word`s with one stemmer, one root dictionary and one slang list."""

    def __init__(self, slang: Mapping[str, str], extra_roots: Iterable[str] = ()) -> None:
        roots = [w for w in _ROOTS_FILE.read_text(encoding="utf-8").split("\n") if w]
        self._dictionary = ArrayDictionary([*roots, *extra_roots])
        self._stemmer = Stemmer(self._dictionary)
        self._slang = {fold(k): fold(v) for k, v in slang.items() if fold(k) and " " not in fold(k)}
        # Slang of several words is replaced before the text is split: "adik ipar" is an in-law, not a child
        self._phrases = {fold(k): fold(v) for k, v in slang.items() if " " in fold(k).strip()}
        longest_first = sorted(self._phrases, key=len, reverse=True)
        self._phrase = re.compile(r"\b(" + "|".join(map(re.escape, longest_first)) + r")\b") if self._phrases else None
        # "👍" is a word too; folding to ASCII would drop it, so it is read before
        self._symbols = {k: f" {fold(v)} " for k, v in slang.items() if not fold(k)}
        self.key = lru_cache(maxsize=STEM_CACHE)(self._key)

    def is_root(self, word: str) -> bool:
        """A root word of the dictionary: a real word, so never taken for a typo of something else."""
        found: bool = self._dictionary.contains(word)  # Sastrawi is untyped
        return found

    def words(self, text: str) -> tuple[Word, ...]:
        """Every word of `text`, in order; a slang entry may stand for several words ("gpp")."""
        shaped: list[Word] = []
        for symbol, meant in self._symbols.items():
            text = text.replace(symbol, meant)
        folded = fold(text)
        if self._phrase is not None:
            folded = self._phrase.sub(lambda match: self._phrases[match.group(1)], folded)
        end, before = 0, ""
        for match in _WORD.finditer(folded):
            between = folded[end : match.start()]
            clause = bool(_CLAUSE_MARK.search(between)) and not (
                before in _ADDRESS_ABBREVIATIONS and between.strip() == "."
            )
            end, before = match.end(), match.group()
            for n, surface in enumerate(self.surfaces(match.group())):
                shaped.append(Word(surface, self.key(surface), clause and n == 0))
        return tuple(shaped)

    def surfaces(self, raw: str) -> tuple[str, ...]:
        """The typed word with stretched letters, "anak2" and slang undone."""
        word = _STRETCHED.sub(r"\1", raw)
        if len(word) > 3 and word[-1] == word[-2] and word not in self._slang and not self.is_root(word):
            # "benerr", "iyaa", "siapp": a last letter held, when the word without it is one ("free" stays)
            held = word[:-1]
            word = held if held in self._slang or self.is_root(held) else word
        if match := _ABOUT_NUMBER.match(word):
            word = match.group(1)
        if match := _YEARS_OLD.match(word):
            return match.group(1), "tahun"
        if match := _REDUPLICATED.match(word):  # SMS reduplication is the word twice, as it is read
            single = self._slang.get(match.group(1), match.group(1))
            return (*single.split(), *single.split())
        replaced = self._slang.get(word, word)
        return tuple(replaced.split()) or (word,)

    def _key(self, word: str) -> str:
        if len(word) <= 3 or word.isdigit() or self.is_root(word):
            return word
        for candidate in self._standard_forms(word):
            stem: str = self._stemmer.stem_word(candidate)  # Sastrawi is untyped
            if stem != candidate or self.is_root(stem):
                return stem
        return word

    def _standard_forms(self, word: str) -> tuple[str, ...]:
        """The word, then the standard forms of colloquial affixes Sastrawi does not know.

        "dipukulin" is "dipukuli" (Betawi -in), "ngemis" is "mengemis", "nyabu" is "menyabu",
        "ngelem" is "mengelem". Tried only when the word as typed yields no root.
        """
        forms = [word]
        if word.endswith("in") and len(word) > 5:
            forms.append(word[:-2] + "i")
            forms.append(word[:-2])
            if word.startswith("di"):
                forms.append(word[:-2] + "kan")
        if word.startswith("ng") and len(word) > 4:
            rest = word[2:]
            forms.append(("meng" if rest[0] in _VOWELS else "menge") + rest)
        elif word.startswith("ny") and len(word) > 4 and word[2] in _VOWELS:
            forms.append("meny" + word[2:])
        return tuple(forms)
