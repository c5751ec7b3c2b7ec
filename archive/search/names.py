"""Names mentioned in a document (people, organisations, places), without a model.

A name is a run of capitalised words ("Xi Jinping", "Wagner Group", "Бахмут") or an acronym
("NATO"). Runs are trimmed of stop words and of words the document also writes in lowercase
(common words capitalised by a title or a sentence start: "Head", "Partisans"); a single word
seen only at the start of sentences is not taken for a name. Known names from the variants file
are cut out of longer runs and shown in their canonical spelling, whatever the script or case
ending; an unknown name takes its most frequent spelling in the document. A multi-word name whose
last word is also a name on its own ("Vladimir Putin" beside "Putin") counts for the short one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache, partial
from operator import itemgetter

from archive.search.analysis import (
    edit_distance,
    fold,
    join_apostrophes,
    stop_words,
    term_language,
)
from archive.search.morphology import (
    MORPH_LANGUAGES,
    adjective_ending,
    case_breaks,
    common_noun,
    common_opening,
    lemma,
    nominative,
    not_a_name,
)
from archive.search.spellings import value_key
from archive.search.variants import Variants, name_key

MAX_NAMES = 30
MAX_RUN = 4  # words in a name
# Distinct runs and parts analysed, kept across documents (a corpus repeats its names). Small,
# because a server's index worker keeps them for its life: with these at 50,000, morphology's
# at 400,000 and the stems' at 500,000, making the fields and terms of 3,000 articles grew a
# process from 42 to 219 MB (and on with every new word); with 10,000, 20,000 and 50,000, to
# 185 MB, 5% slower (bench/naming_memory.py at 100k). Halved again (and morphology's, the
# stems' and the variants' with it) so that a worker under a steady stream of uploads fills
# them within its first minute or two rather than its fifth: 3,000 articles 151 -> 129 MB
# (102 -> 98 MB after the first 500), 11.0 -> 11.9 s.
CACHE_SIZE = 5_000
# Runs of capitalised words joined by one space or a hyphen, found by one regex (a Python loop
# over every word cost more than the rest of indexing). Upper-case letters of the Latin, Greek
# and Cyrillic blocks make the class, since `re` has no \p{Lu}.
_UPPER = re.escape("".join(ch for ch in map(chr, range(0x41, 0x530)) if ch.isupper()))
_CAP_WORD = rf"[{_UPPER}][^\W\d_]*"
# Skipped when looking back for the end of the previous sentence ("1) The", "(Kyiv").
_BEFORE = " \t\u00a0\"“”„«»([‘’'0123456789"
_SENTENCE_END = ".!?:;•\n"  # the next word starts a sentence
_END, _SKIP = re.escape(_SENTENCE_END), re.escape(_BEFORE)
# A run with the characters before it that the look-back needs: a sentence end and the skipped
# characters after it, or nothing (a run after anything else but a letter: had a sentence end
# come before the skipped characters, the match would have started there, further left). Every
# match starts with a sentence end or a capital, which `re` finds fast, and a sentence end
# starts at most one scan of the skipped characters after it, which keeps it linear.
_RUN_RE = re.compile(
    rf"[{_END}{_UPPER}](?:(?<=[{_END}])[{_SKIP}]*+[{_UPPER}]|(?<=[{_UPPER}])(?<![^\W\d_].))"
    rf"[^\W\d_]*(?:[ \-\u00a0]{_CAP_WORD}){{0,{MAX_RUN - 1}}}"
)
_JOINER_RE = re.compile(r"[ \-\u00a0]")
# Single words with these endings are demonyms, adjectives and creeds (Ukrainian, Stalinist).
_NOT_NAME_ENDINGS = ("ian", "ians", "ean", "eans", "ese", "ish", "ist", "ists", "ism")
# Curated names weigh double when choosing the top names: an archivist listed them.
KNOWN_WEIGHT = 2
# Capitalised words that are no names, folded (Cyrillic ones in their dictionary form), in
# English, Ukrainian and Russian. Titles and ranks are cut from the start of a run ("President
# Zelensky" -> Zelensky); labels of reports, figures and tables, units and currencies from
# either end ("CRS Report", "Figure 3", "UAH"). A run of nothing else is dropped.
TITLES = frozenset(
    fold(word)
    for word in """president presidents vice prime minister ministers secretary senator sen rep
    representative congressman congresswoman governor mayor chairman chairwoman chair speaker
    general gen colonel col lieutenant lt commander admiral sergeant captain major marshal
    ambassador director deputy spokesman spokeswoman spokesperson adviser advisor chief head
    mr mrs ms dr sir madam lord lady judge justice attorney commissioner premier chancellor
    his her excellency hero ladies gentlemen
    президент віцепрезидент премʼєр прем'єр міністр голова секретар посол генерал полковник
    командувач радник речник депутат мер губернатор пан пані герой уряд канцлер
    премьер министр глава секретарь посол генерал полковник командующий советник депутат мэр
    губернатор господин госпожа председатель заместитель начальник руководитель канцлер
    правительство""".split()
)
LABELS = frozenset(
    fold(word)
    for word in """report reports crs insight cong usc figure figures fig table tables chart
    map maps graph appendix annex box note notes source sources section chapter page pages
    exhibit video title
    fy fiscal q1 q2 q3 q4 gdp km kg mln bn billion million percent
    uah usd eur rub gbp cny hryvnia hryvnias dollar dollars euro euros ruble rubles rouble
    roubles yuan inc llc ltd corp ооо оао зао тов пат ii iii iv vi vii viii ix xi xii xiv
    рисунок таблиця малюнок джерело примітка додаток розділ гривня грн долар євро рубль
    рисунок таблица источник примечание приложение раздел руб доллар евро""".split()
)
# Capitalised common words that are no name by themselves (a name's part when it stands inside
# a run: "Democratic Party", "Department of Defense" is cut at "of" and leaves "Department"):
# party and national adjectives, the heads of official names, report boilerplate.
NOT_ALONE = frozenset(
    fold(word)
    for word in """american americans democrat democrats democratic republican republicans members
    department government office bureau committee administration issues year focus
    congresses interior agriculture commerce defense constitution act district commission
    appeals university covid
    unidos república secretaría ciudad cámara defensa electricidad constitución ah""".split()
)
# Capitalised in English (and German) text, yet not names.
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday januar februar märz juni juli
    oktober dezember montag dienstag mittwoch donnerstag freitag samstag sonntag
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)


# Words (letters only) and tokens (every run of word characters, digits and "_" too: a cheaper
# scan). The letter-only words are exactly the tokens without digits or "_", and a name's
# lowercased word never has either, so the tokens serve to tell which words a block writes in
# lowercase; only a block that might be shouting needs its words.
_WORDS_RE = re.compile(r"\b[^\W\d_]+\b")
_TOKENS_RE = re.compile(r"\w+")

Part = tuple[tuple[str, ...], bool]  # words, starts a sentence


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and (len(word) == 1 or not word[1:].isupper() or _is_acronym(word))


def _is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 6 and word.isupper()


@lru_cache(maxsize=32)
def _stops(lang: str) -> frozenset[str]:
    return stop_words(term_language(lang)) | stop_words("en")


class _Runs:
    """`extract`'s analysis of the runs it finds, under one variants file, kept on it
    (Variants.memo) for the life of the file: a corpus repeats its names. The memos key on
    strings alone, which the garbage collector need not track (keys holding objects made every
    collection during indexing walk them)."""

    def __init__(self, variants: Variants) -> None:
        self.parts = lru_cache(maxsize=CACHE_SIZE)(partial(_parts, variants))
        self.describe = lru_cache(maxsize=CACHE_SIZE)(partial(_describe, variants))
        self.nominal = lru_cache(maxsize=CACHE_SIZE)(nominal)

    @staticmethod
    def of(variants: Variants) -> _Runs:
        runs = variants.memo.get("names")
        if not isinstance(runs, _Runs):
            runs = variants.memo["names"] = _Runs(variants)
        return runs


def _parts(variants: Variants, match: str, lang: str) -> tuple[Part, ...]:
    """The parts of one run as `_RUN_RE` matched it: split at shouted words (PARTISANS), around
    the known names it holds and at stop words."""
    stops = _stops(lang)
    text = match.lstrip(_SENTENCE_END + _BEFORE)
    initial = len(text) < len(match) and match[0] in _SENTENCE_END
    out: list[Part] = []
    run: list[str] = []
    for word in _JOINER_RE.split(text):
        if _is_capitalised(word):
            run.append(word)
            continue
        if run:
            out.extend(_split_known(tuple(run), initial, variants, stops))
        run, initial = [], False
    if run:
        out.extend(_split_known(tuple(run), initial, variants, stops))
    return tuple(piece for part in out for piece in _split_cases(part, lang))


def _split_cases(part: Part, lang: str) -> Iterable[Part]:
    """A Cyrillic run cut where its words stop agreeing in case (morphology.case_breaks)."""
    words, initial = part
    cuts = case_breaks(words, lang) if len(words) > 1 else ()
    start = 0
    for cut in (*cuts, len(words)):
        yield words[start:cut], initial and start == 0
        start = cut


def _describe(variants: Variants, words: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """A name's key (its words' cross-script keys) and its canonical spelling if it is known."""
    return value_key(words), variants.canonical(words)


def nominal(words: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """A run's words as a name: titles cut from its start, labels, units and currencies from
    either end, the rest in the nominative (Президента України -> Україна, Дениса Шмигаля ->
    Денис Шмигаль); empty when nothing is left, or when a single word is known only as a
    common adjective, numeral or verb (Другої), or in Russian as a common noun."""
    morph = _morph_language(words, lang)

    def listed(word: str, *lists: frozenset[str]) -> bool:
        low = word.lower()
        forms = {fold(low), fold(lemma(low, morph))}
        return any(not forms.isdisjoint(words) for words in lists)

    start, end = 0, len(words)
    while start < end and listed(words[start], TITLES, LABELS):
        start += 1
    while end > start and listed(words[end - 1], LABELS):
        end -= 1
    kept = words[start:end]
    if sum(map(len, kept)) < 2:
        return ()
    if len(kept) == 1 and (
        fold(kept[0]) in NOT_ALONE
        or not_a_name(kept[0], morph)
        # the Russian dictionary tags names and places: a word it knows only as a common
        # noun (Управление, Центр) is none; the Ukrainian one tags people only
        or (morph == "ru" and common_noun(kept[0], morph))
    ):
        return ()
    if adjective_ending(kept[-1], morph):  # Великая Отечественная, Усть-Канского (района)
        return ()
    return nominative(kept, morph)


def _morph_language(words: tuple[str, ...], lang: str) -> str:
    """The language whose dictionary reads a name: the document's, for Cyrillic words in a
    document of another language the one its letters suggest."""
    if lang in MORPH_LANGUAGES:
        return lang
    text = "".join(words).lower()
    return "uk" if any(c in "іїєґ" for c in text) else "ru"


def extract(
    blocks: Iterable[str], lang: str, variants: Variants, limit: int = MAX_NAMES
) -> list[str]:
    """The document's names, most mentioned first (at most `limit`)."""
    texts: list[str] = []
    lowercase: set[str] = set()
    for t in blocks:
        if not t:
            continue
        found = _TOKENS_RE.findall(t)  # one pass a block serves both tests below
        # a shouting block has three upper-case words or more: most blocks have not
        if sum(map(str.isupper, found)) >= 3 and _shouting(_WORDS_RE.findall(t)):
            continue
        texts.append(join_apostrophes(t))  # Премʼєр, not Прем
        lowercase.update(filter(str.islower, found))
    stops = _stops(lang)
    memo = _Runs.of(variants)
    counts: Counter[tuple[str, ...]] = Counter()  # key -> mentions
    spellings: dict[tuple[str, ...], Counter[str]] = {}
    known: dict[tuple[str, ...], str] = {}
    seen_inside: set[tuple[str, ...]] = set()  # single words seen not starting a sentence

    # A document repeats its names: each distinct run is analysed once, in the order of its first
    # mention (so that ties and near-misses resolve as they would mention by mention). A line
    # break before the first text makes a run at its very start begin a sentence.
    runs = Counter(_RUN_RE.findall("\n" + "\n".join(texts)))
    morph = lang if lang in MORPH_LANGUAGES else "uk"  # Cyrillic in another language's text
    for match, n in runs.items():
        for words, initial in memo.parts(match, lang):
            # a run's first word may be a common word starting a sentence ("After Bakhmut");
            # inside a longer name common words belong to it ("Yellow Ribbon Movement")
            while words and (
                words[0].lower() in stops
                or ((initial or len(words) == 1) and _common(words[0], stops, lowercase))
                # a common word opening a sentence (Засідання Верховної Ради)
                or (initial and len(words) > 1 and common_opening(words[0], morph))
            ):
                words, initial = words[1:], False
            while words and words[-1].lower() in stops:
                words = words[:-1]
            canonical = memo.describe(words)[1] if words else None
            words = memo.nominal(words, lang) if words else ()
            if not words:
                continue
            key, known_as = memo.describe(words)
            canonical = canonical or known_as
            if canonical:
                known[key] = canonical
            counts[key] += n
            spelled = spellings.get(key)
            if spelled is None:
                spelled = spellings[key] = Counter()
            spelled[" ".join(words)] += n
            if not initial or len(words) > 1 or _is_acronym(words[0]):
                seen_inside.add(key)

    merged: Counter[str] = Counter()
    for key, n in counts.items():
        if key not in known:
            if key not in seen_inside or _not_a_name(key, _most(spellings[key])):
                continue
            if len(key) > 1 and (key[-1],) in counts:
                key = (key[-1],)  # "Vladimir Putin" counts for "Putin"
            else:
                key = _near_known(key, known) or key  # "Prgozhin": a slip of "Prigozhin"
        name = known.get(key) or _most(spellings[key])
        merged[name] += n * (KNOWN_WEIGHT if key in known else 1)
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    # one value a key: the facet merges values by key across documents (search/facets.py),
    # which must never count one document twice
    keys: set[tuple[str, ...]] = set()
    out: list[str] = []
    for name, _ in ordered:
        key = value_key(name)
        if key not in keys:
            keys.add(key)
            out.append(name)
    return out[:limit]


