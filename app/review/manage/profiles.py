"""Expert profiles: what assignment and the conflict checks need to know
about an expert — affiliation (name and unified social credit code), former
employers with their years, expertise domains, technology tags, and the
most entries the expert takes per call (set by chairs only).

Chairs edit any expert's profile; an expert edits their own. Services flush,
never commit, and write an audit row on the expert's account.
"""
from dataclasses import dataclass

from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, select

from app.accounts.credit_code import CreditCodeError, normalise_credit_code
from app.audit.services import record
from app.calls.services import get_call
from app.db import utcnow
from app.enums import ConflictSource, Domain, Role, Technology
from app.errors import DomainError, NotAllowed
from app.i18n import lazy_gettext as _l
from app.models import (
    Assignment,
    Entry,
    ExpertEmployment,
    ExpertProfile,
    User,
    UserRole,
)
from app.permissions import (
    can_edit_expert_profile,
    can_manage_review,
    can_set_assignment_cap,
)
from app.review.conflicts import automatic_conflict, organisation_keys, record_conflict

NAME_MAX = 200
TAG_MAX = 20
MAX_FREE_TAGS = 10
MAX_EMPLOYMENTS = 10
YEAR_RANGE = (1950, 2100)
CAP_RANGE = (1, 1000)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()  # ``max_assignments`` not part of the change (an expert's own edit)


@dataclass(frozen=True)
class Employment:
    """A former (or current, ``end_year`` None) employer, as typed."""

    organisation_name: str
    credit_code: str = ""
    start_year: int | None = None
    end_year: int | None = None


def list_experts(session: Session) -> list[User]:
    """Every account with the expert role, by name."""
    return list(
        session.exec(
            select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.EXPERT).order_by(User.name, User.id)
        ).all()
    )


def profiles_by_user(session: Session, user_ids) -> dict[int, ExpertProfile]:
    ids = list(user_ids)
    if not ids:
        return {}
    return {profile.user_id: profile for profile in session.exec(select(ExpertProfile).where(ExpertProfile.user_id.in_(ids))).all()}


def profile_of(session: Session, *, expert: User) -> ExpertProfile | None:
    """The expert's profile with its employments (None: never filled in)."""
    return session.get(ExpertProfile, expert.id, options=[selectinload(ExpertProfile.employments)])


def profile_snapshot(profile: ExpertProfile | None) -> dict | None:
    if profile is None:
        return None
    return {
        "affiliation_name": profile.affiliation_name,
        "affiliation_code": profile.affiliation_code,
        "employments": [
            {"organisation_name": job.organisation_name, "credit_code": job.credit_code, "start_year": job.start_year, "end_year": job.end_year}
            for job in sorted(profile.employments, key=_employment_order)
        ],
        "expertise_domains": list(profile.expertise_domains),
        "tech_tags": list(profile.tech_tags),
        "max_assignments": profile.max_assignments,
    }


def _employment_order(job) -> tuple:
    return (job.start_year or 0, job.end_year or 9999, job.organisation_name)


def _code(raw: str) -> str:
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        return normalise_credit_code(raw)
    except CreditCodeError as error:
        raise DomainError(error.message) from None


def _name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if len(name) > NAME_MAX:
        raise DomainError(_l("An organisation name has at most %(n)s characters.", n=NAME_MAX))
    return name


def _year(value) -> int | None:
    if value in (None, ""):
        return None
    low, high = YEAR_RANGE
    if not isinstance(value, int) or not low <= value <= high:
        raise DomainError(_l("Years lie between %(low)s and %(high)s.", low=low, high=high))
    return value


def _clean_employments(employments) -> list[Employment]:
    cleaned = []
    for job in employments:
        name, code = _name(job.organisation_name), _code(job.credit_code)
        start, end = _year(job.start_year), _year(job.end_year)
        if not (name or code or start or end):
            continue  # an empty row
        if not name:
            raise DomainError(_l("Give the name of every former employer."))
        if start is not None and end is not None and end < start:
            raise DomainError(_l("At %(name)s the end year comes before the start year.", name=name))
        cleaned.append(Employment(name, code, start, end))
    if len(cleaned) > MAX_EMPLOYMENTS:
        raise DomainError(_l("At most %(n)s employers.", n=MAX_EMPLOYMENTS))
    return cleaned


def _clean_domains(domains) -> list[str]:
    try:
        chosen = {Domain(value) for value in domains}
    except ValueError:
        raise DomainError(_l("Choose domains from the list.")) from None
    return [domain.value for domain in Domain if domain in chosen]


