"""Expert panels (评审组) of a call: a name, the domains the panel covers,
its experts and its leader.

A domain belongs to at most one panel of a call, and a panel's leader is one
of its experts. Services flush and never commit; every change writes an
audit row with the panel before and after.
"""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import get_call, lock_call
from app.enums import Domain, Role
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Call, Panel, PanelMember, User
from app.review.manage.profiles import list_experts

NAME_MAX = 100


def list_panels(session: Session, *, call: Call) -> list[Panel]:
    """The call's panels of round 1 by name, their members selected in; a
    later round's panel is set on its shortlist page (app.review.rounds)."""
    return list(session.exec(select(Panel).where(Panel.call_id == call.id, Panel.round_no == 1)
                             .options(selectinload(Panel.members)).order_by(Panel.name, Panel.id)).all())


def panel_people(session: Session, panels: list[Panel]) -> dict[int, User]:
    """The accounts of the panels' members and leaders, by id (one query)."""
    member_ids = {member.user_id for panel in panels for member in panel.members} | {
        panel.leader_id for panel in panels if panel.leader_id
    }
    return {user.id: user for user in session.exec(select(User).where(User.id.in_(member_ids))).all()} if member_ids else {}


def panel_snapshot(panel: Panel) -> dict:
    return {
        "name": panel.name,
        "domains": list(panel.domains),
        "member_ids": sorted(member.user_id for member in panel.members),
        "leader_id": panel.leader_id,
    }


def panel_domains(panel: Panel) -> list[Domain]:
    return [Domain(value) for value in panel.domains]


def panel_of_domain(session: Session, *, call: Call, domain: Domain) -> Panel | None:
    """The panel of ``call`` that covers ``domain``, if any."""
    return next((panel for panel in list_panels(session, call=call) if domain.value in panel.domains), None)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Give the panel a name."))
    if len(name) > NAME_MAX:
        raise DomainError(_l("A panel name has at most %(n)s characters.", n=NAME_MAX))
    return name


def _clean_domains(domains) -> list[Domain]:
    try:
        chosen = {Domain(value) for value in domains}
    except ValueError:
        raise DomainError(_l("Choose domains from the list.")) from None
    if not chosen:
        raise DomainError(_l("Choose at least one domain for the panel."))
    return [domain for domain in Domain if domain in chosen]


def _check_unique(session: Session, *, call: Call, panel_id: int | None, name: str, domains: list[Domain]) -> None:
    for other in list_panels(session, call=call):
        if other.id == panel_id:
            continue
        if other.name == name:
            raise DomainError(_l("This call already has a panel named “%(name)s”.", name=name))
        taken = [domain for domain in domains if domain.value in other.domains]
        if taken:
            raise DomainError(
                _l(
                    "%(domains)s already belongs to the panel “%(panel)s”: a domain belongs to at most one panel per call.",
                    domains="、".join(str(domain.label) for domain in taken),
                    panel=other.name,
                )
            )


def _members(session: Session, *, member_ids, leader_id: int | None) -> list[int]:
    ids = list(dict.fromkeys(int(value) for value in member_ids))
    users = {user.id: user for user in session.exec(
        select(User).where(User.id.in_(ids)).options(selectinload(User.role_rows))).all()} if ids else {}
    for user_id in ids:
        user = users.get(user_id)
        if user is None:
            raise DomainError(_l("One of the chosen experts no longer exists; reload the page."))
        if not user.has_role(Role.EXPERT):
            raise DomainError(
                _l("%(name)s is not an expert: only accounts with the expert role can sit on a panel.", name=user.name)
            )
        if not user.active:
            raise DomainError(_l("The account of %(name)s is deactivated: it cannot sit on a panel.", name=user.name))
    if leader_id is not None and leader_id not in ids:
        raise DomainError(_l("The leader must be one of the panel's experts."))
    return ids


def create_panel(
    session: Session, *, actor, call: Call, name: str, domains, member_ids, leader_id: int | None = None
) -> Panel:
    """Create a panel of ``call`` covering ``domains`` (Domain values or members)."""
    name, domains = _clean_name(name), _clean_domains(domains)
    ids = _members(session, member_ids=member_ids, leader_id=leader_id)
    lock_call(session, call.id)
    _check_unique(session, call=call, panel_id=None, name=name, domains=domains)
    panel = Panel(
        call_id=call.id,
        name=name,
        domains=[domain.value for domain in domains],
        leader_id=leader_id,
        members=[PanelMember(user_id=user_id) for user_id in ids],
    )
    session.add(panel)
    session.flush()
    record(session, actor=actor, action="panel.created", obj=panel, after=panel_snapshot(panel))
    return panel


def update_panel(session: Session, *, actor, panel: Panel, name: str, domains, member_ids, leader_id: int | None = None) -> None:
    """Change a panel's name, domains, experts or leader (audited with before/after).

    Assignments already made stay as they are: the assignment pages move them.
    """
    call = get_call(session, panel.call_id)
    name, domains = _clean_name(name), _clean_domains(domains)
    ids = _members(session, member_ids=member_ids, leader_id=leader_id)
    lock_call(session, call.id)
    _check_unique(session, call=call, panel_id=panel.id, name=name, domains=domains)
    before = panel_snapshot(panel)
    panel.name = name
    panel.domains = [domain.value for domain in domains]
    panel.leader_id = leader_id
    # Keep the rows of experts who stay (a delete and re-insert of the same
    # pair would trip the unique constraint inside one flush).
    kept = [member for member in panel.members if member.user_id in ids]
    present = {member.user_id for member in kept}
    panel.members = kept + [PanelMember(user_id=user_id) for user_id in ids if user_id not in present]
    session.add(panel)
    session.flush()
    after = panel_snapshot(panel)
    if after != before:
        record(session, actor=actor, action="panel.updated", obj=panel, before=before, after=after)


def active_assignment_count(session: Session, *, panel: Panel) -> int:
    return session.exec(
        select(sa.func.count(Assignment.id)).where(Assignment.panel_id == panel.id, Assignment.removed_at.is_(None))
    ).one()


def delete_panel(session: Session, *, actor, panel: Panel) -> None:
    """Delete a panel that has no active assignments (audited)."""
    count = active_assignment_count(session, panel=panel)
    if count:
        raise DomainError(
            _l(
                "The panel “%(name)s” still has %(n)s active assignments: remove or move them on the assignment pages first.",
                name=panel.name,
                n=count,
            )
        )
    record(session, actor=actor, action="panel.deleted", obj=panel, before=panel_snapshot(panel))
    session.delete(panel)
    session.flush()


def expert_choices(session: Session) -> list[User]:
    """The accounts a panel can take: active experts, by name."""
    return [user for user in list_experts(session) if user.active]
