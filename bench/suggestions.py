"""Honest suggestions: "did you mean" and slips on real words of the corpora (issue 13).

    .venv/bin/python bench/suggestions.py --root DIR [--corpora DIR] [--per-language N]
                                          [--seed S] [--json OUT]

--root is an archive built from the same corpora (`archive --root DIR ingest
../shared/corpora/political-news/*.jsonl.gz`, or a bench's 20k root); it is only searched. The
corpora are read to count in how many documents each word stands (folded, as the archive folds),
per language, and two lists are drawn from those counts with a fixed seed:

- correct rare words: words of 6+ letters found in 2 to 5 documents (rare, yet written more
  than once, so not a typo), up to N per language (en, es, uk, ru);
- slips: a word of 6+ letters found in 20+ documents, changed the way fingers slip (two
  neighbouring letters swapped, a letter dropped, a letter doubled), where the result is found in
  no document; up to N per language, the three kinds in turn.

Each is searched as a reader types it (Archive.search, the word alone). For a correct word: a
false suggestion is any "did you mean"; widened means it matched more documents than the word in
quotes (no slips); for a slip: corrected means "did you mean" offers the word (folded), found
means the slip's matches hold at least 90% of the word's own, and another word offered counts
suggestions of some other word. Run the same command with the code
before a change (a worktree of the old commit) for the comparison in docs/search-quality.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the archive package lives beside bench/
    sys.path.insert(0, str(REPO))

from archive.config import Settings  # noqa: E402
from archive.core.archive import Archive  # noqa: E402
from archive.models import SearchQuery  # noqa: E402
from archive.search.analysis import WORD_RE, fold  # noqa: E402

DEFAULT_CORPORA = REPO.parent / "shared" / "corpora" / "political-news"
LANGUAGES = ("en", "es", "uk", "ru")
MIN_LETTERS = 6
RARE = range(2, 6)  # documents a "correct rare word" stands in
FREQUENT = 20  # documents a slipped word stands in, at least
FOUND_SHARE = 0.9


def count_words(corpora: Path) -> tuple[dict[str, Counter[str]], dict[str, str]]:
    """Per language, folded word -> documents it stands in; and each folded word's most common
    written form (so that names keep their capital: Donetsk, not donetsk)."""
    df: dict[str, Counter[str]] = defaultdict(Counter)
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for path in sorted(corpora.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                words = WORD_RE.findall(f"{record['title']}\n{record['body']}")
                seen = set()
                for word in words:
                    if len(word) >= MIN_LETTERS and word.isalpha():
                        key = fold(word)
                        if key not in seen:
                            seen.add(key)
                            forms[key][word] += 1
                df[record["language"]].update(seen)
    written = {key: counts.most_common(1)[0][0] for key, counts in forms.items()}
    return df, written


def slips_of(word: str) -> list[tuple[str, str]]:
    """(kind, slip) for each way of slipping on the word's inner letters."""
    out: list[tuple[str, str]] = []
    for i in range(1, len(word) - 2):
        if word[i] != word[i + 1]:
            out.append(("swap", word[:i] + word[i + 1] + word[i] + word[i + 2 :]))
    for i in range(1, len(word) - 1):
        out.append(("drop", word[:i] + word[i + 1 :]))
    for i in range(1, len(word) - 1):
        if word[i] != word[i + 1] and word[i] != word[i - 1]:
            out.append(("double", word[:i] + word[i] + word[i:]))
    return out


def draw(
    df: dict[str, Counter[str]], written: dict[str, str], per_language: int, seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, str]]]:
    """(language, word) correct rare words; (language, kind, slip, word) slips."""
    rng = random.Random(seed)
    everywhere: Counter[str] = Counter()
    for counts in df.values():
        everywhere.update(counts)
    rare: list[tuple[str, str]] = []
    slips: list[tuple[str, str, str, str]] = []
    for lang in LANGUAGES:
        counts = df.get(lang, Counter())
        words = sorted(w for w, n in counts.items() if everywhere[w] in RARE)
        rare += [(lang, written[w]) for w in rng.sample(words, min(per_language, len(words)))]
        frequent = sorted(w for w, n in counts.items() if n >= FREQUENT)
        rng.shuffle(frequent)
        kinds = ("swap", "drop", "double")
        made: list[tuple[str, str, str, str]] = []
        for key in frequent:
            if len(made) >= per_language:
                break
            word = written[key]
            options = [
                (kind, slip)
                for kind, slip in slips_of(word)
                if kind == kinds[len(made) % 3] and everywhere[fold(slip)] == 0
            ]
            if options:
                kind, slip = rng.choice(options)
                made.append((lang, kind, slip, word))
        slips += made
    return rare, slips


