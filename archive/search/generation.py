"""One generation of the index as the engine searches it: a Whoosh searcher and what is derived
from it, kept until a commit makes the engine open the next generation.

Everything a generation keeps is a cache of its searcher's documents and the variants file, and
goes with it: each live document's facet values and date (archive.search.facets), the lexicon
lookups of fuzzy matching and "did you mean" (archive.search.lexicon), what recent queries match
besides their own words (a hit's document view highlights them without compiling the query
again), the pages it answered (archive.search.answers) and the autocomplete vocabulary. The
engine uses a generation under its lock only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from archive.search.analysis import WORD_RE, fold
from archive.search.answers import Answers
from archive.search.compile import ALL, Compiled, compile_node
from archive.search.facets import FacetCache, SegmentValues
from archive.search.highlight import Marks
from archive.search.lexicon import Lexicon, Presence
from archive.search.scoring import EXACT, LOWER, Evaluator, Scored, TermCache
from archive.search.suggest import Vocabulary, spell_frequency, spell_terms
from archive.search.syntax import Node
from archive.search.values import ValueTable
from archive.search.variants import Variants

# Queries whose marks a generation keeps (for the document views their hits lead to).
MAX_REMEMBERED = 64
# facets whose values are names of people (and, from the names work, organisations and places)
NAME_FACETS = ("authors", "names")


class Generation:
    """A searcher and its caches. `facets` reads and keeps the segments' values in `segments`
    (segment id -> values), numbered in `tables`, and the evaluator keeps term arrays in
    `terms`: the engine carries all three from one generation to the next."""

    def __init__(
        self,
        searcher: Searcher,
        variants: Variants,
        segments: dict[str, SegmentValues],
        tables: dict[str, ValueTable],
        terms: TermCache,
        index_dir: Path | None = None,
        presence: Presence | None = None,
        answers: int = 0,
    ) -> None:
        """answers: how many pages it remembers having answered (Settings.search_answers)."""
        self.searcher = searcher
        self.reader = searcher.reader()
        self.variants = variants
        self.facets = FacetCache(searcher, segments, tables, index_dir)
        terms.retain(set(segments))
        cache = self.facets
        self.evaluator = Evaluator(
            searcher, cache.leaves, cache.live, cache.dates, terms, ids=cache.ids
        )
        segments = [(key, reader) for key, reader, _ in cache.leaves]
        if presence is not None:
            presence.retain({key for key, _ in segments})
        self.lexicon = Lexicon(self.reader, segments, presence)
        self._marks: dict[Node, Marks] = {}
        self.answers = Answers(answers)
        self._vocabulary: Vocabulary | None = None
        self._name_words: frozenset[str] | None = None

    @property
    def closed(self) -> bool:
        return getattr(self.searcher.ixreader, "is_closed", False)

    def close(self) -> None:
        self.searcher.close()

    def compile(self, node: Node, fuzzy: bool = True) -> Compiled:
        """The compiled query (archive.search.compile); fuzzy=False leaves out misspellings."""
        compiled = compile_node(node, self.lexicon, self.variants, fuzzy)
        if fuzzy:  # the full query's marks, for the document view
            if len(self._marks) >= MAX_REMEMBERED:
                self._marks.clear()
            self._marks[node] = compiled.marks
        return compiled

    def marks(self, node: Node | None) -> Marks:
        """What the query matches beyond its own words: other spellings, scripts, misspellings."""
        if node is None:
            return Marks()
        found = self._marks.get(node)
        return found if found is not None else self.compile(node).marks

    def is_name(self, word: str) -> bool:
        """Whether the archive knows the word as (part of) a name: a spelling in the variants
        file, or a word of a value of the names or authors facet. The facets' words are
        gathered on first use, which only "did you mean" on a rare word makes."""
        if self.variants.line_of((word,)) is not None:
            return True
        if self._name_words is None:
            cache = self.facets
            self._name_words = frozenset(
                fold(part)
                for facet in NAME_FACETS
                for value in cache.count(facet, cache.live)
                for part in WORD_RE.findall(value)
            )
        return fold(word) in self._name_words

    def scored(self, query: wq.Query, mode: str = EXACT) -> Scored:
        """The live documents (a mask over searcher-wide numbers) a compiled query matches,
        and their scores (mode: archive.search.scoring.Evaluator.evaluate)."""
        if query is ALL:
            live = self.facets.live
            return Scored(live, np.zeros(len(live), dtype=np.float64))
        return self.evaluator.evaluate(query, mode)

    def matched(self, query: wq.Query) -> np.ndarray:
        """The mask of the live documents a compiled query matches."""
        return self.scored(query, LOWER).mask

    def catalog_id(self, docnum: int) -> int:
        return int(self.facets.ids[docnum])

    @property
    def deletions(self) -> frozenset[tuple[str, int]]:
        """(segment id, deleted documents) of each segment: a later generation with all of these
        unchanged has only added documents (or merged none of these segments)."""
        return frozenset(
            (key, reader.doc_count_all() - reader.doc_count())
            for key, reader, _ in self.facets.leaves
        )

    def adopt(self, vocabulary: Vocabulary, deletions: frozenset[tuple[str, int]]) -> bool:
        """Take an earlier generation's vocabulary when this one only added documents to it:
        rebuilding costs seconds at 100,000 documents, and under uploads every commit would pay
        it again. New documents' words join at the next rebuild; the live counts of its words
        are asked of this generation. False (nothing taken) when anything was deleted."""
        if self._vocabulary is not None or not deletions <= self.deletions:
            return False
        min_df = 2 if self.facets.live_count >= 200 else 1
        vocabulary.live = lambda word: _at_least(spell_frequency(self.lexicon, word), min_df)
        self._vocabulary = vocabulary
        return True

    def vocabulary(self, titles: Callable[[], Iterable[tuple[int, str]]]) -> Vocabulary:
        """Autocomplete's vocabulary, built on first use (titles() lists the titles)."""
        if self._vocabulary is None:
            cache = self.facets
            names: Counter[str] = Counter()
            for facet in NAME_FACETS:
                counted = cache.count(facet, cache.live)
                names.update(dict(counted.items()))
                for name, n in counted.items():  # Київ offered, not only Kyiv: every spelling
                    for alias in self.spellings(facet, name)[1:]:
                        names[alias] = max(names[alias], n)
            # in a large archive a word found in one document only is as likely a typo as a word
            min_df = 2 if cache.live_count >= 200 else 1

            def live(word: str) -> int:  # the dictionary's counts include deleted documents
                return _at_least(spell_frequency(self.lexicon, word), min_df)

            terms = spell_terms(self.reader, min_df)
            self._vocabulary = Vocabulary(names, terms, titles(), live)
        return self._vocabulary

    def spellings(self, facet: str, value: str) -> list[str]:
        """A facet value and its other spellings: those the archive writes (a names value's,
        search/values.ValueTable) and, for a name of the variants file, that line's."""
        table = self.facets.tables.get(facet)
        written = table.aliases(value) if table is not None else [value]
        line = self.variants.line_of(tuple(WORD_RE.findall(value)))
        listed = list(self.variants.lines[line]) if line is not None else []
        return list(dict.fromkeys([value, *written, *listed]))


def _at_least(found: int, floor: int) -> int:
    return found if found >= floor else 0
