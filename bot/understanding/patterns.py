"""Vocabulary entries compiled to patterns, and the words of a message they explain.

An entry of the catalogs' `understand` section is one of:

- `pengemis`, `"anak jalanan"`: a phrase, its words consecutive in the message (compared by stem);
- `@anak`: any phrase of the word class `anak` (`understand.class.anak`);
- `@anak + ngemis`: every part in the message, in any order, told together: in one clause or within
  a few words ("suami 8 bulan ga pulang, ... hak asuh anak" is no child who does not come home);
- `=p`: the word exactly as typed, not its stem (for short words a stem would blur);
- `~pukul`: the stem, but only in an affixed form ("dipukul", "mukulin"): "pukul 10" is a time. A word
  written with an affix ("dipukul", "kebanjiran") is read the same way: any affixed form of its stem,
  never the bare stem, which may be another word ("pukul" the hour).

A pattern's score is the number of the message's words it explains, a stopword counting half and no
part counting more than two: a long idiom ("tidak punya tempat tinggal") is one cue, not four. A pattern
must explain at least one word that is not a stopword, or be a phrase of several words ("minta minta"):
"ada" alone says nothing.
The meaning that explains more words is ahead; two that explain as many are close. That rule is the
whole of the "confidence": deterministic, and a reader can say why a message was taken as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.understanding.words import Word, WordShaper


@dataclass(frozen=True, slots=True)
class Term:
    """One word of a phrase: compared by key, by surface (`exact`), or by key when affixed (`affixed`)."""

    key: str
    exact: bool = False
    affixed: bool = False
    surface: str = ""  # as written in the vocabulary, for mending typos

    def matches(self, word: Word) -> bool:
        if self.exact:
            return word.surface == self.key
        if self.affixed:
            return word.key == self.key and word.surface != self.key
        return word.key == self.key


Phrase = tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a pattern: its phrases (a class has hundreds), filed by their first word.

    A message is read word by word and only the phrases that can start at a word are tried there, so
    a part costs the message's length, not its phrases times the message's length.
    """

    phrases: tuple[Phrase, ...]
    by_first: Mapping[str, tuple[Phrase, ...]]
    #: A class of people ("@anak"): what the pattern's other parts say is said of this one (`_of_them`).
    person: bool = False

    @classmethod
    def of(cls, phrases: tuple[Phrase, ...], *, person: bool = False) -> Part:
        filed: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            filed.setdefault(_file_key(phrase[0]), []).append(phrase)
        return cls(phrases, {k: tuple(v) for k, v in filed.items()}, person)


def _file_key(term: Term) -> str:
    return f"s:{term.key}" if term.exact else f"k:{term.key}"


@dataclass(frozen=True, slots=True)
class Pattern:
    """Parts that must all be found; each part is one of several phrases (a class has many)."""

    meaning: str
    parts: tuple[Part, ...]
    source: str = ""  # the vocabulary entry, for explanations


class PatternError(ValueError):
    """A vocabulary entry that cannot be read (an unknown class, an empty part)."""


class PatternCompiler:
    """Compiles entries against one set of word classes; a class used by many entries is one `Part`,
    so a message looks for it once (`Message.found`)."""

    def __init__(
        self, classes: Mapping[str, Sequence[str]], shaper: WordShaper, people: frozenset[str] = frozenset()
    ) -> None:
        self._classes = classes
        self._shaper = shaper
        self._people = people  # the classes that name people
        self._class_parts: dict[str, Part] = {}

    def compile(self, meaning: str, entries: Iterable[str]) -> list[Pattern]:
        """Every entry of one meaning, compiled; class references expanded."""
        return [Pattern(meaning, tuple(self._part(p.strip()) for p in entry.split(" + ")), entry) for entry in entries]

    def _part(self, text: str) -> Part:
        if text.startswith("@"):
            name = text[1:]
            if name not in self._class_parts:
                self._class_parts[name] = Part.of(self._phrases(text), person=name in self._people)
            return self._class_parts[name]
        return Part.of(self._phrases(text))

    def _phrases(self, text: str) -> tuple[Phrase, ...]:
        if text.startswith("@"):
            name = text[1:]
            if name not in self._classes:
                raise PatternError(f"unknown word class @{name}")
            if any(" + " in member for member in self._classes[name]):
                raise PatternError(f"word class @{name} holds a pattern; a class lists phrases only")
            return tuple(phrase for member in self._classes[name] for phrase in self._phrases(member))
        phrase = _phrase(text, self._shaper)
        if not phrase:
            raise PatternError(f"empty part in vocabulary entry {text!r}")
        return (phrase,)


