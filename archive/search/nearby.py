"""Near spellings of a query word, for the compiler (search/compile.py): fuzzy search a reader
asks for (word~, word~2) and slips matched unasked.

word~N matches the index terms within N edits of the word's stem in each language (a swap of
neighbours is one edit, first letter kept), the most frequent first, and the other spellings
and script of the names among the words so near.

A slip is matched unasked only when it is plainly one: a word found in a single document,
within one or two edits (by its length) of a word as the archive writes it (the `spell` field:
names, capitalised words, titles, headings) that is far more frequent. Then the query also
matches that word as if typed, with its spellings and its other script (Donestk, written once
beside Donetsk, finds Донецьк too). Words, not stems: on stems "felder" was one edit from
"feder" (federal) and matched 6,555 documents at 20k.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from whoosh import query as wq

from archive.search.analysis import fold, query_word_terms
from archive.search.index import TEXT_FIELDS
from archive.search.suggest import SPELL, SPELL_PREFIX

if TYPE_CHECKING:
    from archive.search.compile import Compiler

FUZZY_BOOST = 0.3  # a near spelling's weight against the word's own
FUZZY_PREFIX = 1  # letters that must agree (most slips are not in the first letter)
FUZZY_FIELDS = ("title", "body")  # where a word's own count is taken, to call it rare
# word~N: the most frequent of the terms within N edits, in these fields. Lucene's FuzzyQuery
# expands to 50; each term also costs the snippets a pattern to test (four ~2 words of 50 terms
# each: 1.2 s a search at 20k, 0.6 s of it in the snippets).
FUZZY_EXPANSIONS = 30
FUZZY_TARGETS = ("title", "headings", "body")
# Slips: a word in at most SLIP_MAX_DF document, near a written word in SLIP_RATIO times as many
# documents and SLIP_MIN_DF at least (docs/search-quality.md has the measure).
SLIP_MAX_DF = 1  # at 3, "awardees" (2 documents) matched "awarded" (628) at 20k
SLIP_RATIO = 10
SLIP_MIN_DF = 5
SLIP_MAX_WORDS = 2
# Each slip lookup scans part of the lexicon in Python (a few ms to tens of ms): a query gets
# this many, so a query of many rare words cannot hold the searcher for seconds.
FUZZY_WORDS_PER_QUERY = 3


def fuzzy(compiler: Compiler, word: str, field: str | None, edits: int) -> list[wq.Query]:
    """word~N: the index terms within N edits of the word's stem in each language, the most
    frequent first; and the other spellings of the names among the words so near."""
    lexicon = compiler.lexicon
    options: dict[tuple[str, str], int] = {}
    for lang, term in query_word_terms(word).items():
        if term is None or not lexicon.contains("lang_key", lang):
            continue
        for fieldname in compiler.targets(field):
            if fieldname not in FUZZY_TARGETS:
                continue
            prefix = len(lang) + 1 + FUZZY_PREFIX
            for candidate in lexicon.near(fieldname, term, edits, prefix):
                if candidate != term:  # counted once per reader (the lexicon remembers)
                    options[(fieldname, candidate)] = lexicon.live_frequency(fieldname, candidate)
    best = sorted(options.items(), key=lambda kv: (-kv[1], kv[0]))[:FUZZY_EXPANSIONS]
    compiler.marks.terms.update(t for (_, t), _ in best)
    out: list[wq.Query] = [wq.Term(f, t, boost=TEXT_FIELDS[f] * FUZZY_BOOST) for (f, t), _ in best]
    for name in near_words(compiler, word, edits):
        if compiler.variants.line_of((name,)) is not None:
            out += compiler.spellings((name,), field, FUZZY_BOOST)
            out += compiler.cross_script(name, FUZZY_BOOST)
    return out


def slips(
    compiler: Compiler, word: str, field: str | None, found: list[wq.Query]
) -> list[wq.Query]:
    """A word found in one document that is a slip of a far more frequent word (Donestk once,
    Donetsk in fifty documents) also matches that word as if typed: its spellings and script.
    found: the word's own clauses (its count is theirs)."""
    reader, lexicon = compiler.lexicon.reader, compiler.lexicon
    df = max(
        (
            reader.doc_frequency(q.fieldname, q.text)
            for q in found
            if isinstance(q, wq.Term) and q.fieldname in FUZZY_FIELDS
        ),
        default=0,
    )
    folded = fold(word)
    allowed = fuzzy_allowance(folded)
    # a word found nowhere gets "did you mean" instead (search/suggest.py), which says so;
    # a name of the variants file is itself, whatever it resembles
    if not allowed or not 0 < df <= SLIP_MAX_DF or compiler.fuzzy_left <= 0:
        return []
    if compiler.variants.line_of((word,)) is not None:
        return []
    compiler.fuzzy_left -= 1
    own = max(df, lexicon.live_frequency(SPELL, SPELL_PREFIX + folded))
    counted = [
        (lexicon.live_frequency(SPELL, SPELL_PREFIX + w), w)
        for w in near_words(compiler, word, allowed)
    ]
    floor = max(SLIP_MIN_DF, SLIP_RATIO * own)
    chosen = sorted(((n, w) for n, w in counted if n >= floor), reverse=True)[:SLIP_MAX_WORDS]
    out: list[wq.Query] = []
    for _, intended in chosen:
        compiler.marks.words.add(intended)
        out += compiler.exact((intended,), field, FUZZY_BOOST)
        out += compiler.spellings((intended,), field, FUZZY_BOOST)
        out += compiler.cross_script(intended, FUZZY_BOOST)
    return out


def near_words(compiler: Compiler, word: str, edits: int) -> list[str]:
    """The words as the archive writes them (the `spell` field, folded) within edits of the
    word, but for the word itself."""
    folded = fold(word)
    prefix = len(SPELL_PREFIX) + FUZZY_PREFIX
    near = compiler.lexicon.near(SPELL, SPELL_PREFIX + folded, edits, prefix)
    words = (t.partition(":")[2] for t in near)
    return [w for w in words if w != folded and not w.isdigit()]


def fuzzy_allowance(word: str) -> int:
    """Edits a slip may make to a word: none when short, one, two when long."""
    return 1 if 5 <= len(word) <= 7 else 2 if len(word) >= 8 else 0
