"""Expert review: experts and their profiles, panels, assignments, score
sheets, frozen rubric versions and rubric files."""
import copy
import uuid
from pathlib import Path

from app.db import utcnow
from app.enums import AssignmentSource, Domain, Role, SheetStatus
from app.models import (
    Assignment,
    ExpertEmployment,
    ExpertProfile,
    Panel,
    PanelMember,
    RubricVersion,
    Score,
    ScoreSheet,
    User,
)
from tests.factories.base import BaseFactories

# A rubric file with one criterion and one veto; write_rubric fills in the key and the aggregation.
SMALL_RUBRIC = """\
key: {key}
name: {{zh: 小型评审标准, en: Small rubric}}
aggregation: {aggregation}
criteria:
  - key: quality
    name: {{zh: 质量, en: Quality}}
    weight: 100
    max_score: 100
    levels:
      - {{min: 0, max: 100, zh: 任意, en: Any}}
vetoes:
  - key: data_breach
    question: {{zh: 存在数据安全违规, en: Data-security violation}}
"""

# What a frozen rubric version holds by default: one criterion, two vetoes.
RUBRIC_CONTENT = {
    "key": "default",
    "name": {"zh": "测试评审标准", "en": "Test rubric"},
    "aggregation": "mean",
    "criteria": [{"key": "quality", "name": {"zh": "质量", "en": "Quality"}, "weight": 100, "max_score": 100, "levels": []}],
    "vetoes": [
        {"key": "data_breach", "question": {"zh": "存在数据安全违规", "en": "Data-security violation"}},
        {"key": "fraud", "question": {"zh": "材料弄虚作假", "en": "Falsified documents"}},
    ],
}

SUBMITTED_TOTAL = 80.0  # a submitted sheet's total unless told otherwise


def write_rubric(folder: Path, *, key: str = "default", aggregation: str = "mean", text: str | None = None) -> Path:
    """``folder/<key>.yaml`` with SMALL_RUBRIC (or ``text``); the folder is created when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.yaml"
    path.write_text(SMALL_RUBRIC.format(key=key, aggregation=aggregation) if text is None else text, encoding="utf-8")
    return path


class ReviewFactories(BaseFactories):
    def expert(self, *, profile: bool = False, affiliation: str = "", code: str = "", employments=(), tags=(),
               cap: int | None = None, **fields) -> User:
        """A user with the expert role. With ``profile=True``, or any profile field, also an
        ExpertProfile (see expert_profile)."""
        expert = self.staff(Role.EXPERT, **fields)
        if profile or affiliation or code or employments or tags or cap is not None:
            self.expert_profile(expert, affiliation=affiliation, code=code, employments=employments, tags=tags, cap=cap)
        return expert

    def expert_profile(self, expert, *, affiliation: str = "", code: str = "", employments=(), tags=(),
                       cap: int | None = None) -> ExpertProfile:
        """``expert``'s profile: affiliation (name and credit ``code``), past ``employments``
        (ExpertEmployment fields), technology ``tags`` and ``cap`` (maximum assignments)."""
        return self.save(ExpertProfile(
            user_id=expert.id, affiliation_name=affiliation, affiliation_code=code, tech_tags=list(tags),
            max_assignments=cap, employments=[ExpertEmployment(**job) for job in employments],
        ))

    def panel(self, *, call, name: str = "智能制造组", domains=(Domain.MANUFACTURING,), experts=()) -> Panel:
        """A panel of ``call`` covering ``domains`` (Domain members or their values) with ``experts`` as members."""
        return self.save(Panel(call_id=call.id, name=name, domains=[Domain(domain).value for domain in domains],
                               members=[PanelMember(user_id=expert.id) for expert in experts]))

    def assignment(self, *, entry, expert, panel=None, source: AssignmentSource = AssignmentSource.AUTOMATIC,
                   removed: bool = False, reminded_at=None, sheet: SheetStatus | None = None,
                   **sheet_fields) -> Assignment:
        """``expert`` assigned to ``entry`` (in the entry's call); ``removed`` marks it removed now.
        With ``sheet`` (a SheetStatus) also its score sheet, made by ``sheet()`` with ``sheet_fields``."""
        if sheet is None and sheet_fields:
            raise TypeError(f"sheet fields without a sheet status: {sorted(sheet_fields)}")
        now = utcnow()
        assignment = self.save(Assignment(
            call_id=entry.call_id, entry_id=entry.id, expert_id=expert.id, panel_id=panel.id if panel else None,
            source=source, removed_at=now if removed else None, removed_reason="测试移除" if removed else None,
            reminded_at=reminded_at,
        ))
        if sheet is not None:
            self.sheet(assignment, status=sheet, **sheet_fields)
        return assignment

    def sheet(self, assignment, *, status: SheetStatus = SheetStatus.SUBMITTED, version=None,
              total: float | None = None, scores: dict | None = None, vetoes: dict | None = None,
              opened_at=None, updated_at=None, submitted_at=None) -> ScoreSheet:
        """The score sheet of ``assignment`` on rubric ``version`` (a new one by default).

        A submitted sheet totals SUBMITTED_TOTAL unless told otherwise, a draft nothing. Every
        criterion of the version is scored ``total`` unless ``scores`` (criterion key → score)
        says otherwise. Opened now, last saved when opened, submitted when last saved."""
        version = version or self.rubric_version()
        submitted = status == SheetStatus.SUBMITTED
        if total is None and submitted:
            total = SUBMITTED_TOTAL
        if scores is None:
            scores = {criterion["key"]: total for criterion in version.content.get("criteria", [])}
        opened_at = opened_at or utcnow()
        updated_at = updated_at or opened_at
        return self.save(ScoreSheet(
            assignment_id=assignment.id, entry_id=assignment.entry_id, expert_id=assignment.expert_id,
            round_no=assignment.round_no, rubric_version_id=version.id, status=status, total=total, vetoes=vetoes or {},
            opened_at=opened_at, updated_at=updated_at,
            submitted_at=(submitted_at or updated_at) if submitted else None,
            scores=[Score(criterion_key=key, score=score) for key, score in scores.items()],
        ))

    def rubric_version(self, *, key: str = "default", content: dict | None = None) -> RubricVersion:
        """A frozen rubric version with ``content`` (RUBRIC_CONTENT by default) and a unique hash."""
        return self.save(RubricVersion(
            key=key, source_file=f"{key}.yaml", content=copy.deepcopy(RUBRIC_CONTENT) if content is None else content,
            content_hash=uuid.uuid4().hex,
        ))
