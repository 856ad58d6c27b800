"""Organisations and users: applicants, staff, chairs."""
from app.accounts.credit_code import make_credit_code
from app.accounts.services import hash_password
from app.enums import Membership, Role
from app.models import Organisation, User, UserRole
from tests.factories.base import BaseFactories, sequence

PASSWORD = "correct-horse-battery"


def credit_code(number: int, city: str = "440300") -> str:
    """A valid unified social credit code, distinct for each ``number``."""
    return make_credit_code(f"91{city}{number:09d}")


class AccountFactories(BaseFactories):
    def organisation(self, **fields) -> Organisation:
        n = next(sequence)
        values = {"name": f"测试科技有限公司{n}", "credit_code": credit_code(n), "city_code": "440300"} | fields
        return self.save(Organisation(**values))

    def _user(self, roles, password, **fields) -> User:
        n = next(sequence)
        with self.app.app_context():
            password_hash = hash_password(password) if password else None
        values = {"email": f"user{n}@example.com", "name": f"用户{n}", "password_hash": password_hash} | fields
        return self.save(User(role_rows=[UserRole(role=role) for role in roles], **values))

    def applicant(self, organisation=None, membership=Membership.ACTIVE, password=PASSWORD, **fields) -> User:
        organisation = organisation or self.organisation()
        return self._user([Role.APPLICANT], password, organisation_id=organisation.id, membership=membership, **fields)

    def staff(self, *roles: Role, password=PASSWORD, **fields) -> User:
        return self._user(list(roles) or [Role.EXPERT], password, **fields)

    def chair(self, **fields) -> User:
        return self.staff(Role.CHAIR, **fields)
