"""The demo's certificates: the chair names the issuing body and issues a
certificate to every entry of last year's official list.

Their PDFs (about half a second each) are built by the job worker: ``flask
demo load`` queues the build after its transaction (:func:`queue_builds`),
and ``make run`` starts a worker. With an in-process queue (the tests) no
build is queued, so loading the demo stays quick; the serials, the
verification pages and the chair's page work without the PDFs.
"""
from datetime import datetime

from sqlmodel import Session, select

from app.certificates import services as certificates
from app.demo.history import History
from app.models import Call, Certificate, CertificateBuild, User

ISSUER = "广东省工业和信息化厅"


def issue_certificates(session: Session, *, call: Call, chair: User, now: datetime, history: History) -> int:
    """Set the issuing body and issue the certificates of ``call``'s official list; returns how many."""
    history.now = now
    certificates.update_settings(session, call=call, actor=chair, issuer=ISSUER)
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
