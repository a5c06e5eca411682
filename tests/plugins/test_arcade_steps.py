"""arcade's updates become exactly that many ``FixedUpdate`` steps of the next frame."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("arcade", reason="the arcade extra is not installed")

from framealloc_arcade import prime_fixed_steps  # noqa: E402
from framealloc_engine.app import Time, TimeUpdateStrategy  # noqa: E402


@given(
    hz=st.floats(1.0, 1000.0),
    frame_seconds=st.floats(0.0, 2.0),
    steps=st.integers(0, 12),
    fraction=st.floats(-1.0, 2.0),
    overstep=st.floats(0.0, 0.5),
    speed=st.floats(0.0, 4.0),
    paused=st.booleans(),
    frames=st.integers(1, 4),
)
def test_the_frame_runs_exactly_the_pending_updates(
    hz: float, frame_seconds: float, steps: int, fraction: float, overstep: float,
    speed: float, paused: bool, frames: int,
) -> None:  # fmt: skip
    time = Time()
    time.fixed.set_hz(hz)
    time.fixed.overstep = overstep  # whatever the accumulator held before
    time.virtual.relative_speed = speed
    time.virtual.paused = paused
    strategy = TimeUpdateStrategy.manual_duration(frame_seconds)
    for _ in range(frames):
        expected = prime_fixed_steps(time, frame_seconds, steps, fraction)
        ran = time.advance(strategy)
        want = 0 if paused else min(steps, time.fixed.max_steps_per_frame)
        assert expected == want
        assert ran == want
        assert 0.0 < time.fixed.overstep_fraction < 1.0  # the fraction, kept off the edges


def test_fraction_since_the_last_update_is_reported_for_interpolation() -> None:
    time = Time()
    time.fixed.set_hz(60)
    prime_fixed_steps(time, 1 / 60, 2, 0.25)
    assert time.advance(TimeUpdateStrategy.manual_duration(1 / 60)) == 2
    assert time.fixed.overstep_fraction == pytest.approx(0.25)
    assert time.virtual.delta == pytest.approx(1 / 60)  # virtual time: the frame's duration


def test_negative_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="steps"):
        prime_fixed_steps(Time(), 0.0, -1, 0.5)
