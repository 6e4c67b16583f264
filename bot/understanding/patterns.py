"""Vocabulary entries compiled to patterns, and the words of a message they explain.

An entry of the catalogs' `understand` section is one of:

- `pengemis`, `"anak jalanan"`: a phrase, its words consecutive in the message (compared by stem);
- `@anak`: any phrase of the word class `anak` (`understand.class.anak`);
- `@anak + ngemis`: every part somewhere in the message, in any order;
- `=p`: the word exactly as typed, not its stem (for short words a stem would blur);
- `~pukul`: the stem, but only in an affixed form ("dipukul", "mukulin"): "pukul 10" is a time.

A pattern's score is the number of the message's words it explains, a stopword counting half. A pattern
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

    def matches(self, word: Word) -> bool:
        if self.exact:
            return word.surface == self.key
        if self.affixed:
            return word.key == self.key and word.surface != self.key
        return word.key == self.key


Phrase = tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Pattern:
    """Parts that must all be found; each part is one of several phrases (a class has many)."""

    meaning: str
    parts: tuple[tuple[Phrase, ...], ...]
    source: str = ""  # the vocabulary entry, for explanations


class PatternError(ValueError):
    """A vocabulary entry that cannot be read (an unknown class, an empty part)."""


def compile_patterns(
    meaning: str, entries: Iterable[str], classes: Mapping[str, Sequence[str]], shaper: WordShaper
) -> list[Pattern]:
    """Every entry of one meaning, compiled; class references expanded."""
    return [Pattern(meaning, tuple(_part(p.strip(), classes, shaper) for p in entry.split(" + ")), entry)
            for entry in entries]


def _part(text: str, classes: Mapping[str, Sequence[str]], shaper: WordShaper) -> tuple[Phrase, ...]:
    if text.startswith("@"):
        name = text[1:]
        if name not in classes:
            raise PatternError(f"unknown word class @{name}")
        return tuple(phrase for member in classes[name] for phrase in _part(member, classes, shaper))
    phrase = _phrase(text, shaper)
    if not phrase:
        raise PatternError(f"empty part in vocabulary entry {text!r}")
    return (phrase,)


def _phrase(text: str, shaper: WordShaper) -> Phrase:
    terms: list[Term] = []
    for token in text.split():
        if token.startswith("="):
            terms.extend(Term(surface, exact=True) for surface in shaper.surfaces(token[1:]))
        elif token.startswith("~"):
            terms.extend(Term(w.key, affixed=True) for w in shaper.words(token[1:]))
        else:
            terms.extend(Term(w.key) for w in shaper.words(token))
    return tuple(terms)


def first_keys(pattern: Pattern) -> set[str]:
    """Keys of which at least one must be in a message for the pattern to match: its index entries."""
    return {phrase[0].key for phrase in pattern.parts[0]}


def explained(pattern: Pattern, words: Sequence[Word], content: frozenset[int],
              ignored: frozenset[int] = frozenset()) -> frozenset[int] | None:
    """Positions of the words the pattern explains, or None when one of its parts is missing.

    A part takes its longest phrase found (so "anak kecil" beats "anak"). `ignored` words (a place
    name) are no evidence; a pattern that explains no `content` word matches only as a phrase of
    several words.
    """
    covered: set[int] = set()
    for part in pattern.parts:
        best: range | None = None
        for phrase in part:
            found = _find(phrase, words)
            if found is not None and (best is None or len(found) > len(best)):
                best = found
        if best is None:
            return None
        covered.update(best)
    covered -= ignored
    if not covered & content and len(covered) < 2:
        return None
    return frozenset(covered)


def _find(phrase: Phrase, words: Sequence[Word]) -> range | None:
    width = len(phrase)
    for start in range(len(words) - width + 1):
        if all(term.matches(words[start + i]) for i, term in enumerate(phrase)):
            return range(start, start + width)
    return None
