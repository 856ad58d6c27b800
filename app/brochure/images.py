"""Photos and QR codes for the brochure, prepared at the size they are printed.

WeasyPrint embeds images as it finds them: a 3200-pixel master printed 6 cm
wide would make the PDF huge and slow to write. :func:`print_image` crops
the stored master to the frame's aspect around its centre and resizes it to
exactly the pixels the frame needs at the profile's resolution, once: the
JPEG is cached under ``BROCHURE_CACHE_FOLDER/images`` by a hash of what it is
made from, so a rebuild finds it at once. :func:`qr_image` makes the QR code of a
scenario's public page, cached the same way.
"""
import hashlib
import io
import math
import warnings
from pathlib import Path

import segno
from flask import current_app
from PIL import Image, ImageOps
from werkzeug.urls import iri_to_uri

from app.brochure.files import atomic_write
from app.storage import storage

#: Bump when the way images are prepared changes, so old cached files are not reused.
RENDITION_VERSION = 1
#: Bump when the QR code images change.
QR_VERSION = 1
#: JPEG quality for the screen profile, and from PRINT_DPI on.
SCREEN_QUALITY = 65
PRINT_QUALITY = 90
PRINT_DPI = 300
MM_PER_INCH = 25.4
ORIENTATION = 0x0112  # the EXIF tag
#: A JPEG is decoded at a reduced size no smaller than this many times the frame.
DRAFT_MARGIN = 1.5


class MissingImage(LookupError):
    """The blob is not stored or cannot be read as an image: draw a placeholder."""

    def __init__(self, key: str | None, reason: str):
        super().__init__(f"image {key!r} cannot be used: {reason}")
        self.key = key
        self.reason = reason


def image_cache_dir() -> Path:
    """The folder of the prepared images (``BROCHURE_CACHE_FOLDER/images``), created."""
    folder = Path(current_app.config["BROCHURE_CACHE_FOLDER"]) / "images"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pixels(mm: float, dpi: int) -> int:
    """How many pixels ``mm`` millimetres take at ``dpi``."""
    return max(1, round(mm / MM_PER_INCH * dpi))


def print_image(key: str, *, width_mm: float, height_mm: float, dpi: int) -> Path:
    """A JPEG of the stored image ``key`` for a frame of ``width_mm`` × ``height_mm``.

    The EXIF orientation is applied, the image is cropped around its centre
    to the frame's aspect and resized (Lanczos) to exactly
    ``round(mm / 25.4 * dpi)`` pixels each way — unless the source is smaller
    than that: an image is never enlarged (the printer would only get a
    bigger file, not more detail), so it keeps the source's resolution at the
    frame's aspect. The result is an RGB JPEG without metadata: progressive,
    quality 85 for the screen; from 300 dpi on (print) quality 90 and
    baseline, which every print RIP reads (some reject progressive JPEGs in
    a PDF). It is written atomically and cached by a hash of (key, size, dpi,
    version): a second call returns the same file at once.

    Raises :class:`MissingImage` when the blob is missing or not a readable image.
    """
    if width_mm <= 0 or height_mm <= 0 or dpi <= 0:
        raise ValueError(f"bad frame {width_mm} × {height_mm} mm at {dpi} dpi")
    quality = PRINT_QUALITY if dpi >= PRINT_DPI else SCREEN_QUALITY
    recipe = f"{RENDITION_VERSION}|{key}|{float(width_mm)!r}|{float(height_mm)!r}|{int(dpi)}|{quality}"
    target = image_cache_dir() / f"{hashlib.sha256(recipe.encode()).hexdigest()}.jpg"
    if target.exists():
        return target

    width, height = pixels(width_mm, dpi), pixels(height_mm, dpi)
    image = _fitted(_load(key, width, height), width, height)
    image.info = {}  # Pillow would write a JPEG comment it carried over again
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True, progressive=dpi < PRINT_DPI)
    atomic_write(target, out.getvalue())
    return target


