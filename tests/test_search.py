"""Search on a real index: facets against brute-force counts, filters, sorting, snippets."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from archive.errors import BadQuery
from archive.models import FACETS, SearchQuery
from archive.search.analysis import edit_distance, term_language
from archive.search.names import extract as extract_names
from archive.search.spellings import value_identity
from archive.search.variants import load


def facet_values(doc) -> dict[str, tuple[str, ...]]:
    m = doc.metadata
    lang = term_language(m.language)
    return {
        "authors": m.authors,
        "publication": (m.publication,) if m.publication else (),
        "language": (m.language,) if m.language else (),
        "tags": m.tags,
        "year": (str(m.year),) if m.year else (),
        "collections": doc.collections,
        # names are extracted from the text (archive.names), the same way the index does
        "names": tuple(extract_names((m.title, *(b.text for b in doc.blocks)), lang, load())),
    }


def near(script: str, spelling: str, seen) -> bool:
    allowed = 2 if len(spelling) >= 10 else 1 if len(spelling) >= 6 else 0
    return any(s == script and edit_distance(o, spelling) <= allowed for s, o in seen if allowed)


def shown_names(archive) -> dict[str, str]:
    """Each name as the facet shows it: the spellings of one name (a key, bridging scripts:
    archive.search.spellings.value_identity) are one value, shown as the spelling most documents
    of the archive write (ties: the first in code point order)."""
    documents: Counter[str] = Counter()
    for doc_id in archive.matched_ids(""):
        documents.update(facet_values(archive.document(doc_id))["names"])
    groups: dict[tuple[str, ...], list[tuple[set[tuple[str, str]], list[str]]]] = {}
    for name in sorted(documents):
        key, script, spelling = value_identity(name)
        entries = groups.setdefault(key, [])
        entry = (
            next((e for e in entries if (script, spelling) in e[0]), None)
            or next((e for e in entries if near(script, spelling, e[0])), None)
            or next((e for e in entries if script not in {s for s, _ in e[0]}), None)
        )
        if entry is None:
            entry = (set(), [])
            entries.append(entry)
        entry[0].add((script, spelling))
        entry[1].append(name)
    shown = {}
    for entries in groups.values():
        for _, names in entries:
            best = max(sorted(names), key=documents.__getitem__)
            shown.update(dict.fromkeys(names, best))
    return shown


def brute_force(archive, text: str, filters: dict[str, tuple[str, ...]]):
    """Expected total and facet counts, computed from the catalog's own rows."""
    ids = archive.matched_ids(text)
    docs = [archive.document(i) for i in sorted(ids)]
    shown = shown_names(archive)

    def values_of(doc) -> dict[str, tuple[str, ...]]:
        values = facet_values(doc)
        return {**values, "names": tuple(shown[n] for n in values["names"])}

    def passes(doc, skip: str | None) -> bool:
        values = values_of(doc)
        return all(set(values[f]) & set(sel) for f, sel in filters.items() if sel and f != skip)

    total = sum(passes(d, None) for d in docs)
    counts = {}
    for facet in FACETS:
        counter: Counter[str] = Counter()
        for doc in docs:
            if passes(doc, facet):
                counter.update(values_of(doc)[facet])
        counts[facet] = counter
    return total, counts


QUERIES = [
    ("", {}),
    ("war", {}),
    ("Ukraine", {"language": ("en",)}),
    ("", {"language": ("en", "uk")}),
    ("", {"language": ("en", "ru"), "year": ("2022", "2013", "2016")}),
    ("president OR президент", {"year": ("2022",)}),
    ("-war", {"language": ("es",)}),
]


@pytest.mark.parametrize(("text", "filters"), QUERIES)
def test_facet_counts_equal_a_brute_force_count(sample_archive, text, filters):
    # every document listed (the sample holds two copies of one CRS report, folded by default)
    query = SearchQuery(text=text, filters=filters, per_page=50, collapse=False)
    page = sample_archive.search(query)
    total, expected = brute_force(sample_archive, text, filters)
    assert page.total == total
    assert len(page.hits) == min(total, 50)
    for facet in FACETS:
        got = {v.value: v.count for v in page.facets[facet]}
        for value, count in got.items():
            assert count == expected[facet][value], (facet, value)
        # every value with a count is shown (the corpus sample is small enough)
        assert set(expected[facet]) <= set(got) or len(got) >= 30
        for v in page.facets[facet]:
            assert v.selected == (v.value in filters.get(facet, ()))


def test_multi_select_is_or_within_a_facet_and_across_facets(sample_archive):
    def total(**filters):
        return sample_archive.search(SearchQuery(filters=filters)).total

    en, uk, es = total(language=("en",)), total(language=("uk",)), total(language=("es",))
    assert en and uk and es
    assert total(language=("en", "uk")) == en + uk
    year_2022 = total(year=("2022",))
    both = total(language=("uk",), year=("2022",))
    assert 0 < both <= min(uk, year_2022)
    # a facet's own counts ignore its selection, so the other languages stay visible
    page = sample_archive.search(SearchQuery(filters={"language": ("uk",)}))
    counts = {v.value: v.count for v in page.facets["language"]}
    assert counts["en"] == en and counts["es"] == es


