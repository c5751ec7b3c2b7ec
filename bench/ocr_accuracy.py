"""OCR character accuracy on pages rendered from known text, at 150 and 300 dpi, in our
languages: through the archive's own path (archive.ingest.extract: detection, the sandbox, a
PNG upload and the same page as a scanned PDF, the language told or detected), and through the
two wrappers around Tesseract the issue names; then Tesseract's memory a page.

    apt-get install tesseract-ocr tesseract-ocr-{eng,ukr,rus,spa,deu,fra}
    .venv/bin/pip install [ocrmypdf]      # measured, not a dependency (pytesseract, Pillow are)
    .venv/bin/python bench/ocr_accuracy.py [--archive-only | --memory]

Each page is the first paragraphs of a corpus record (en, es, uk, ru) or of a text written for
the measurement (de, fr), drawn in DejaVu Serif 11 pt on a white A4-wide page, as a clean
scan would be; accuracy is 1 - (character edit distance / characters of the known text), both
with runs of white space made one space. Tesseract is told the page's language.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from corpus import DEFAULT_CORPUS

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
CHARS = 1_200  # about a third of a page: enough text, a short run
TESSERACT = {"en": "eng", "es": "spa", "uk": "ukr", "ru": "rus", "de": "deu", "fr": "fra"}
WRITTEN = {
    "de": "Die Regierung hat am Dienstag neue Regeln für die öffentlichen Medien vorgestellt. "
    "Kritiker befürchten, dass die Änderungen die Unabhängigkeit der Redaktionen schwächen, "
    "während der Sprecher des Ministeriums von einer längst überfälligen Reform sprach. "
    "Über die Vorlage soll das Parlament im Frühjahr abstimmen.",
    "fr": "Le gouvernement a présenté mardi de nouvelles règles pour les médias publics. Les "
    "critiques craignent que ces changements n'affaiblissent l'indépendance des rédactions, "
    "tandis que le porte-parole du ministère a évoqué une réforme attendue depuis longtemps. "
    "Le Parlement doit se prononcer au printemps.",
}


def known_texts() -> dict[str, str]:
    """A paragraph-rich text a language: corpus records first, then the written ones."""
    wanted = {"en": "crs_reports_en", "es": "amlo_mananeras_es", "uk": "resistinua_uk_en",
              "ru": "zvezdaaltaya_ru"}  # fmt: skip
    texts: dict[str, str] = {}
    for lang, stem in wanted.items():
        with gzip.open(DEFAULT_CORPUS / f"{stem}.jsonl.gz", "rt", encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if record.get("language") == lang and len(record.get("body", "")) > CHARS:
                    texts[lang] = " ".join(record["body"].split())[:CHARS]
                    break
    texts.update(WRITTEN)
    return texts


def render(text: str, dpi: int):  # noqa: ANN201 - a PIL image
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi / 72
    font = ImageFont.truetype(FONT, round(11 * scale))
    lines = textwrap.wrap(text, 80)
    width, line_height = round(8.27 * dpi), round(15 * scale)
    image = Image.new("L", (width, round(72 * scale) * 2 + line_height * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((round(72 * scale), round(72 * scale) + i * line_height), line, font=font)
    return image


def distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def accuracy(known: str, read: str) -> float:
    known, read = " ".join(known.split()), " ".join(read.split())
    return max(0.0, 1 - distance(known, read) / len(known))


def by_pytesseract(image, lang: str, dpi: int) -> str:  # noqa: ANN001
    import pytesseract

    return pytesseract.image_to_string(image, lang=lang, config=f"--dpi {dpi}")


def by_ocrmypdf(image, lang: str, dpi: int) -> str:  # noqa: ANN001
    """ocrmypdf works on PDFs: the image as a one-page PDF in, a PDF with a text layer out, the
    text read back with pypdf (as the archive reads PDFs)."""
    import ocrmypdf
    from pypdf import PdfReader

    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.pdf", Path(folder) / "out.pdf"
        image.save(source, resolution=dpi)
        ocrmypdf.ocr(source, target, language=[lang], progress_bar=False, output_type="pdf")
        return "\n".join(page.extract_text() or "" for page in PdfReader(target).pages)


def _archive(image, lang: str, dpi: int, fmt: str, told: bool) -> str:  # noqa: ANN001
    """The archive's own path: the bytes an archivist uploads, extract() as ingest calls it."""
    import io

    from archive.ingest.extract import extract
    from archive.ingest.extract.ocr import TESSERACT_LANGUAGES, OcrOptions

    out = io.BytesIO()
    if fmt == "PDF":  # as a scanner without OCR writes it: the page an image (JPEG) in a PDF
        image.convert("RGB").save(out, "PDF", resolution=dpi)
    else:
        image.save(out, fmt, dpi=(dpi, dpi))
    iso = {v: k for k, v in TESSERACT_LANGUAGES.items()}[lang] if told else ""
    options = OcrOptions(tesseract=shutil.which("tesseract") or "", language=iso)
    return extract(out.getvalue(), f"page.{fmt.lower()}", ocr=options).text


