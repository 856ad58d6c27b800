import pytest

from app.enums import Membership, Phase, Role
from app.reference import CITIES, Domain


@pytest.mark.parametrize("enum", [Role, Membership, Phase, Domain])
def test_every_member_has_a_label(enum):
    assert all(str(member.label) for member in enum)
    assert set(enum._labels) == set(enum)


def test_reference_data_matches_the_brief():
    assert [d.value for d in Domain] == [
        "manufacturing", "government", "city", "healthcare", "education", "finance", "security", "unmanned",
    ]
    assert len(CITIES) == 21
    assert CITIES["440300"][0] == "深圳" and CITIES["445300"][0] == "云浮"
