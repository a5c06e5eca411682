"""``ScheduleRunnerPlugin``: a headless runner (no window).

Example::

    App().add_plugins(ScheduleRunnerPlugin.run_loop(60)).run()            # 60 frames/s
    App().add_plugins(ScheduleRunnerPlugin.run_loop(wait=1 / 60)).run()   # Bevy's spelling

Bevy's ``ScheduleRunnerPlugin::run_loop`` takes the *wait* between frames (a ``Duration``);
``run_loop`` here takes a *rate*, and ``wait=`` the duration. A rate below 1 Hz is refused
with an error that says so, because ``run_loop(1 / 60)`` written from Bevy habit would
otherwise run one frame a minute without a word.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from framealloc_engine.app.plugin import Plugin

if TYPE_CHECKING:
    from framealloc_engine.app.app import App

__all__ = ["ScheduleRunnerPlugin"]

#: The lowest ``target_hz`` accepted; slower loops are spelled with ``wait=``.
MIN_TARGET_HZ = 1.0


def _period(target_hz: float | None, wait: float | timedelta | None) -> float:
    """Seconds between frame starts (0.0: flat out), validated."""
    if target_hz is not None and wait is not None:
        raise ValueError(
            "give ScheduleRunnerPlugin either target_hz (frames per second) or wait "
            "(seconds between frames), not both"
        )
    if wait is not None:
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        if not (seconds >= 0.0 and math.isfinite(seconds)):
            raise ValueError(f"wait must be a finite number of seconds >= 0, got {wait!r}")
        return seconds
    if target_hz is None:
        return 0.0
    if not (math.isfinite(target_hz) and target_hz >= MIN_TARGET_HZ):
        raise ValueError(
            f"target_hz={target_hz!r} is not a rate of at least {MIN_TARGET_HZ:g} frame per "
            "second. run_loop() takes a rate in frames per second, not the wait between "
            "frames that Bevy's ScheduleRunnerPlugin::run_loop(Duration) takes: for 60 frames "
            "per second write run_loop(60) or run_loop(wait=1 / 60); for a slower loop give "
            "the wait in seconds, e.g. run_loop(wait=2.0)"
        )
    return 1.0 / target_hz


class ScheduleRunnerPlugin(Plugin):
    """Runs the app headless: once, a number of frames, or in a loop until ``AppExit``.

    Args:
        frames: Frames to run; None loops until an ``AppExit`` event.
        target_hz: Pace frames to this rate, in frames per second (at least 1; None runs
            flat out).
        wait: Or pace them Bevy's way: seconds (or a ``timedelta``) from one frame's start
            to the next's.

    Any mode stops early at an ``AppExit``; ``app.run()`` returns its code.

    Raises:
        ValueError: ``frames`` is negative, ``target_hz`` is below 1 Hz or not finite,
            ``wait`` is negative or not finite, or both ``target_hz`` and ``wait`` are given.
    """

    def __init__(
        self,
        frames: int | None = 1,
        target_hz: float | None = None,
        *,
        wait: float | timedelta | None = None,
    ) -> None:
        if frames is not None and (isinstance(frames, bool) or frames < 0):
            raise ValueError(f"frames must be >= 0 or None, got {frames!r}")
        self.period = _period(target_hz, wait)
        self.frames = frames
        self.target_hz = target_hz if target_hz is not None else (
            1.0 / self.period if self.period else None
        )

    @classmethod
    def run_once(cls) -> ScheduleRunnerPlugin:
        """One frame."""
        return cls(1)

    @classmethod
    def run_frames(cls, frames: int) -> ScheduleRunnerPlugin:
        """``frames`` frames (fewer if the app exits)."""
        return cls(frames)

    @classmethod
    def run_loop(
        cls, target_hz: float | None = None, *, wait: float | timedelta | None = None
    ) -> ScheduleRunnerPlugin:
        """Frames until ``AppExit``: at most ``target_hz`` per second, or one every ``wait``
        seconds (Bevy's ``run_loop(Duration::from_secs_f64(1.0 / 60.0))`` is
        ``run_loop(wait=1 / 60)``).

        Raises:
            ValueError: ``target_hz`` below 1 Hz (a wait passed as a rate), a bad ``wait``,
                or both given.
        """
        return cls(None, target_hz, wait=wait)

    def build(self, app: App) -> None:
        """Install the runner."""
        app.set_runner(self.run)

    def run(self, app: App) -> int:
        """The runner: drive frames, return the exit code."""
        period = self.period
        remaining = self.frames
        next_frame = time.perf_counter()
        while remaining is None or remaining > 0:
            app.update()
            exit_event = app.should_exit()
            if exit_event is not None:
                return exit_event.code
            if remaining is not None:
                remaining -= 1
            if period:
                next_frame += period
                delay = next_frame - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_frame = time.perf_counter()  # fell behind: do not burst
        return 0
