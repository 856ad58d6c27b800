"""Checking and re-encoding uploaded photos.

Nothing of the uploaded file survives but its pixels: the real format is
read from the content (the name and declared type are ignored), oversized and
decompression-bomb images are refused before they are decoded, the EXIF
orientation is applied and every metadata block (GPS!) is dropped by
re-encoding to JPEG in three sizes.

A damaged file (truncated, corrupt) is refused whatever Pillow's
process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES`` says: WeasyPrint turns it on
when imported, and Pillow would then decode a cut-off JPEG with a grey lower
half instead of failing. The check decodes under :func:`strict_decoding`.
"""
import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from app.errors import DomainError
from app.i18n import lazy_gettext as _l

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
SIZES = {"master": 3200, "display": 1600, "thumb": 400}
JPEG_QUALITY = {"master": 88, "display": 85, "thumb": 80}


@dataclass(frozen=True)
class ProcessedImage:
    width: int  # of the master rendition
    height: int
    renditions: dict[str, bytes]  # size name → JPEG bytes


_STRICT = threading.Lock()


@contextmanager
def strict_decoding() -> Iterator[None]:
    """Decode with ``ImageFile.LOAD_TRUNCATED_IMAGES`` off, then put it back.

    The flag is Pillow's only switch and it is global: the lock keeps two
    uploads from restoring each other's value. Meanwhile another thread's PDF
    still decodes its images (ours, re-encoded, never truncated) as usual.
    """
    with _STRICT:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def process_photo(data: bytes, *, max_pixels: int) -> ProcessedImage:
    """Validate an uploaded photo and return its re-encoded renditions.

    Raises DomainError with a message for the applicant when the file is not
    a JPEG, PNG or WebP image, is damaged, or has more than ``max_pixels``.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; we check the size ourselves.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise DomainError(_l("This file is not a JPEG, PNG or WebP image."))
            width, height = image.size
            if width * height > max_pixels:
                raise DomainError(
                    _l(
                        "The image is %(width)s × %(height)s pixels; the limit is %(megapixels)s megapixels. Please reduce it.",
                        width=width,
                        height=height,
                        megapixels=max_pixels // 1_000_000,
                    )
                )
            with strict_decoding():
                image.load()
            image = ImageOps.exif_transpose(image)
    except DomainError:
        raise
    except Image.DecompressionBombError:
        raise DomainError(
            _l("The image has more than %(megapixels)s megapixels. Please reduce it.", megapixels=max_pixels // 1_000_000)
        ) from None
    except UnidentifiedImageError:
        raise DomainError(_l("This file is not a JPEG, PNG or WebP image.")) from None
    except (OSError, SyntaxError, ValueError):
        # Truncated or corrupt data fails while decoding.
        raise DomainError(_l("The image file is damaged or incomplete. Please export it again and upload the new file.")) from None

    image = _to_rgb(image)
    # Pillow carries some metadata (a JPEG comment, for one) in `info` and
    # writes it again on save: start from pixels only.
    image.info = {}
    renditions, sizes = {}, {}
    # Each size is made from the one before (largest first): resampling a
    # 3200 px master is cheaper than resampling the full upload again.
    source = image
    for name, longest in SIZES.items():
        copy = source.copy()
        copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        # No exif=, no icc_profile=: the new file carries no metadata at all.
        # Only the display size is progressive (it is the one shown on slow links).
        copy.save(out, format="JPEG", quality=JPEG_QUALITY[name], optimize=True, progressive=name == "display")
        renditions[name] = out.getvalue()
        sizes[name] = copy.size
        source = copy
    width, height = sizes["master"]
    return ProcessedImage(width=width, height=height, renditions=renditions)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white and convert to RGB for JPEG."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def crop_to(data: bytes, *, width: int, height: int, quality: int = 85) -> bytes:
    """A JPEG of exactly ``width`` × ``height``, cropped around the centre
    (for printing a photo at its printed size)."""
    image = Image.open(io.BytesIO(data))
    fitted = ImageOps.fit(image.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    fitted.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
