"""Factories for test data: valid, realistic objects with overridable fields."""
import io
import itertools
from datetime import date, timedelta

from PIL import Image

from app.accounts.credit_code import make_credit_code
from app.accounts.services import hash_password
from app.db import utcnow
from app.entries.images import process_photo
from app.enums import Domain, EntryStatus, Membership, Phase, Role
from app.models import (
    Call,
    CallPhase,
    CallQuota,
    Entry,
    EntryOutcome,
    EntryPhoto,
    Organisation,
    User,
    UserRole,
)
from app.storage import storage

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def credit_code(number: int, city: str = "440300") -> str:
    """A valid unified social credit code, distinct for each ``number``."""
    return make_credit_code(f"91{city}{number:09d}")


def jpeg_bytes(width: int = 800, height: int = 600, color=(30, 120, 200)) -> bytes:
    """A small, valid JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG")
    return out.getvalue()


def _complete_fields(n: int) -> dict:
    return {
        "title": f"基于机器视觉的质检场景{n}",
        "domain": Domain.MANUFACTURING,
        "city_code": "440300",
        "summary": "利用深度学习视觉模型对生产线产品进行实时缺陷检测，检出率显著提升。",
        "tech_tags": ["computer_vision", "边缘计算"],
        "partners": [{"name": "华南理工大学", "credit_code": ""}],
        "problem": "人工目检效率低、漏检率高。",
        "solution": "在产线部署工业相机与边缘推理设备，实时识别缺陷并自动分拣。",
        "deployment_scale": "3个工厂、12条产线",
        "deployment_start": date(2024, 3, 1),
        "investment": 850.0,
        "replicability": "可推广至电子、汽车零部件等行业。",
        "data_security": "数据本地化存储，访问分级授权。",
        "contact_name": "王芳",
        "contact_phone": "13800138000",
        "contact_email": "wangfang@example.com",
    }


class EntryFactories:
    def entry(self, *, call=None, organisation=None, status: EntryStatus = EntryStatus.DRAFT, complete: bool = True,
              photos: int = 1, **fields) -> Entry:
        """An entry of ``organisation`` in ``call``; complete (ready to submit) unless told otherwise."""
        call = call or self.call()
        organisation = organisation or self.organisation()
        n = next(_sequence)
        values = (_complete_fields(n) if complete else {"title": f"草稿{n}"}) | fields
        entry = Entry(call_id=call.id, organisation_id=organisation.id, status=status, **values)
        if status not in (EntryStatus.DRAFT,):
            entry.submitted_at = utcnow()
        if complete:
            entry.outcomes = [EntryOutcome(position=0, metric="缺陷检出率", before=92.0, after=99.5, unit="%")]
            with self.app.app_context():
                for position in range(photos):
                    processed = process_photo(jpeg_bytes(color=(30 + 40 * position, 120, 200)), max_pixels=50_000_000)
                    keys = {name: storage().put(data, suffix=".jpg") for name, data in processed.renditions.items()}
                    entry.photos.append(
                        EntryPhoto(position=position, caption=f"现场照片{position + 1}", master_key=keys["master"],
                                   display_key=keys["display"], thumb_key=keys["thumb"], width=processed.width,
                                   height=processed.height)
                    )
        return self._save(entry)


class Factories(EntryFactories):
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
