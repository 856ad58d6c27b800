"""The demo's certificates: the chair names the issuing body, uploads its
seal (drawn here: a red ring, a star and the body's name along the rim) and
issues a certificate to every entry of last year's official list.

Their PDFs (about half a second each) are built by the job worker: ``flask
demo load`` queues the build after its transaction (:func:`queue_builds`),
and ``make run`` starts a worker. With an in-process queue (the tests) no
build is queued, so loading the demo stays quick; the serials, the
verification pages and the chair's page work without the PDFs.
"""
import io
import math
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session, select

from app.certificates import services as certificates
from app.demo.history import History
from app.models import Call, Certificate, CertificateBuild, User
from app.pdf.fonts import installed_face

ISSUER = "广东省工业和信息化厅"


SEAL_RED = (200, 22, 29, 235)
SEAL_SIZE = 480


def draw_seal(text: str) -> bytes | None:
    """A round red seal as a transparent PNG: a double ring, a five-pointed
    star, ``text`` along the upper rim. None without the CJK font (then the
    certificates carry no seal)."""
    face = installed_face("Noto Sans CJK SC", 700)
    if face is None:
        return None
    image = Image.new("RGBA", (SEAL_SIZE, SEAL_SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre, radius = SEAL_SIZE / 2, SEAL_SIZE / 2 - 8
    draw.ellipse((8, 8, SEAL_SIZE - 8, SEAL_SIZE - 8), outline=SEAL_RED, width=14)
    star = [(centre + (64 if i % 2 == 0 else 26) * math.sin(math.pi * i / 5),
             centre - (64 if i % 2 == 0 else 26) * math.cos(math.pi * i / 5)) for i in range(10)]
    draw.polygon(star, fill=SEAL_RED)
    font = ImageFont.truetype(face[0], 52, index=face[1])
    # The name runs clockwise over the top, each character upright to the centre.
    span = math.radians(250)
    for number, char in enumerate(text):
        angle = -span / 2 + span * (number + 0.5) / len(text)
        glyph = Image.new("RGBA", (70, 70), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((35, 35), char, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.BICUBIC)
        x = centre + (radius - 62) * math.sin(angle) - 35
        y = centre - (radius - 62) * math.cos(angle) - 35
        image.alpha_composite(glyph, (round(x), round(y)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def issue_certificates(session: Session, *, call: Call, chair: User, now: datetime, history: History) -> int:
    """Set the issuing body and its seal, and issue the certificates of
    ``call``'s official list; returns how many."""
    history.now = now
    certificates.update_settings(session, call=call, actor=chair, issuer=ISSUER, seal=draw_seal(ISSUER))
    return len(certificates.issue(session, call=call, actor=chair, now=now))


def start_builds(session: Session, *, now: datetime) -> list[int]:
    """A queued build for every call whose certificates have never been
    built; returns the builds' ids, to enqueue once committed."""
    built = select(CertificateBuild.call_id)
    calls = session.exec(select(Call).where(Call.id.in_(select(Certificate.call_id)), Call.id.not_in(built))).all()
    return [certificates.start_build(session, call=call, actor=None, now=now).id for call in calls]


def queue_builds(build_ids: list[int]) -> None:
    """Hand committed builds to the job queue."""
    for build_id in build_ids:
        certificates.enqueue(build_id)
