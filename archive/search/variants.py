"""Names written several ways: the archivist's variants file and a cross-script name key.

`name_key` reduces a word in Latin or Cyrillic script to a rough phonetic key, so that Бахмут and
Bakhmut, Зеленського and Zelenskyy, Донецьк and Donetsk share one. It is deliberately coarse
(h/g, y/i/j, doubled letters and common case endings are merged): it only ever bridges scripts
at a low weight, and a line of the variants file does the rest (Kyiv | Kiev | Київ | Киев).

The variants file: one name per line, spellings separated by " | ", the first one canonical;
"#" starts a comment. Query words expand to the other spellings of their line at query time, and
the names facet shows the canonical spelling (index time, so the index records the file's hash).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from archive.search.analysis import fold

DEFAULT_PATH = Path(__file__).resolve().parent / "variants.txt"
# A key this short is too ambiguous to bridge scripts (or to expand a lowercase query word).
MIN_KEY = 3
MIN_QUERY_KEY = 4

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "z",
    "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "c", "ш": "s", "щ": "s", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
# Latin romanisations of the same sounds, longest first (Prigozhin, Kharkiv, Donetsk, Shchors).
_LATIN = (("shch", "s"), ("kh", "h"), ("zh", "z"), ("sh", "s"), ("ch", "c"), ("ts", "c"),
          ("tz", "c"), ("x", "ks"), ("w", "v"), ("y", "i"), ("j", "i"), ("q", "k"))  # fmt: skip
_LATIN_RE = re.compile("|".join(src for src, _ in _LATIN))
_LATIN_MAP = dict(_LATIN)
# Case endings of ru/uk names after transliteration (Путина, Зеленського, Києві, Бахмуте).
_ENDINGS = tuple(
    sorted(
        "ogo ego omu emu ami iami ovi evi ag iag om em oi ei im ia iu ui a e i o u".split(),
        key=len,
        reverse=True,
    )
)
_DOUBLE_RE = re.compile(r"(.)\1+")
CYRILLIC_RE = re.compile(r"[а-яёіїєґ]")  # what script() calls Cyrillic, after folding
_SPLIT_RE = re.compile(r"[^\W_]+")


def script(word: str) -> str | None:
    """ "c" for a Cyrillic word, "l" for a Latin one (after folding), None otherwise."""
    folded = fold(word)
    if CYRILLIC_RE.search(folded):
        return "c"
    return "l" if folded.isascii() and folded.isalpha() else None


@cache
def name_key(word: str) -> str:
    """The script-free key of a name word; "" when it has none (too short, other scripts)."""
    folded = fold(word).replace("'", "").replace("ʼ", "")
    kind = script(folded)
    if kind == "c":
        latin = "".join(_CYRILLIC.get(ch, ch) for ch in folded)
    elif kind == "l":
        latin = _LATIN_RE.sub(lambda m: _LATIN_MAP[m.group()], folded)
        if latin.startswith("ie"):  # Yevgeny, Yelena: Евгений
            latin = latin[1:]
    else:
        return ""
    if not latin.isascii():
        return ""
    latin = _DOUBLE_RE.sub(r"\1", latin.replace("h", "g"))
    for ending in _ENDINGS:
        if latin.endswith(ending) and len(latin) - len(ending) >= MIN_KEY:
            latin = latin[: -len(ending)]
            break
    return latin if len(latin) >= MIN_KEY else ""


@lru_cache(maxsize=25_000)  # a corpus repeats its names; this runs for each capitalised word
def alias_term(word: str) -> str | None:
    """The index term that lets a word be found from the other script: "c:key" or "l:key"."""
    kind = script(word)
    key = name_key(word) if kind else ""
    return f"{kind}:{key}" if key else None


def cross_script_term(word: str) -> str | None:
    """The alias term a query word looks up: the same key, written in the other script."""
    kind = script(word)
    key = name_key(word) if kind else ""
    if len(key) < MIN_QUERY_KEY:
        return None
    return f"{'l' if kind == 'c' else 'c'}:{key}"


def phrase_key(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name_key(w) or fold(w) for w in words)


@dataclass
class Variants:
    """The spellings of each name, looked up by the keys of their words."""

    lines: list[tuple[str, ...]] = field(default_factory=list)
    digest: str = "none"
    by_key: dict[tuple[str, ...], int] = field(default_factory=dict)
    longest: int = 1  # words in the longest spelling
    starts: set[str] = field(default_factory=set)  # keys of first words: a quick "no"
    # What other modules derive from this file and keep while it is in use (archive.search.names
    # keeps its analysis of runs of capitalised words here): neither compared nor pickled, so a
    # helper process that receives the Variants builds its own.
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "memo": {}}

    @classmethod
    def parse(cls, text: str) -> Variants:
        out = cls(digest=hashlib.sha256(text.encode()).hexdigest()[:16])
        for raw in text.splitlines():
            line = raw.partition("#")[0] if raw.lstrip().startswith("#") else raw
            names = tuple(dict.fromkeys(n.strip() for n in line.split("|") if n.strip()))
            if len(names) < 2:
                continue
            out.lines.append(names)
            for name in names:
                words = tuple(_SPLIT_RE.findall(name))
                key = phrase_key(words)
                if words and all(key) and key not in out.by_key:
                    out.by_key[key] = len(out.lines) - 1
                    out.longest = max(out.longest, len(words))
                    out.starts.add(key[0])
        return out

    def line_of(self, words: tuple[str, ...]) -> int | None:
        """The line spelling these words; a key under MIN_KEY letters (UN, EU) must be typed
        in capitals, so that the article "un" does not turn into the United Nations."""
        key = phrase_key(words)
        if len(key) == 1 and len(key[0]) < MIN_KEY and not words[0].isupper():
            return None
        return self.by_key.get(key)

    def canonical(self, words: tuple[str, ...]) -> str | None:
        line = self.line_of(words)
        return None if line is None else self.lines[line][0]

    def alternatives(self, words: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The other spellings of the name these words spell, each as its words."""
        line = self.line_of(words)
        if line is None:
            return []
        own = tuple(fold(w) for w in words)
        alts = (tuple(_SPLIT_RE.findall(n)) for n in self.lines[line])
        return [a for a in alts if tuple(fold(w) for w in a) != own]


def load(path: Path | None = None) -> Variants:
    """The variants file at path (the bundled one by default); a missing file has no variants."""
    path = path or DEFAULT_PATH
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Variants()
    return _load(path, stat.st_mtime_ns, stat.st_size)


@cache
def _load(path: Path, mtime: int, size: int) -> Variants:  # mtime/size: re-read when edited
    return Variants.parse(path.read_text(encoding="utf-8"))
