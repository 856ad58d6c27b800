"""Demo data records the past: its audit rows are dated when things happened."""
from datetime import datetime
from typing import Self

from sqlalchemy import event
from sqlmodel import Session

from app.models import AuditEvent


class History:
    """While active, the audit rows added to ``session`` are dated ``now``
    (once set) instead of the moment the demo is loaded.

    ``with History(session) as history: history.now = when; transition(…)``
    """

    def __init__(self, session: Session):
        self.session = session
        self.now: datetime | None = None

    def _stamp(self, _session, instance) -> None:
        if self.now is not None and isinstance(instance, AuditEvent):
            instance.occurred_at = self.now

    def __enter__(self) -> Self:
        event.listen(self.session, "transient_to_pending", self._stamp)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.session, "transient_to_pending", self._stamp)
