"""Language identification: our stop-word detector (ingest/metadata.detect_language) against
py3langid and lingua-language-detector, on the corpus's records, whose `language` field is the
answer. Prints accuracy, how often each says nothing, and the time per document.

    .venv/bin/pip install py3langid lingua-language-detector   # measured, not dependencies
    .venv/bin/python bench/languages.py --per-file 300 [--chars 200]

Each detector reads what ours reads: the body's first 20,000 characters (--chars: fewer, to see
short texts).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from corpus import DEFAULT_CORPUS, corpus_files, has_body, read_records

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.ingest.metadata import detect_language  # noqa: E402

SAMPLE = 20_000


def detectors() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {"ours (stop words)": detect_language}
    try:
        import py3langid

        found["py3langid"] = lambda text: py3langid.classify(text)[0]
        found["py3langid, 2,000 chars"] = lambda text: py3langid.classify(text[:2000])[0]
        found["ours, else py3langid"] = lambda text: (
            detect_language(text) or (py3langid.classify(text[:2000])[0])
        )
    except ImportError:
        print("py3langid is not installed: left out", file=sys.stderr)
    try:
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def by_lingua(text: str) -> str:
            found_language = lingua.detect_language_of(text)
            return found_language.iso_code_639_1.name.lower() if found_language else ""

        found["lingua (all languages)"] = by_lingua
    except ImportError:
        print("lingua-language-detector is not installed: left out", file=sys.stderr)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--per-file", type=int, default=300)
    parser.add_argument(
        "--chars", type=int, default=SAMPLE, help="read only this much of each body (200: short)"
    )
    args = parser.parse_args()
    samples: list[tuple[str, str]] = []
    for _, records in read_records(corpus_files(args.corpus), limit=args.per_file):
        for record in records:
            if has_body(record) and record.get("language"):
                samples.append((record["language"], record["body"][: args.chars]))
    gold = Counter(lang for lang, _ in samples)
    print(f"{len(samples):,} records: " + ", ".join(f"{n} {g}" for g, n in sorted(gold.items())))
    header = f"{'detector':24} {'right':>7} {'wrong':>6} {'none':>5}"
    print(f"{header}  per language (right/all)  ms/doc")
    for name, detect in detectors().items():
        detect(samples[0][1])  # load models before timing
        right: Counter[str] = Counter()
        wrong = none = 0
        start = time.perf_counter()
        for lang, text in samples:
            said = detect(text)
            if said == lang:
                right[lang] += 1
            elif said:
                wrong += 1
            else:
                none += 1
        ms = 1000 * (time.perf_counter() - start) / len(samples)
        per = " ".join(f"{g} {right[g]}/{n}" for g, n in sorted(gold.items()))
        total = sum(right.values())
        print(f"{name:24} {total / len(samples):7.2%} {wrong:6} {none:5}  {per}  {ms:6.2f}")


if __name__ == "__main__":
    main()
