"""A document's language where our own detector (metadata.detect_language: script, letters and
the stop words of 8 languages) is unsure: py3langid, which ships its model (97 languages).

Measured on the corpus (bench/languages.py, docs/ingest-libraries.md): on whole articles ours
and py3langid are equally right (99.9%) and ours is faster, so ours decides; on short texts
(200 characters) ours abstains on 12 in 979 and py3langid is right on all of those, and a
Polish or Belarusian text gets no language from ours at all. So py3langid speaks only where
ours is silent, reading the first 2,000 characters, and only when it is confident.
"""

from __future__ import annotations

import threading
from typing import Any

SAMPLE_CHARS = 2_000
# py3langid's normalised probability; below it a guess ("sr" for "ok") is no answer
MIN_CONFIDENCE = 0.9
# what py3langid says for text in no language (digits, symbols)
NO_LANGUAGE = "zxx"


_loading = threading.Lock()
_model: Any = None


def model() -> Any:
    """The model, loaded once, on first use or by preload (about 0.6 s: not at import). Under a
    lock: a server's first uploads come together, and each thread loaded a copy of its own (20
    uploads at once waited 10 s for theirs)."""
    global _model
    if _model is None:
        with _loading:
            if _model is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _model


def identify(text: str) -> str:
    """ISO 639-1 code by py3langid when it is confident, else ""."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < 10:
        return ""
    code, probability = model().classify(sample)
    if code == NO_LANGUAGE or probability < MIN_CONFIDENCE or len(code) != 2:
        return ""
    return str(code)
