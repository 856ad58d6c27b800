"""What an entry still lacks before it can be submitted, step by step."""
from dataclasses import dataclass

from app.i18n import lazy_gettext as _l
from app.models import Entry


@dataclass(frozen=True)
class Step:
    key: str
    label: object


STEPS = (
    Step("basics", _l("Basics")),
    Step("solution", _l("Problem and solution")),
    Step("outcomes", _l("Outcomes")),
    Step("media", _l("Photos and attachments")),
    Step("contacts", _l("Contacts")),
    Step("review", _l("Review and submit")),
)
STEP_KEYS = tuple(step.key for step in STEPS)


def missing_items(entry: Entry) -> dict[str, list]:
    """Step key → the translated names of what that step still needs (empty when complete)."""
    missing: dict[str, list] = {step.key: [] for step in STEPS if step.key != "review"}

    def need(step: str, ok, label) -> None:
        if not ok:
            missing[step].append(label)

    need("basics", entry.title.strip(), _l("Title"))
    need("basics", entry.domain, _l("Domain"))
    need("basics", entry.city_code, _l("City"))
    need("basics", entry.summary.strip(), _l("Summary"))
    need("basics", entry.tech_tags, _l("AI technologies"))
    need("solution", entry.problem.strip(), _l("Problem solved"))
    need("solution", entry.solution.strip(), _l("Solution"))
    need("solution", entry.deployment_scale.strip(), _l("Deployment scale"))
    need("solution", entry.deployment_start, _l("Deployment start"))
    need("solution", entry.investment is not None, _l("Investment"))
    need("outcomes", entry.outcomes, _l("At least one quantified outcome"))
    need("outcomes", entry.replicability.strip(), _l("Replicability"))
    need("outcomes", entry.data_security.strip(), _l("Data security and ethics measures"))
    need("media", entry.photos, _l("At least one photo"))
    need("contacts", entry.contact_name.strip(), _l("Contact person"))
    need("contacts", entry.contact_phone.strip(), _l("Contact phone"))
    need("contacts", entry.contact_email.strip(), _l("Contact email"))
    return {step: items for step, items in missing.items() if items}
