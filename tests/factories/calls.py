"""Calls, with their phase windows and quotas."""
from datetime import timedelta

from app.db import utcnow
from app.enums import Domain, Phase
from app.models import Call, CallPhase, CallQuota
from tests.factories.base import BaseFactories, sequence


class CallFactories(BaseFactories):
    def call(self, *, now=None, open_phase: Phase = Phase.SUBMISSION, **fields) -> Call:
        """A call whose ``open_phase`` is running now; the others run before and after it."""
        now = now or utcnow()
        phases = list(Phase)
        index = phases.index(open_phase)
        windows = []
        for position, phase in enumerate(phases):
            offset = (position - index) * 10
            starts = now + timedelta(days=offset - 5)
            windows.append(CallPhase(phase=phase, starts_at=starts, ends_at=starts + timedelta(days=9)))
        n = next(sequence)
        values = {"name": f"测试批次{n}", "year": now.year, "target_count": 200} | fields
        return self.save(
            Call(phases=windows, quotas=[CallQuota(domain=d, quota=25) for d in Domain], **values)
        )
