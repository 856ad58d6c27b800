from datetime import datetime, timedelta, timezone

from app.calls.services import phase_state
from app.enums import Phase
from app.models import Call, CallPhase

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)


def _call() -> Call:
    """Phases of 10 days with a one-day gap between them."""
    phases = []
    for index, phase in enumerate(Phase):
        starts = T0 + timedelta(days=11 * index)
        phases.append(CallPhase(phase=phase, starts_at=starts, ends_at=starts + timedelta(days=10)))
    return Call(name="c", year=2026, phases=list(reversed(phases)))


def test_before_the_first_phase_the_call_is_upcoming():
    state = phase_state(_call(), now=T0 - timedelta(seconds=1))
    assert (state.status, state.phase, state.next_window.phase) == ("upcoming", None, Phase.SUBMISSION)


def test_a_phase_is_open_from_its_start_up_to_its_end():
    call = _call()
    assert phase_state(call, now=T0).phase == Phase.SUBMISSION
    end = T0 + timedelta(days=10)
    assert phase_state(call, now=end - timedelta(microseconds=1)).phase == Phase.SUBMISSION
    assert call.is_phase_open(Phase.SUBMISSION, now=T0)
    assert not call.is_phase_open(Phase.SUBMISSION, now=end)


def test_in_a_gap_the_next_phase_is_named():
    state = phase_state(_call(), now=T0 + timedelta(days=10, hours=1))
    assert (state.status, state.next_window.phase) == ("between", Phase.FORMAL_CHECK)


def test_review_phase_in_the_middle():
    state = phase_state(_call(), now=T0 + timedelta(days=23))
    assert (state.status, state.phase) == ("open", Phase.REVIEW)


def test_after_the_last_phase_the_call_is_closed():
    state = phase_state(_call(), now=T0 + timedelta(days=100))
    assert (state.status, state.phase, state.next_window) == ("closed", None, None)
