"""The political-news corpus as the benches read it: its records, --limit and --scale.

    files = corpus_files(DEFAULT_CORPUS)
    per_file = read_records(files, limit=200)          # [(file, [record, ...]), ...]
    paths = write_scaled(per_file, scale=5, folder=tmp)  # what an archive ingests
    for record in scaled(per_file, scale=5): ...          # the same records, the same order

--scale K makes K copies of the corpus: copy 0 is the corpus itself; copy k > 0 of a record has
the id "<id>#k" and its body's paragraphs shuffled by a generator seeded with (seed, k, id), so
every run makes the same copies, each a distinct document (no two have the same bytes, so the
archive does not take a copy for a duplicate) with the same words, title and metadata.
Records without body text (the archive refuses them) are left out everywhere.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "political-news"
SCALE_SEED = 2024
SUFFIX = ".jsonl.gz"

FileRecords = tuple[Path, list[dict]]


def corpus_files(folder: Path) -> list[Path]:
    """The corpus's *.jsonl.gz files, in name order."""
    return sorted(folder.glob("*" + SUFFIX))


def has_body(record: dict) -> bool:
    """Whether the archive finds a paragraph in the record (it refuses a record without)."""
    body = record.get("body")
    return isinstance(body, str) and any(line.split() for line in body.split("\n"))


def read_records(files: Sequence[Path], limit: int | None = None) -> list[FileRecords]:
    """Each file with its records: the first `limit` non-blank lines (all without a limit)."""
    out: list[FileRecords] = []
    for path in files:
        records: list[dict] = []
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                records.append(json.loads(line))
                if limit is not None and len(records) >= limit:
                    break
        out.append((path, records))
    return out


def copy_of(record: dict, k: int, seed: int = SCALE_SEED) -> dict:
    """Copy k of a record: itself for k = 0, else a distinct id and shuffled paragraphs."""
    if k == 0:
        return record
    paragraphs = record["body"].split("\n")
    random.Random(f"{seed}:{k}:{record['id']}").shuffle(paragraphs)
    return {**record, "id": f"{record['id']}#{k}", "body": "\n".join(paragraphs)}


def scaled(per_file: Sequence[FileRecords], scale: int = 1) -> Iterator[dict]:
    """Every record with a body, `scale` times over: all of copy 0 file by file, then copy 1…

    The order in which write_scaled's files hold them, so an engine fed from here and an
    archive fed those files see the same documents in the same order."""
    for k in range(scale):
        for _, records in per_file:
            for record in records:
                if has_body(record):
                    yield copy_of(record, k)


def scaled_count(per_file: Sequence[FileRecords], scale: int = 1) -> int:
    return scale * sum(1 for _, records in per_file for r in records if has_body(r))


def write_scaled(per_file: Sequence[FileRecords], scale: int, folder: Path) -> list[Path]:
    """Gzipped JSONL files of scaled(per_file, scale), one per corpus file and copy, in order.

    Copy 0 of corpus file NAME.jsonl.gz is folder/NAME.jsonl.gz, copy k is NAME-copyK.jsonl.gz;
    the archive stores a record's canonical JSON, so rewriting a line changes nothing it keeps."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for k in range(scale):
        for source, records in per_file:
            stem = source.name.removesuffix(SUFFIX)
            out = folder / (f"{stem}{SUFFIX}" if k == 0 else f"{stem}-copy{k}{SUFFIX}")
            with gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as f:
                for record in records:
                    if has_body(record):
                        f.write(json.dumps(copy_of(record, k), ensure_ascii=False) + "\n")
            paths.append(out)
    return paths


def base_records(per_file: Sequence[FileRecords]) -> list[dict]:
    """Copy 0 of every record with a body: what query sets are drawn from, at any scale (so
    the same queries run against 20k and 100k documents)."""
    return [r for _, records in per_file for r in records if has_body(r)]
