"""The advanced-search form: plain boxes ("all of these words", "this exact phrase", …) turned
into the query language of archive.query_syntax, so the result is an ordinary search URL that a
reader can read, edit and share.

Whatever a reader types in a box is taken as words, never as syntax: quotes, brackets, a
leading minus and OR/AND/NOT lose their meaning, so no box can produce a syntax error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from urllib.parse import urlencode

from archive.errors import BadRequest
from archive.web.params import PARAM_OF_FACET, parse_search_params

# field the reader picks -> the query language's field name
IN_FIELDS = {"": "", "title": "title", "body": "body", "author": "author", "tag": "tag"}
FIELD_LABELS = {
    "": "anywhere in the article",
    "title": "the title",
    "body": "the text",
    "author": "the author's name",
    "tag": "the tags",
}
DEFAULT_NEAR = 5
MAX_NEAR = 50
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class AdvancedForm:
    all: str = ""  # all of these words
    phrase: str = ""  # this exact phrase
    any: str = ""  # any of these words
    none: str = ""  # none of these words
    near: str = ""  # these words near each other…
    within: str = ""  # …within this many words
    field: str = ""  # only in: title, body, author, tag ("" anywhere)
    language: str = ""
    date_from: str = ""
    date_to: str = ""

    def is_empty(self) -> bool:
        return not any((self.all, self.phrase, self.any, self.none, self.near, self.language))


def form_of(params: Mapping[str, Sequence[str]]) -> AdvancedForm:
    """The form's fields from URL parameters (the dates named from/to, as in a search)."""
    param = {"date_from": "from", "date_to": "to"}
    values = {}
    for f in fields(AdvancedForm):
        given = [v.strip() for v in params.get(param.get(f.name, f.name), ()) if v.strip()]
        values[f.name] = given[-1] if given else ""
    return AdvancedForm(**values)


def _terms(text: str) -> list[str]:
    """Each whitespace-separated token as a word, or a phrase when punctuation splits it
    (e-mail, Kyiv's), as the query parser would read it; syntax characters are dropped."""
    out = []
    for token in text.split():
        words = [w.lower() if w in ("OR", "AND", "NOT") else w for w in _WORD.findall(token)]
        if len(words) == 1:
            out.append(words[0])
        elif words:
            out.append('"' + " ".join(words) + '"')
    return out


def advanced_query(form: AdvancedForm) -> str:
    """The query text the form describes."""
    prefix = f"{IN_FIELDS[form.field]}:" if IN_FIELDS.get(form.field) else ""
    parts = [prefix + t for t in _terms(form.all)]
    phrase = _WORD.findall(form.phrase)
    if phrase:
        parts.append(prefix + '"' + " ".join(phrase) + '"')
    any_of = _terms(form.any)
    if len(any_of) == 1:
        parts.append(prefix + any_of[0])
    elif any_of:
        parts.append(prefix + "(" + " OR ".join(any_of) + ")")
    near = _WORD.findall(form.near)
    if len(near) == 1:
        parts.append(prefix + near[0])
    elif near:
        parts.append(prefix + '"' + " ".join(near) + f'"~{_distance(form.within)}')
    parts.extend("-" + prefix + t for t in _terms(form.none))
    return " ".join(parts)


def _distance(text: str) -> int:
    if not text:
        return DEFAULT_NEAR
    if not text.isdigit() or not 1 <= int(text) <= MAX_NEAR:
        raise BadRequest(f"“Within” takes a number of words from 1 to {MAX_NEAR}, not {text!r}.")
    return int(text)


def advanced_url(form: AdvancedForm) -> str:
    """The search page URL for the form; checked by the search's own parser."""
    if form.field not in IN_FIELDS:
        raise BadRequest(f"“In” must be one of {', '.join(f for f in IN_FIELDS if f)}.")
    text = advanced_query(form)
    pairs = [("q", text)] if text else []
    if form.language:
        pairs.append((PARAM_OF_FACET["language"], form.language.lower()))
    if form.date_from:
        pairs.append(("from", form.date_from))
    if form.date_to:
        pairs.append(("to", form.date_to))
    parse_search_params({k: [v] for k, v in pairs})  # bad dates: BadRequest, as in a search
    return "/search" + (f"?{urlencode(pairs)}" if pairs else "")
