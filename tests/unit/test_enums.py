import pytest

from app import enums
from app.enums import Domain, EntryStatus, LabelledEnum
from app.reference import CITIES

LABELLED = [value for value in vars(enums).values()
            if isinstance(value, type) and issubclass(value, LabelledEnum) and value is not LabelledEnum]


def test_every_enumeration_lives_in_app_enums():
    assert {enum.__name__ for enum in LABELLED} >= {
        "Role", "Membership", "Domain", "Technology", "Phase", "EntryStatus", "SheetStatus", "QueueState",
        "AssignmentSource", "ConflictSource", "BrochureStatus",
    }


@pytest.mark.parametrize("enum", LABELLED, ids=lambda enum: enum.__name__)
def test_every_member_has_a_label(enum):
    assert all(isinstance(member.label, type(enums._l("x"))) and str(member.label) for member in enum)
    assert enum(next(iter(enum)).value) is next(iter(enum))  # looked up by the stored value


def test_every_entry_status_says_what_it_means():
    assert all(str(status.meaning) and status.meaning != status.label for status in EntryStatus)


def test_reference_data_matches_the_brief():
    assert [d.value for d in Domain] == [
        "manufacturing", "government", "city", "healthcare", "education", "finance", "security", "unmanned",
    ]
    assert len(CITIES) == 21
    assert CITIES["440300"][0] == "深圳" and CITIES["445300"][0] == "云浮"
