"""Factories for test data: valid, realistic objects with overridable fields."""
import itertools
from datetime import timedelta

from app.accounts.credit_code import make_credit_code
from app.accounts.services import hash_password
from app.db import utcnow
from app.enums import Membership, Phase, Role
from app.models import Call, CallPhase, CallQuota, Organisation, User, UserRole
from app.reference import Domain

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def credit_code(number: int, city: str = "440300") -> str:
    """A valid unified social credit code, distinct for each ``number``."""
    return make_credit_code(f"91{city}{number:09d}")


class Factories:
    def __init__(self, session, app):
        self.session = session
        self.app = app

    def _save(self, obj):
        self.session.add(obj)
        self.session.commit()  # releases a SAVEPOINT only; the test rolls back
        return obj

    def organisation(self, **fields) -> Organisation:
        n = next(_sequence)
        values = {"name": f"测试科技有限公司{n}", "credit_code": credit_code(n), "city_code": "440300"} | fields
        return self._save(Organisation(**values))

    def _user(self, roles, password, **fields) -> User:
        n = next(_sequence)
        with self.app.app_context():
            password_hash = hash_password(password) if password else None
        values = {"email": f"user{n}@example.com", "name": f"用户{n}", "password_hash": password_hash} | fields
        return self._save(User(role_rows=[UserRole(role=role) for role in roles], **values))

    def applicant(self, organisation=None, membership=Membership.ACTIVE, password=PASSWORD, **fields) -> User:
        organisation = organisation or self.organisation()
        return self._user([Role.APPLICANT], password, organisation_id=organisation.id, membership=membership, **fields)

    def staff(self, *roles: Role, password=PASSWORD, **fields) -> User:
        return self._user(list(roles) or [Role.EXPERT], password, **fields)

    def chair(self, **fields) -> User:
        return self.staff(Role.CHAIR, **fields)

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
        n = next(_sequence)
        values = {"name": f"测试批次{n}", "year": now.year, "target_count": 200} | fields
        return self._save(
            Call(phases=windows, quotas=[CallQuota(domain=d, quota=25) for d in Domain], **values)
        )
