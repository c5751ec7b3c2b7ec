"""More like this, judged: the top 5 similar documents of 50 documents of the corpora, by one
version of the code, written as TSV for bench/similar_judgments.tsv (judged by hand) and
bench/similar_precision.py (precision@5 from the judgments).

    .venv/bin/python bench/similar_lists.py --root ROOT --label after > /tmp/after.tsv
    git archive main archive | tar -x -C /tmp/main-code
    .venv/bin/python bench/similar_lists.py --root ROOT --label before --code /tmp/main-code \
        > /tmp/before.tsv
    .venv/bin/python bench/similar_lists.py --root ROOT --pool /tmp/before.tsv /tmp/after.tsv

ROOT is an archive of the corpora (a copy of a 20k build, with the sample essay
/work/shared/samples/partisans-winter-offensive.txt ingested into it). The 50 documents are drawn
with a fixed seed from each corpus and language (SPREAD), and the sample essay is the 50th.
--code puts another checkout's archive package first (today's code on main, for "before").
A resistinua address's translation (the same record id in the other language) is passed as
`translations` where the code takes it (the translations group's stand-in): it is left out of the
list, and its terms are looked up too, so documents in both languages are found. --alone passes
none (the translation is then listed among the similar ones, and only the source's language).
--pool prints the candidates of several lists, each pair once, shuffled and without the method
that found it, with the opening text of both, to be judged by hand.
--time prints the time per "more like this" (median and p95 over the 50, after one warm-up), and
per document page (Archive.document_view, in an archive opened afresh), wall-clock and CPU (the
steadier figure on a shared machine).
"""

from __future__ import annotations

import argparse
import csv
import inspect
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 16
SAMPLE_TITLE = "Partisans winter offensive"
# (source_id prefix, language, how many): 49 drawn, spread over the corpora and languages
SPREAD = (
    ("allsides:", "en", 20),
    ("resistinua:en:", "en", 7),
    ("resistinua:uk:", "uk", 7),
    ("amlo:", "es", 5),
    ("zvezdaaltaya:", "ru", 5),
    ("crs:", "en", 5),
)
TOP = 5
OPENING = 240  # characters of text shown to the judge


def _code_first(argv: list[str]) -> None:
    """--code DIR: that checkout's archive package is imported instead of this one."""
    code = argv[argv.index("--code") + 1] if "--code" in argv else str(REPO)
    sys.path.insert(0, code)


def picked(catalog: Path) -> list[tuple[int, str]]:
    """(catalog id, source id) of the 50 documents, in a fixed order."""
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT id, coalesce(source_id, ''), language, title FROM documents"
        " WHERE status = 'published' ORDER BY id"
    ).fetchall()
    rng = random.Random(SEED)
    out = []
    for prefix, lang, n in SPREAD:
        pool = [(i, s) for i, s, lg, _ in rows if s.startswith(prefix) and lg == lang]
        out += rng.sample(pool, n)
    out += [(i, record_id(s, t)) for i, s, _, t in rows if t == SAMPLE_TITLE][:1]
    return out


def record_id(source_id: str, title: str) -> str:
    """A document's name in the judgments: its corpus record id (the sample essay has none)."""
    return source_id or f"sample:{title}"


def record_ids(catalog: Path, ids: list[int]) -> dict[int, str]:
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT id, coalesce(source_id, ''), title FROM documents WHERE id IN ({marks})", ids
    )
    return {i: record_id(s, t) for i, s, t in rows}


def translation_of(catalog: Path, source_id: str) -> list[int]:
    """The other-language record of a resistinua address (the translations group's stand-in)."""
    if not source_id.startswith("resistinua:"):
        return []
    _, lang, rest = source_id.split(":", 2)
    other = f"resistinua:{'en' if lang == 'uk' else 'uk'}:{rest}"
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    return [r[0] for r in conn.execute("SELECT id FROM documents WHERE source_id = ?", (other,))]


def lists(root: Path, label: str, timing: bool, alone: bool) -> None:
    from archive import Archive, Settings

    catalog = root / "uploads" / "catalog.sqlite3"
    docs = picked(catalog)
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    with Archive(Settings(root=root)) as archive:
        takes = "translations" in inspect.signature(archive.similar).parameters and not alone
        archive.similar(docs[0][0], limit=TOP)  # the searcher opens once
        times: list[float] = []
        cpus: list[float] = []
        for doc_id, source_id in docs:
            extra = {"translations": translation_of(catalog, source_id)} if takes else {}
            start, cpu = time.perf_counter(), time.process_time()
            found = archive.similar(doc_id, limit=TOP, **extra)
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            records = record_ids(catalog, [s.id for s in found])
            for rank, s in enumerate(found, 1):
                out.writerow([label, doc_id, source_id, rank, s.id, records[s.id], s.score])
    if timing:
        _report(f"{label}: more like this", times)
        _report(f"{label}: more like this, CPU", cpus)
        # the document page's call (passages, similar, copies), in an archive opened afresh:
        # nothing the lists above read is cached
        with Archive(Settings(root=root)) as archive:
            archive.document_view(docs[0][0])
            pages, page_cpus = [], []
            for doc_id, _ in docs[1:]:
                start, cpu = time.perf_counter(), time.process_time()
                archive.document_view(doc_id)
                pages.append(time.perf_counter() - start)
                page_cpus.append(time.process_time() - cpu)
        _report(f"{label}: document_view", pages)
        _report(f"{label}: document_view, CPU", page_cpus)


def _report(what: str, times: list[float]) -> None:
    times = sorted(times)
    print(
        f"# {what}: {len(times)} documents, median {statistics.median(times) * 1000:.0f} ms,"
        f" p95 {times[int(0.95 * (len(times) - 1))] * 1000:.0f} ms,"
        f" max {times[-1] * 1000:.0f} ms",
        file=sys.stderr,
    )


def pool(root: Path, files: list[Path]) -> None:
    """Every (source, candidate) pair of the lists once, shuffled, with no method named."""
    from archive import Archive, Settings

    pairs = sorted(
        {
            (int(row[1]), int(row[4]))
            for f in files
            for row in csv.reader(f.open(), delimiter="\t")
            if row and not row[0].startswith("#")
        }
    )
    random.Random(SEED).shuffle(pairs)
    pairs.sort(key=lambda p: p[0])  # one source at a time, its candidates shuffled
    with Archive(Settings(root=root)) as archive:
        last = None
        for source, candidate in pairs:
            if source != last:
                print(f"\n=== {source} {_shown(archive, source)}")
                last = source
            print(f"  -- {candidate} {_shown(archive, candidate)}")


def _shown(archive, doc_id: int) -> str:  # noqa: ANN001 - the Archive of --code
    doc = archive.document(doc_id)
    m = doc.metadata
    text = " ".join(doc.text.split())[:OPENING]
    return f"[{m.language} {m.date or ''}] {m.title}\n      {text}"


def main() -> None:
    _code_first(sys.argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--label", default="after")
    parser.add_argument("--code", type=Path, help="a checkout whose archive package to run")
    parser.add_argument("--time", action="store_true", help="print the time per list")
    parser.add_argument(
        "--alone", action="store_true", help="pass no translations (they are then listed)"
    )
    parser.add_argument("--pool", type=Path, nargs="+", help="lists to pool for judging")
    args = parser.parse_args()
    if args.pool:
        pool(args.root, args.pool)
    else:
        lists(args.root, args.label, args.time, args.alone)


if __name__ == "__main__":
    main()
