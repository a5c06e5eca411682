"""``ScheduleRunnerPlugin`` pacing: a rate (Hz) or Bevy's wait duration, and no silent traps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from framealloc_engine.app import App, Commands, ResMut, ScheduleRunnerPlugin, Update


@dataclass
class Frames:
    seen: list[int] = field(default_factory=list)


def _stop_after_three(frames: ResMut[Frames], commands: Commands) -> None:
    frames.value.seen.append(len(frames.value.seen))
    if len(frames.value.seen) == 3:
        commands.exit()


@pytest.mark.parametrize("rate", [1 / 60, 0.5, 0.999, 0.0, -60.0, float("nan"), float("inf")])
def test_rates_below_one_hz_are_refused_with_the_fix(rate: float) -> None:
    with pytest.raises(ValueError, match=r"run_loop\(wait=1 / 60\)") as info:
        ScheduleRunnerPlugin.run_loop(rate)
    assert "Bevy" in str(info.value)
    with pytest.raises(ValueError, match="frames per second"):
        ScheduleRunnerPlugin(None, rate)


def test_rate_and_wait_spellings_give_the_same_period() -> None:
    by_rate = ScheduleRunnerPlugin.run_loop(60)
    by_wait = ScheduleRunnerPlugin.run_loop(wait=1 / 60)
    by_duration = ScheduleRunnerPlugin.run_loop(wait=timedelta(microseconds=16_667))
    assert by_rate.period == pytest.approx(by_wait.period)
    assert by_duration.period == pytest.approx(1 / 60, abs=1e-6)
    assert by_wait.target_hz == pytest.approx(60.0)
    assert ScheduleRunnerPlugin.run_loop(1).period == 1.0
    assert ScheduleRunnerPlugin.run_loop(wait=2.0).target_hz == 0.5  # slow loops: use wait
    unpaced = ScheduleRunnerPlugin.run_loop()
    assert unpaced.period == 0.0
    assert unpaced.target_hz is None
    assert ScheduleRunnerPlugin.run_loop(wait=0).period == 0.0


@pytest.mark.parametrize("wait", [-0.1, float("nan"), float("inf"), timedelta(seconds=-1)])
def test_bad_waits_are_refused(wait: float | timedelta) -> None:
    with pytest.raises(ValueError, match="wait must be"):
        ScheduleRunnerPlugin.run_loop(wait=wait)


def test_rate_and_wait_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        ScheduleRunnerPlugin.run_loop(60, wait=1 / 60)


def test_a_wait_paced_loop_runs_until_exit() -> None:
    app = App().add_plugins(ScheduleRunnerPlugin.run_loop(wait=timedelta(milliseconds=1)))
    app.init_resource(Frames).add_systems(Update, _stop_after_three)
    assert app.run() == 0
    assert app.resource(Frames).seen == [0, 1, 2]