def _most(spellings: Counter[str]) -> str:
    """The most frequent spelling, the first written of equals (as Counter.most_common)."""
    return max(spellings.items(), key=itemgetter(1))[0]


def _common(word: str, stops: frozenset[str], lowercase: set[str]) -> bool:
    """A stop word, or a word the document also writes in lowercase (not an acronym)."""
    low = word.lower()
    return (
        low in stops
        or low in _CALENDAR
        or (not _is_acronym(word) and low in lowercase)
        or len(word) < 2
    )


def _not_a_name(key: tuple[str, ...], word: str) -> bool:
    return len(key) == 1 and not _is_acronym(word) and word.lower().endswith(_NOT_NAME_ENDINGS)


def _near_known(key: tuple[str, ...], known: dict[tuple[str, ...], str]) -> tuple[str, ...] | None:
    if len(key) != 1 or len(key[0]) < 6:
        return None
    word = key[0]
    return next(
        (
            k
            for k in known
            # one edit changes the length by one at most: most pairs need no distance
            if len(k) == 1 and abs(len(k[0]) - len(word)) <= 1 and edit_distance(k[0], word) == 1
        ),
        None,
    )


def _shouting(found: list[str]) -> bool:
    """A block mostly in capitals (given its words): its words are not acronyms."""
    words = [w for w in found if len(w) > 1]
    return len(words) >= 4 and sum(w.isupper() for w in words) * 2 > len(words)


def _split_known(
    run: tuple[str, ...], initial: bool, variants: Variants, stops: frozenset[str]
) -> Iterable[tuple[tuple[str, ...], bool]]:
    """A run cut around the known names it holds (longest first), and at stop words."""
    i = start = 0
    while i < len(run):
        found = 0
        first = name_key(run[i]) or fold(run[i])
        for n in range(
            min(variants.longest, len(run) - i) if first in variants.starts else 0, 0, -1
        ):
            if variants.canonical(run[i : i + n]):
                found = n
                break
        if found or run[i].lower() in stops:
            if start < i:
                yield run[start:i], initial and start == 0
            if found:
                yield run[i : i + found], initial and i == 0
            i += found or 1
            start = i
        else:
            i += 1
    if start < len(run):
        yield run[start:], initial and start == 0
