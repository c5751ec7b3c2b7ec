"""Images (PNG, JPEG, TIFF with its pages): decoded by Pillow, read by OCR (ocr.py).

Runs inside the sandbox only: a hostile image may declare a huge size (refused before it is
decoded, ocr.MAX_PIXELS) or be cut short (Pillow refuses to decode a truncated file). Where
Tesseract is absent the image is still decoded, so that a damaged one is refused now rather
than when `archive ocr` comes to it.
"""

from __future__ import annotations

import io
from typing import Any

from archive.errors import InvalidUpload
from archive.ingest.extract.detect import IMAGES
from archive.ingest.extract.ocr import OcrOptions, PageReader, check_size
from archive.models import Block, Extracted

# Pillow's format name -> ours (the catalog's format and the original's extension)
FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "TIFF": "tiff"}
LABELS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF"}


def extract(data: bytes, ocr: dict[str, Any] | None = None) -> Extracted:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    options = OcrOptions(**(ocr or {}))
    Image.MAX_IMAGE_PIXELS = None  # checked below, with a message that says what is wrong
    # what its magic bytes said it is (detect.IMAGES), until Pillow says
    what = next((f"{LABELS[k]} image" for m, k in IMAGES if data.startswith(m)), "image")
    try:
        image = Image.open(io.BytesIO(data))
        fmt = FORMATS.get(image.format or "")
        if fmt is None:
            raise InvalidUpload(f"a {image.format} image; accepted images are PNG, JPEG and TIFF")
        what = f"{LABELS[fmt]} image"
        reader = PageReader(options)
        blocks: list[Block] = []
        pages = 0
        for frame in ImageSequence.Iterator(image):
            pages += 1
            label = f"the {what}" if pages == 1 else f"page {pages} of the {what}"
            check_size(*frame.size, what=label)
            frame.load()  # decodes it: a truncated or corrupt file fails here
            if reader.wanted(pages):
                blocks += reader.read(pages, [(frame, _dpi(frame))])
    except UnidentifiedImageError:
        raise InvalidUpload(
            f"a damaged or unreadable {what} (its header is an image's, the rest is not)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidUpload(f"a damaged or unreadable {what} ({_reason(exc)})") from None
    record = reader.record()
    if not blocks and record is not None and not record.needed:
        raise reader.nothing_read(f"this {what}")
    # a TIFF has pages, as a PDF does; a PNG or JPEG is one picture
    return Extracted(fmt, tuple(blocks), pages=pages if fmt == "tiff" else None, ocr=record)


def _dpi(image: Any) -> float | None:
    dpi = image.info.get("dpi")
    try:
        return float(dpi[0]) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "truncated" in text:
        return "the file is truncated"
    return text[:200]
