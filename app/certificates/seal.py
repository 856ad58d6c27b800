"""The seal image printed over a certificate's issuing body: checked and
re-encoded like entry photos (:mod:`app.entries.images`), so nothing of the
uploaded file survives but its pixels. Transparency is kept: a seal with
transparent pixels becomes a PNG, any other a JPEG."""
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from app.entries.images import strict_decoding
from app.errors import DomainError
from app.i18n import lazy_gettext as _l

ACCEPTED_FORMATS = {"JPEG", "PNG"}
#: The longest side of the stored seal (it prints at about 4 cm).
MAX_SIDE = 800
MAX_PIXELS = 25_000_000


def process_seal(data: bytes) -> tuple[bytes, str]:
    """The seal re-encoded, with its blob suffix (".png" or ".jpg"); a
    DomainError with a message for the chair when the file is not a sound
    PNG or JPEG image of at most MAX_PIXELS pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise DomainError(_l("The seal must be a PNG or JPEG image."))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DomainError(_l("The seal image is too large (%(width)s × %(height)s pixels).",
                                     width=width, height=height))
            with strict_decoding():
                image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise DomainError(_l("The seal must be a PNG or JPEG image; this file is damaged or of another kind.")) from None
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if _has_transparency(image):
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        return out.getvalue(), ".png"
    image.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue(), ".jpg"


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        alpha = image.convert("RGBA").getchannel("A")
        return alpha.getextrema()[0] < 255
    return image.mode in ("RGBa", "La") or "transparency" in image.info
