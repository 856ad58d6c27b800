import pytest

from app.accounts.credit_code import (
    CreditCodeError,
    check_character,
    make_credit_code,
    normalise_credit_code,
)

# Codes published on real business licences.
REAL_CODES = ["91350100M000100Y43", "91110000600037341L", "91440300708461136T", "914403001922038216"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert normalise_credit_code(code) == code


def test_input_is_normalised():
    assert normalise_credit_code(" 91440300 708461136t ") == "91440300708461136T"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9144030070846113", "exactly 18 characters; this one has 16"),
        ("91440300708461136TX", "this one has 19"),
        ("91440300708461I36T", "I, O, S, V and Z are not used"),
        ("91440300708461136A", "check character"),
        ("9144A300708461136T", "administrative division"),
    ],
)
def test_invalid_codes_say_why(code, message):
    with pytest.raises(CreditCodeError) as caught:
        normalise_credit_code(code)
    assert message in str(caught.value)


def test_every_single_character_typo_is_caught():
    code = REAL_CODES[2]
    for position in range(17):
        for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            assert check_character(typo[:17]) != code[17]


def test_make_credit_code_completes_the_check_character():
    code = make_credit_code("91440100MA5CXXXX1")
    assert len(code) == 18
    assert normalise_credit_code(code) == code
