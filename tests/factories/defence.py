"""Review rounds and shortlists as the defence schedule reads them: a defence
round of a call and the entries shortlisted for it (rows made directly)."""
from sqlmodel import select

from app.db import utcnow
from app.models import ReviewRound, ShortlistEntry
from app.models.rounds import DEFENCE, ONLINE
from tests.factories.base import BaseFactories


class DefenceFactories(BaseFactories):
    def defence_round(self, *, call, number: int = 2, name: str = "现场答辩", **fields) -> ReviewRound:
        """Round ``number`` of ``call``, a defence round (round 1, the online review, is made too)."""
        first = self.session.exec(select(ReviewRound).where(ReviewRound.call_id == call.id, ReviewRound.number == 1))
        if number > 1 and first.first() is None:
            self.save(ReviewRound(call_id=call.id, number=1, name="初评", kind=ONLINE, weight=40.0))
        return self.save(ReviewRound(call_id=call.id, number=number, name=name, kind=DEFENCE, weight=60.0, **fields))

    def shortlist(self, *, call, entries, round_no: int = 2, included: bool = True) -> list[ShortlistEntry]:
        """``entries`` on the shortlist of round ``round_no``, in this order (added by hand)."""
        now = utcnow()
        rows = [ShortlistEntry(call_id=call.id, round_no=round_no, entry_id=entry.id, reason="chair_added",
                               included=included, created_at=now, updated_at=now) for entry in entries]
        for row in rows:
            self.session.add(row)
        self.session.commit()
        return rows