def test_date_range_filter(sample_archive):
    page = sample_archive.search(
        SearchQuery(date_from="2022-05-13", date_to="2022-05-16", per_page=50)
    )
    assert page.total > 0
    for hit in page.hits:
        assert "2022-05-13" <= hit.date <= "2022-05-16"
    # every document: the sample's Ukrainian addresses and their English versions are groups
    everything = sample_archive.search(SearchQuery(per_page=100, collapse=False))
    expected = [h for h in everything.hits if h.date and "2022-05-13" <= h.date <= "2022-05-16"]
    assert 0 < len(expected) < everything.total
    assert page.total == len(expected)


def test_sorting_and_pages(sample_archive):
    newest = sample_archive.search(SearchQuery(sort="newest", per_page=50)).hits
    dates = [h.date for h in newest if h.date]
    assert dates == sorted(dates, reverse=True)
    oldest = sample_archive.search(SearchQuery(sort="oldest", per_page=50)).hits
    dated = [h.date for h in oldest if h.date]
    assert dated == sorted(dated)
    titles = [h.title.lower() for h in sample_archive.search(SearchQuery(sort="title")).hits]
    assert titles == sorted(titles) or len(titles) == 20
    first = sample_archive.search(SearchQuery(sort="title", per_page=10, page=1))
    second = sample_archive.search(SearchQuery(sort="title", per_page=10, page=2))
    assert first.total == second.total > 10
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_a_query_finds_documents_in_every_language(sample_archive):
    languages = {h.language for h in sample_archive.search(SearchQuery(text="Bakhmut")).hits}
    assert "en" in languages
    assert sample_archive.search(SearchQuery(text="війна")).total > 0
    assert sample_archive.search(SearchQuery(text="прокуратуры")).total > 0  # ru: Прокуратура


def test_the_sample_article_is_found_by_phrase_and_stem(sample_archive):
    for query in ['"winter offensive"', "offensives", "partisan", "title:partisans OR Wagner"]:
        ids = [h.id for h in sample_archive.search(SearchQuery(text=query)).hits]
        assert 1 in ids, query


def test_snippets_mark_matches_in_escaped_text(archive):
    archive.add(
        b"<script>alert(1)</script> The war <b>in</b> Bakhmut & beyond.\n\nMore war news.",
        "hostile.txt",
    )
    page = archive.search(SearchQuery(text="war"))
    [hit] = page.hits
    assert 1 <= len(hit.snippets) <= 3
    joined = "".join(hit.snippets)
    assert "&lt;script&gt;" in joined and "&amp;" in joined
    assert set(re.findall(r"</?[a-z]+", joined)) <= {"<mark", "</mark"}
    assert "<mark>war</mark>" in joined


def test_did_you_mean_only_when_the_correction_has_hits(sample_archive):
    page = sample_archive.search(SearchQuery(text="Bakhmot"))
    assert page.total == 0 and page.suggestion is not None
    assert sample_archive.search(SearchQuery(text=page.suggestion)).total > 0
    assert sample_archive.search(SearchQuery(text="qqzzxxvv")).suggestion is None
    assert sample_archive.search(SearchQuery(text="Bakhmut")).suggestion is None


@pytest.mark.parametrize("query", ['"unclosed', "*kyiv", "k*", "nosuchfield:x", "x" * 1001])
def test_bad_queries_raise_bad_query(sample_archive, query):
    with pytest.raises(BadQuery):
        sample_archive.search(SearchQuery(text=query))


def test_stop_words_do_not_empty_a_query(sample_archive):
    with_stop = sample_archive.search(SearchQuery(text="the partisans"))
    without = sample_archive.search(SearchQuery(text="partisans"))
    assert with_stop.total == without.total > 0


def test_top_facet_values_are_the_sorted_ones() -> None:
    # the heap shortcut over tens of thousands of names: the same values, ties by value
    import random

    import numpy as np

    from archive.search.engine import FACET_LIMIT
    from archive.search.facets import FacetCounts
    from archive.search.values import ValueTable

    rng = random.Random(7)
    for size in (0, 5, FACET_LIMIT, 500, 20_000):
        counts = Counter(
            {f"v{rng.randrange(10**6)}": rng.choice((1, 1, 1, 2, 3, 7, 40)) for _ in range(size)}
        )
        expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
        table = ValueTable()
        numbers = table.numbers([*counts, "never-counted"])
        array = np.zeros(len(table.values), dtype=np.int64)
        array[numbers[:-1]] = list(counts.values())
        found = FacetCounts(table, array)
        assert found.most_common(FACET_LIMIT) == expected
        assert len(found) == len(counts) and dict(found.items()) == dict(counts)
        assert found.get("never-counted") == 0 and "never-counted" not in found