def measure(archive: Archive, rare: list, slips: list) -> dict:
    times: list[float] = []
    cpu: list[float] = []  # this process's CPU time: what a search costs, whoever else runs

    def search(text: str):  # noqa: ANN202 - a Page
        start, started = time.perf_counter(), time.process_time()
        page = archive.search(SearchQuery(text=text, per_page=10))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - started)
        return page

    false_suggestions, widened, examples = [], [], defaultdict(list)
    for lang, word in rare:
        page = search(word)
        exact = search(f'"{word}"').total
        if page.suggestion is not None:
            false_suggestions.append((lang, word, page.suggestion))
        if page.total > exact:
            widened.append((lang, word, exact, page.total))
    corrected, found, wrong, by_kind = [], [], [], Counter()
    for lang, kind, slip, word in slips:
        page = search(slip)
        own = archive.matched_ids(word)
        matched = archive.matched_ids(slip)
        is_corrected = page.suggestion is not None and fold(page.suggestion) == fold(word)
        is_found = bool(own) and len(own & matched) >= FOUND_SHARE * len(own)
        if is_corrected:
            corrected.append((lang, slip, word))
        elif page.suggestion is not None:
            wrong.append((lang, slip, word, page.suggestion))
        if is_found:
            found.append((lang, slip, word))
        if is_corrected or is_found:
            by_kind[kind] += 1
        else:
            examples["missed"].append((lang, slip, word, page.suggestion))
    times.sort()
    cpu.sort()
    return {
        "rare_words": len(rare),
        "false_suggestions": len(false_suggestions),
        "widened": len(widened),
        "slips": len(slips),
        "slips_corrected": len(corrected),
        "slips_found": len(found),
        "slips_wrong_suggestion": len(wrong),
        "slips_helped": sum(by_kind.values()),
        "helped_by_kind": dict(by_kind),
        "median_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1),
        "cpu_median_ms": round(1000 * statistics.median(cpu), 1),
        "cpu_p95_ms": round(1000 * cpu[int(0.95 * (len(cpu) - 1))], 1),
        "false_suggestion_examples": false_suggestions[:15],
        "widened_examples": widened[:15],
        "missed_examples": examples["missed"][:15],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="an archive of the corpora")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--per-language", type=int, default=30)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="write the figures and examples here")
    args = parser.parse_args()
    df, written = count_words(args.corpora)
    rare, slips = draw(df, written, args.per_language, args.seed)
    with Archive(Settings(root=args.root, rate_limits="off")) as archive:
        archive.search(SearchQuery(text="warm up"))
        result = measure(archive, rare, slips)
    result["code"] = str(Path(sys.modules["archive"].__file__).parent)
    print(f"code: {result['code']}")
    print(
        f"correct rare words: {result['rare_words']}; false suggestions "
        f"{result['false_suggestions']}; widened beyond their own matches {result['widened']}"
    )
    print(
        f"slips: {result['slips']}; corrected by did-you-mean {result['slips_corrected']}; "
        f"found the word's documents {result['slips_found']}; either {result['slips_helped']} "
        f"{result['helped_by_kind']}; another word offered {result['slips_wrong_suggestion']}"
    )
    print(
        f"search: median {result['median_ms']} ms, p95 {result['p95_ms']} ms "
        f"(CPU median {result['cpu_median_ms']} ms, p95 {result['cpu_p95_ms']} ms)"
    )
    for key in ("false_suggestion_examples", "widened_examples", "missed_examples"):
        print(f"{key}: {result[key][:8]}")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
