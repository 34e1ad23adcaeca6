"""Flesch reading ease and Flesch–Kincaid grade, with no dependencies.

Used to keep the letters to families at a reading age of about 9–11 (a Flesch–Kincaid
grade of about 6 or less; reading age is roughly the grade plus 5). The syllable counter is
the usual vowel-group rule with a few English corrections. It is an estimate, like every
readability formula, and is good enough to catch long sentences and long words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Readability:
    """Counts and scores for one text."""

    sentences: int
    words: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0

    @property
    def grade(self) -> float:
        """Flesch–Kincaid grade level (US school grade; reading age ≈ grade + 5)."""
        if not self.words:
            return 0.0
        return 0.39 * self.words_per_sentence + 11.8 * self.syllables_per_word - 15.59

    @property
    def ease(self) -> float:
        """Flesch reading ease (higher is easier; 70–80 is fairly easy, 80–90 easy)."""
        if not self.words:
            return 100.0
        return 206.835 - 1.015 * self.words_per_sentence - 84.6 * self.syllables_per_word


def sentences(text: str) -> list[str]:
    """Split text into sentences at . ! ? followed by a space, and at line breaks."""
    parts = (p.strip() for p in _SENTENCE_END.split(text))
    return [p for p in parts if _WORD.search(p)]


def words(text: str) -> list[str]:
    """The words of a text: runs of letters or digits, keeping apostrophes and hyphens."""
    return _WORD.findall(text)


def syllables(word: str) -> int:
    """Syllables in one word, by vowel groups with the common English corrections.

    Numbers count one syllable per two digits (2027 → 2). Short words in capitals are read
    letter by letter (GP → 2, ADHD → 4).
    """
    if any(c.isdigit() for c in word):
        digits = sum(c.isdigit() for c in word)
        return max(1, (digits + 1) // 2)
    if word.isupper() and 1 < len(word) <= 5:
        return len(word)
    total = 0
    for part in re.split(r"[-’']", word.lower()):
        total += _part_syllables(part)
    return max(1, total)


def _part_syllables(word: str) -> int:
    word = re.sub(r"[^a-z]", "", word)
    if not word:
        return 0
    if len(word) <= 3:
        return 1
    # Silent endings: "make", "appointed" keeps its "ed" only after t or d.
    word = re.sub(r"(?:[^laeiouy]es|[^tdaeiouy]ed|[^laeiouy]e)$", lambda m: m.group(0)[0], word)
    word = re.sub(r"^y", "", word)
    word = re.sub(r"([^aeiouy])ely$", r"\1ly", word)  # "likely", "safely": the e is silent
    count = len(_VOWEL_GROUP.findall(word))
    # Vowel pairs that are two syllables: "idea", "create", "being", "period".
    count += len(re.findall(r"ia|io(?!u)|eo(?!p)|ua|uo|iu", word)) - len(
        re.findall(r"tio|sio|cia", word)
    )
    return max(1, count)


def measure(text: str) -> Readability:
    """Sentence, word and syllable counts of a text."""
    sents = sentences(text)
    ws = words(text)
    return Readability(sentences=len(sents), words=len(ws), syllables=sum(syllables(w) for w in ws))


def flesch_kincaid_grade(text: str) -> float:
    """Flesch–Kincaid grade level of a text."""
    return measure(text).grade


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease of a text."""
    return measure(text).ease
