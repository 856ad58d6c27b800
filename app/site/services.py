"""The site's name (header and page titles), its filing numbers (ICP备案号
and 公安备案号, in every page's footer) and the programme's target (how many
showcase scenarios all calls together aim at, ``app.programme``), kept in
``site_settings`` and edited by chairs on the admin settings page; each
change is audited.

Plain functions over a session; they flush but never commit.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlmodel import Session, select

from app.audit.services import Subject, record
from app.models import SiteSetting

NAME, ICP_NUMBER, POLICE_NUMBER = "site_name", "icp_number", "police_number"
PROGRAMME_TARGET = "programme_target"
KEYS = (NAME, ICP_NUMBER, POLICE_NUMBER, PROGRAMME_TARGET)
#: The programme's target when the chair has set none: the province's 200 scenarios.
DEFAULT_PROGRAMME_TARGET = 200
PROGRAMME_TARGET_RANGE = (1, 100_000)
# Where a visitor checks the numbers: the MIIT's ICP filing system, and the
# Ministry of Public Security's, which opens the record of the 14-digit code.
ICP_URL = "https://beian.miit.gov.cn/"
POLICE_URL = "https://beian.mps.gov.cn/#/query/webSearch?code={code}"
ICP_PATTERN = re.compile(r"^[\u4e00-\u9fa5]ICP备\d{4,10}号(-\d{1,4})?$")
POLICE_PATTERN = re.compile(r"^[\u4e00-\u9fa5]公网安备\s?(\d{14})号$")


@dataclass(frozen=True)
class SiteSettings:
    values: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The site's name: the chair's, else the translated default (场景示范案例库)."""
        return self.values.get(NAME) or _("Scenario Showcase")

    @property
    def icp_number(self) -> str:
        return self.values.get(ICP_NUMBER, "")

    @property
    def police_number(self) -> str:
        return self.values.get(POLICE_NUMBER, "")

    @property
    def programme_target(self) -> int:
        """How many showcase scenarios the programme aims at over all its calls (default 200)."""
        value = self.values.get(PROGRAMME_TARGET, "")
        return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_PROGRAMME_TARGET

    @property
    def icp_url(self) -> str:
        return ICP_URL

    @property
    def police_url(self) -> str | None:
        """The record's page at the Ministry of Public Security (None without a number)."""
        match = POLICE_PATTERN.match(self.police_number)
        return POLICE_URL.format(code=match.group(1)) if match else None


def load_settings(session: Session) -> SiteSettings:
    rows = session.exec(select(SiteSetting).where(SiteSetting.key.in_(KEYS))).all()
    return SiteSettings({row.key: row.value for row in rows})


def update_settings(session: Session, *, actor, values: dict[str, str], now: datetime) -> bool:
    """Store the settings in ``values`` (name, ICP and police numbers, the
    programme target as text; "" clears one); returns whether anything changed (then audited with before and after)."""
    rows = {row.key: row for row in session.exec(select(SiteSetting).where(SiteSetting.key.in_(KEYS))).all()}
    before, after = {}, {}
    for key in KEYS:
        if key not in values:
            continue
        value = (values[key] or "").strip()
        row = rows.get(key)
        old = row.value if row else ""
        if value == old:
            continue
        before[key], after[key] = old, value
        row = row or SiteSetting(key=key)
        row.value, row.updated_at, row.updated_by_id = value, now, getattr(actor, "id", None)
        session.add(row)
    if not after:
        return False
    session.flush()
    record(session, actor=actor, action="site.settings_updated", obj=Subject("site_settings"), before=before, after=after)
    return True