def _load(key: str, width: int, height: int) -> Image.Image:
    """The stored image, decoded and upright, for a ``width`` × ``height`` frame.

    A JPEG much larger than the frame is decoded at a half, quarter or eighth
    of its size (``draft``: the decoder scales while it decodes, two to four
    times faster on a 12-megapixel photo), still with at least
    :data:`DRAFT_MARGIN` times the pixels the frame needs, so that Lanczos
    makes the final reduction.
    """
    if not key:
        raise MissingImage(key, "no image")
    try:
        with storage().open(key) as blob:
            data = blob.read()
        with warnings.catch_warnings():
            # Stored images were checked when uploaded; a huge one is only slow.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if not _complete(data, image.format):
                raise MissingImage(key, "the file is truncated")
            if image.format == "JPEG":
                _draft(image, width, height)
            image.load()
    except FileNotFoundError:
        raise MissingImage(key, "not stored") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        # An invalid key (ValueError), an unknown format or a damaged file.
        raise MissingImage(key, str(error) or type(error).__name__) from None
    return ImageOps.exif_transpose(image)


def _complete(data: bytes, format: str | None) -> bool:
    """Whether a JPEG or PNG file is whole.

    WeasyPrint lets Pillow decode truncated files (it sets
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` for the whole process), which would
    print the missing part grey: check the end markers instead. A JPEG's end
    of image comes after its last scan (0xFF never occurs unescaped inside
    scan data); a PNG ends with its IEND chunk.
    """
    if format == "JPEG":
        return data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") >= 0
    if format == "PNG":
        return data.rfind(b"IEND") > data.rfind(b"IDAT") >= 0
    return True


def _draft(image: Image.Image, width: int, height: int) -> None:
    """Ask the JPEG decoder for the smallest size that still gives the frame
    DRAFT_MARGIN times its pixels after the centre crop."""
    source_width, source_height = image.size
    sideways = image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8)  # stored on its side
    if sideways:
        source_width, source_height = source_height, source_width
    aspect = width / height
    crop_width = min(source_width, source_height * aspect)
    crop_height = min(source_height, source_width / aspect)
    scale = DRAFT_MARGIN * max(width / crop_width, height / crop_height)
    if scale < 1:
        size = (math.ceil(source_width * scale), math.ceil(source_height * scale))
        image.draft("RGB", size[::-1] if sideways else size)


def _fitted(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` cropped around its centre to ``width``:``height`` and scaled
    down to ``width`` × ``height`` (never up)."""
    source_width, source_height = image.size
    aspect = width / height
    if source_width / source_height > aspect:  # wider than the frame: trim the sides
        crop_width, crop_height = max(1, round(source_height * aspect)), source_height
    else:  # taller: trim top and bottom
        crop_width, crop_height = source_width, max(1, round(source_width / aspect))
    left = (source_width - crop_width) // 2
    top = (source_height - crop_height) // 2
    box = (left, top, left + crop_width, top + crop_height)
    if crop_width <= width:  # not larger than the frame: keep its own pixels
        return _rgb(image.crop(box) if box != (0, 0, *image.size) else image)
    # reducing_gap: a fast box reduction first, Lanczos for the last step.
    return _rgb(image).resize((width, height), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def _rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG, transparency flattened onto white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def qr_code(url: str) -> segno.QRCode:
    """The QR code of ``url``: error correction M (survives a scuff on paper).

    A URL with characters outside ASCII (a Chinese path or query, an
    internationalised domain) is encoded as the URI a browser would request —
    percent-encoded UTF-8, the host in IDNA — which every reader opens
    correctly; an ASCII URL is encoded exactly as given.
    """
    return segno.make(iri_to_uri(url), error="m", micro=False, boost_error=False)


def qr_image(url: str) -> Path:
    """The QR code of ``url`` as a PNG of one pixel per module (4-module white
    quiet zone included), cached under ``BROCHURE_CACHE_FOLDER/images``.

    A bitmap, not SVG: WeasyPrint draws an inline SVG QR code as hundreds of
    path segments, parsed and painted per page (a seventh of a chapter's
    render time); a 1-bit PNG of ≈ 300 bytes is one image. Printed with
    ``image-rendering: pixelated`` its modules stay sharp at any size (the
    PDF asks viewers and printers not to smooth it).
    """
    target = image_cache_dir() / f"qr-{hashlib.sha256(f'{QR_VERSION}|{url}'.encode()).hexdigest()}.png"
    if not target.exists():
        out = io.BytesIO()
        qr_code(url).save(out, kind="png", scale=1, border=4, dark="#000", light="#fff")
        atomic_write(target, out.getvalue())
    return target