def _clean_tags(tags) -> list[str]:
    vocabulary = {technology.value for technology in Technology}
    cleaned = list(dict.fromkeys(" ".join(str(tag).split()) for tag in tags if str(tag).strip()))
    free = [tag for tag in cleaned if tag not in vocabulary]
    if len(free) > MAX_FREE_TAGS:
        raise DomainError(_l("At most %(n)s other technologies.", n=MAX_FREE_TAGS))
    if any(len(tag) > TAG_MAX for tag in free):
        raise DomainError(_l("Each technology name has at most %(n)s characters.", n=TAG_MAX))
    return [technology.value for technology in Technology if technology.value in cleaned] + free


def _cap(value) -> int | None:
    if value in (None, ""):
        return None
    low, high = CAP_RANGE
    if not isinstance(value, int) or not low <= value <= high:
        raise DomainError(_l("The most entries per call is a number from %(low)s to %(high)s, or empty for no limit.", low=low, high=high))
    return value


def update_profile(
    session: Session,
    *,
    actor,
    expert: User,
    affiliation_name: str,
    affiliation_code: str,
    employments,
    expertise_domains,
    tech_tags,
    max_assignments=UNCHANGED,
) -> ExpertProfile:
    """Save an expert's profile (creating it the first time); audited on the account.

    ``employments`` are :class:`Employment` rows (empty rows are skipped);
    ``max_assignments`` (None: no limit) may only be given by a chair.
    """
    if not can_edit_expert_profile(actor, expert):
        raise NotAllowed(_l("You can only edit your own expert profile."))
    name, code = _name(affiliation_name), _code(affiliation_code)
    if code and not name:
        raise DomainError(_l("Give the name of the organisation the credit code belongs to."))
    jobs = _clean_employments(employments)
    domains, tags = _clean_domains(expertise_domains), _clean_tags(tech_tags)

    profile = profile_of(session, expert=expert)
    before = profile_snapshot(profile)
    affiliations_changed = (
        profile is None
        or (profile.affiliation_name, profile.affiliation_code) != (name, code)
        or sorted((_as_employment(job) for job in profile.employments), key=_employment_order) != sorted(jobs, key=_employment_order)
    )
    year = utcnow().year
    proposed = ExpertProfile(
        affiliation_name=name,
        affiliation_code=code,
        employments=[ExpertEmployment(organisation_name=j.organisation_name, credit_code=j.credit_code, start_year=j.start_year, end_year=j.end_year) for j in jobs],
    )
    removes_affiliations = bool(organisation_keys(profile, year=year) - organisation_keys(proposed, year=year))
    if removes_affiliations and not can_manage_review(actor) and _active_assignments(session, expert=expert):
        # Affiliations decide conflicts of interest: an expert with work to
        # review may add to them, but not edit a conflict away.
        raise NotAllowed(
            _l("Your organisation and former employers decide conflicts of interest: while you have entries to review, only a chair can change them.")
        )
    if max_assignments is not UNCHANGED:
        cap = _cap(max_assignments)
        if cap != (profile.max_assignments if profile else None) and not can_set_assignment_cap(actor):
            raise NotAllowed(_l("Only a chair can set how many entries an expert takes."))
    else:
        cap = profile.max_assignments if profile else None
    if profile is None:
        profile = ExpertProfile(user_id=expert.id)
        session.add(profile)
        session.flush()
    profile.affiliation_name, profile.affiliation_code = name, code
    profile.expertise_domains, profile.tech_tags, profile.max_assignments = domains, tags, cap
    if [_as_employment(job) for job in sorted(profile.employments, key=_employment_order)] != sorted(jobs, key=_employment_order):
        profile.employments = [
            ExpertEmployment(organisation_name=job.organisation_name, credit_code=job.credit_code, start_year=job.start_year, end_year=job.end_year)
            for job in jobs
        ]
    session.add(profile)
    session.flush()
    after = profile_snapshot(profile)
    if after != before:
        record(session, actor=actor, action="expert_profile.updated", obj=expert, before=before, after=after)
    if affiliations_changed:
        _close_new_conflicts(session, profile=profile, expert=expert, actor=actor)
    return profile


def _active_assignments(session: Session, *, expert: User) -> list[Assignment]:
    return list(session.exec(select(Assignment).where(Assignment.expert_id == expert.id, Assignment.removed_at.is_(None))).all())


def _close_new_conflicts(session: Session, *, profile: ExpertProfile, expert: User, actor) -> None:
    """Record (and so close) every active assignment the changed profile now conflicts with."""
    session.refresh(profile)
    now = utcnow()
    for assignment in _active_assignments(session, expert=expert):
        entry = session.get(Entry, assignment.entry_id, options=[joinedload(Entry.organisation)])
        call = get_call(session, assignment.call_id)
        reason = automatic_conflict(profile, entry, year=call.year)
        if reason is not None:
            record_conflict(session, expert_id=expert.id, entry=entry, source=ConflictSource.CHAIR, reason=str(reason), actor=actor, now=now)


def _as_employment(job: ExpertEmployment) -> Employment:
    return Employment(job.organisation_name, job.credit_code, job.start_year, job.end_year)