def by_archive_png(image, lang: str, dpi: int) -> str:  # noqa: ANN001
    return _archive(image, lang, dpi, "PNG", told=True)


def by_archive_pdf(image, lang: str, dpi: int) -> str:  # noqa: ANN001
    return _archive(image, lang, dpi, "PDF", told=True)


def by_archive_detected(image, lang: str, dpi: int) -> str:  # noqa: ANN001
    return _archive(image, lang, dpi, "PNG", told=False)


def memory(text: str) -> None:
    """Tesseract's peak resident memory on a full 300 dpi A4 page of text (about 4,000
    characters), and the least address space (RLIMIT_AS, what the sandbox limits) it reads the
    page in, with one language and with all six."""
    import os
    import resource

    full = textwrap.shorten((text + " ") * 4, 4_000)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.png"
        render(full, 300).save(page, dpi=(300, 300))
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # as the archive runs it (config.py)
        for lang in ("eng", "eng+ukr+rus+spa+deu+fra"):
            command = ["tesseract", str(page), "-", "-l", lang, "--dpi", "300"]
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=env)  # fmt: skip
            _, _, usage = os.wait4(proc.pid, 0)  # this child's own peak, not all children's
            least = None
            for mib in range(96, 1025, 16):
                limit = mib * 1024 * 1024
                done = subprocess.run(
                    command, capture_output=True, env=env,
                    preexec_fn=lambda n=limit: resource.setrlimit(resource.RLIMIT_AS, (n, n)),
                )  # fmt: skip
                if done.returncode == 0 and done.stdout.strip():
                    least = mib
                    break
            peak = usage.ru_maxrss / 1024
            print(f"tesseract -l {lang}, a full 300 dpi page: peak RSS {peak:.0f} MiB,"
                  f" runs in {least} MiB of address space")  # fmt: skip


def main() -> None:
    if shutil.which("tesseract") is None:
        sys.exit("tesseract is not installed")
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    print(version.stdout.splitlines()[0])
    if "--memory" in sys.argv:
        memory(WRITTEN["de"])
        return
    readers = {
        "archive png": by_archive_png,
        "archive pdf": by_archive_pdf,
        "archive detect": by_archive_detected,
    }
    if "--archive-only" not in sys.argv:
        readers["pytesseract"] = by_pytesseract
        try:
            import ocrmypdf  # noqa: F401

            readers["ocrmypdf"] = by_ocrmypdf
        except ImportError:
            print("ocrmypdf is not installed: left out", file=sys.stderr)
    texts = known_texts()
    print(f"{'reader':14} {'dpi':>4} " + " ".join(f"{lang:>7}" for lang in texts) + "  s/page")
    for name, read in readers.items():
        for dpi in (150, 300):
            scores, seconds = [], 0.0
            for lang, text in texts.items():
                image = render(text, dpi)
                start = time.perf_counter()
                scores.append(accuracy(text, read(image, TESSERACT[lang], dpi)))
                seconds += time.perf_counter() - start
            cells = " ".join(f"{s:7.2%}" for s in scores)
            print(f"{name:14} {dpi:4} {cells}  {seconds / len(texts):6.2f}")
    memory(texts["de"])


if __name__ == "__main__":
    main()