class Message:
    """A message's words, ready for many patterns: each word's lookup keys, and the parts found so far."""

    def __init__(
        self,
        words: Sequence[Word],
        carried: frozenset[str] = frozenset(),
        people: Sequence[range] = (),
        describing: frozenset[int] = frozenset(),
        joining: frozenset[int] = frozenset(),
        writer: Sequence[range] = (),
    ) -> None:
        self.words = words
        self.people = people  # where each person is named ("adik perempuan saya" is one)
        self.objects = sorted((*people, *writer), key=lambda r: r.start)  # and where the writer is
        self.describing = describing  # "yang" of "neneknya yg buta"
        self.joining = joining  # "sama" of "ibu sama anak2nya ngemis"; the writer of "anak sy yg cowo"
        self._keys = tuple((f"k:{w.key}", f"s:{w.surface}") for w in words)
        self._starts: dict[str, list[int]] = {}
        for i, keys in enumerate(self._keys):
            for key in keys:
                self._starts.setdefault(key, []).append(i)
        self._found: dict[int, tuple[range, ...]] = {}
        clause, clauses = 0, []
        for word in words:
            clause += word.starts_clause and word.surface not in carried
            clauses.append(clause)
        # Each word's clause: "ibu2 ditinggal suaminya, anaknya 4 ..." are two; "ada pengemis di pamulang,
        # sudah tua dan kurus" is one, since a clause opening with `carried` ("sudah") goes on about the same one.
        self.clauses = tuple(clauses)

    def found_all(self, part: Part) -> tuple[range, ...]:
        """Every place one of the part's phrases starts, the longest there; longest first."""
        known = self._found.get(id(part))
        if known is not None:
            return known
        spots: list[range] = []
        words, count = self.words, len(self.words)
        # Where a phrase of the part can start: the message's words the part files phrases under, found from
        # whichever of the two is smaller (a class has hundreds of phrases; most parts have one).
        if len(part.by_first) < len(self._starts):
            starts = sorted({i for key in part.by_first for i in self._starts.get(key, ())})
        else:
            starts = [i for i, keys in enumerate(self._keys) if keys[0] in part.by_first or keys[1] in part.by_first]
        for start in starts:
            best = 0
            for key in self._keys[start]:
                for phrase in part.by_first.get(key, ()):
                    width = len(phrase)
                    if (
                        start + width <= count
                        and width > best
                        and all(term.matches(words[start + i]) for i, term in enumerate(phrase))
                    ):
                        best = width
            if best:
                spots.append(range(start, start + best))
        spots.sort(key=lambda r: -len(r))  # stable: the first among equals stays first
        self._found[id(part)] = found = tuple(spots)
        return found


_UNSEEN = object()


def _phrase(text: str, shaper: WordShaper) -> Phrase:
    terms: list[Term] = []
    for token in text.split():
        if token.startswith("="):
            terms.extend(Term(surface, exact=True, surface=surface) for surface in shaper.surfaces(token[1:]))
        elif token.startswith("~"):
            terms.extend(Term(w.key, affixed=True, surface=w.surface) for w in shaper.words(token[1:]))
        else:
            terms.extend(Term(w.key, affixed=w.surface != w.key, surface=w.surface) for w in shaper.words(token))
    return tuple(terms)


def first_keys(pattern: Pattern) -> set[str]:
    """Keys of which at least one must be in a message for the pattern to match: its index entries.

    Every part must be found, so any one part's first words will do; the part with the fewest is taken
    ("tawuran" of "@anak + tawuran"), so a message with "anak" alone tries none of the "@anak + ..." ones.
    """
    return min(({phrase[0].key for phrase in part.phrases} for part in pattern.parts), key=len)


#: The parts of a pattern ("@anak + tidak pulang") must be told together: in one clause, or this close.
NEAR = 6


def _together(pattern: Pattern, message: Message) -> list[range] | None:
    """Where each part is found, close together; None when a part is missing or only far from the rest.

    "suami udah 8 bulan ga pulang ... hak asuh anak": no child who does not come home. For each place
    the first part is found (longest first), each other part is taken at its longest place close to it.
    """
    found = []
    for part in pattern.parts:  # one part missing ends it: most patterns stop at their first
        spots = message.found_all(part)
        if not spots:
            return None
        found.append(spots)
    if len(found) == 1:
        return [found[0][0]]
    for first in found[0]:
        chosen = [first]
        for part, spots in zip(pattern.parts[1:], found[1:], strict=True):
            near = [
                r for r in spots if _close(message, first, r) and _of_them(message, pattern.parts[0], first, part, r)
            ]
            if not near:
                break
            chosen.append(max(near, key=lambda r: (len(r), -abs(r.start - first.start))))  # "gangguan jiwa"
        else:
            start, stop = min(r.start for r in chosen), max(r.stop for r in chosen)
            if stop - start <= NEAR or message.clauses[start] == message.clauses[stop - 1]:
                return chosen
    return None


