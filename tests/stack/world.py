"""A small world for the production-stack and fault tests, committed to the
stack's database through the test factories (``flask demo load`` takes
minutes; this takes seconds): an applicant with a complete draft entry in a
call open for submissions, experts with draft score sheets in a call under
review (a three-criterion rubric, so a half-written sheet would show), a
publicity user and a call with published results to print a brochure of.
"""
from dataclasses import dataclass, field
from pathlib import Path

from app import create_app
from app.enums import Phase, Role
from tests import factories
from tests.conftest import make_test_config

PASSWORD = factories.PASSWORD

RUBRIC = """\
key: default
name: {zh: 故障测试评审标准, en: Fault test rubric}
aggregation: mean
criteria:
  - key: technology
    name: {zh: 技术, en: Technology}
    weight: 40
    max_score: 100
    levels:
      - {min: 0, max: 100, zh: 任意, en: Any}
  - key: integration
    name: {zh: 融合, en: Integration}
    weight: 30
    max_score: 100
    levels:
      - {min: 0, max: 100, zh: 任意, en: Any}
  - key: outcomes
    name: {zh: 成效, en: Outcomes}
    weight: 30
    max_score: 100
    levels:
      - {min: 0, max: 100, zh: 任意, en: Any}
vetoes:
  - key: data_breach
    question: {zh: 存在数据安全违规, en: Data-security violation}
"""
CRITERIA = ("technology", "integration", "outcomes")


@dataclass
class Person:
    id: int
    email: str


@dataclass
class World:
    applicant: Person
    entry_id: int
    experts: list[Person]
    sheet_ids: dict[str, int] = field(default_factory=dict)  # expert email → draft sheet id
    publicity: Person | None = None
    brochure_call_id: int | None = None


def seed_world(database_url: str, folder: Path, *, experts: int = 1, library: bool = True) -> World:
    """Commit the world to ``database_url`` (already migrated); files go to
    ``folder``/uploads, the folder the stack's processes use."""
    app = create_app(make_test_config(database_url, folder, RUBRICS_FOLDER=str(folder / "rubrics")))
    factories.write_rubric(folder / "rubrics", text=RUBRIC)
    session = app.extensions["db"].sessionmaker()
    try:
        make = factories.Factories(session, app)
        applicant = make.applicant()
        entry = make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=applicant.organisation)
        review = make.scored_call(totals=[[None] * experts])
        world = World(
            applicant=Person(applicant.id, applicant.email), entry_id=entry.id,
            experts=[Person(expert.id, expert.email) for expert in review.experts],
            sheet_ids={expert.email: review.sheets[(review.entries[0].id, expert.id)].id for expert in review.experts},
        )
        if library:
            publicity = make.staff(Role.PUBLICITY)
            world.publicity = Person(publicity.id, publicity.email)
            world.brochure_call_id = make.published_library().call.id
        return world
    finally:
        session.close()
        app.extensions["db"].engine.dispose()