def _of_them(message: Message, part: Part, spot: range, other_part: Part, other: range) -> bool:
    """Whether what one part says is said of the person the other names, and not of someone else named
    right before it: "anak yatim tinggal ama neneknya yg buta" is a blind grandmother, not a blind child.

    The nearest person named before the words said (in their clause, with nothing or "yang" between) is
    the one they are said of, unless that person is the pattern's own said again ("anak balita") or
    joined to it ("ibu sama anak2 kecil ngemis", "ibu2 bawa 3 anak tidur di emperan": both). After the
    words, the one named right after them is the one they are done to: "bapaknya mukulin anaknya" hurts
    the child, but "suami suka bentak2 sy di depan anak2" shouts at the writer, and the children only see it.
    """
    if part.person == other_part.person:
        return True
    person, said = (spot, other) if part.person else (other, spot)
    if person.start >= said.stop and _witnessing(message.words, person.start):
        return False  # "suami bentak2 sy di depan anak2": the children see it; it is not done to them
    if person.start >= said.stop and _doing_it(message.words, said, person.start):
        return False  # "kakek ditinggal sendirian sm anak2nya": the children left him; it is not done to them
    if person.start >= said.stop:
        end = said.stop  # past the word said again: "bentak2 sy"
        while end < person.start and message.words[end].key == message.words[said.stop - 1].key:
            end += 1
        after = [p for p in message.objects if end <= p.start and p.stop <= person.start]
        if not after or after[0].start > end:
            return True
        named = {i for p in after for i in p}
        return all(i in message.joining or i in named for i in range(after[0].start, person.start))
    between = [p for p in message.people if person.stop <= p.start and p.stop <= said.start]
    if not between:
        return True
    nearest = between[-1]
    said_of_nearest = message.clauses[nearest.start] == message.clauses[said.start] and all(
        i in message.describing for i in range(nearest.stop, said.start)
    )
    named = {i for p in between for i in p}
    # "ibu sm 2 anaknya tidur di emperan": how many are with them is part of the joining
    joined = all(
        i in message.joining or i in named or message.words[i].surface.isdigit()
        for i in range(person.stop, nearest.start)
    )
    return joined or not said_of_nearest


#: "di depan anak2", "di hadapan anak": those named after it witness what is said, it is not done to them.
_WITNESSES = frozenset({"depan", "hadap"})


def _witnessing(words: Sequence[Word], at: int) -> bool:
    """The person named at `at` (or the same word said again before it: "anak anak") follows "di depan"."""
    while at > 0 and words[at - 1].key == words[at].key:
        at -= 1
    return at > 0 and words[at - 1].key in _WITNESSES


#: After a verb in the passive voice ("ditinggal"), the one named after these did it: "ditinggal sama anaknya".
_BY = frozenset({"oleh", "sama"})


def _doing_it(words: Sequence[Word], said: range, at: int) -> bool:
    """The person named at `at` follows "sama"/"oleh" a few words after a passive verb, or the verb itself
    ("ibu sy ditelantarkan adik"): the one who did it."""
    verb = words[said.start]
    return (
        at > said.stop - 1
        and at - said.stop <= 2
        and (words[at - 1].surface in _BY or at == said.stop)
        and verb.surface.startswith("di")
        and verb.surface != verb.key
    )


def _close(message: Message, one: range, other: range) -> bool:
    start, stop = min(one.start, other.start), max(one.stop, other.stop)
    return stop - start <= NEAR or message.clauses[start] == message.clauses[stop - 1]


STOPWORD_WEIGHT = 0.5
PART_CAP = 2.0


def explained(
    pattern: Pattern,
    message: Message,
    content: frozenset[int],
    ignored: frozenset[int] = frozenset(),
    *,
    cap: float = PART_CAP,
) -> tuple[frozenset[int], float] | None:
    """(positions of the words the pattern explains, its score), or None when a part is missing or far.

    A part takes its longest phrase found close to the others (so "anak kecil" beats "anak"). `ignored` words (a place
    name) are no evidence; a pattern that explains no `content` word matches only as a phrase of
    several words. `cap` bounds one part's score (no cap for requests: "hapus data saya" outweighs
    "data saya" by every word).
    """
    spots = _together(pattern, message)
    if spots is None:
        return None
    covered: set[int] = set()
    score = 0.0
    for best in spots:
        mine = set(best) - ignored - covered
        score += min(cap, len(mine & content) + STOPWORD_WEIGHT * len(mine - content))
        covered |= mine
    if not covered & content and len(covered) < 2:
        return None
    return frozenset(covered), score
