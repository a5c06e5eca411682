"""``ScheduleRunnerPlugin``: a headless runner (no window).

Example::

    App().add_plugins(ScheduleRunnerPlugin.run_loop(target_hz=60)).run()
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from framealloc_engine.app.plugin import Plugin

if TYPE_CHECKING:
    from framealloc_engine.app.app import App

__all__ = ["ScheduleRunnerPlugin"]


class ScheduleRunnerPlugin(Plugin):
    """Runs the app headless: once, a number of frames, or in a loop until ``AppExit``.

    Args:
        frames: Frames to run; None loops until an ``AppExit`` event.
        target_hz: In loop mode, pace frames to this rate (None runs flat out).

    Any mode stops early at an ``AppExit``; ``app.run()`` returns its code.
    """

    def __init__(self, frames: int | None = 1, target_hz: float | None = None) -> None:
        if frames is not None and (isinstance(frames, bool) or frames < 0):
            raise ValueError(f"frames must be >= 0 or None, got {frames!r}")
        if target_hz is not None and not target_hz > 0:
            raise ValueError(f"target_hz must be > 0, got {target_hz!r}")
        self.frames = frames
        self.target_hz = target_hz

    @classmethod
    def run_once(cls) -> ScheduleRunnerPlugin:
        """One frame."""
        return cls(1)

    @classmethod
    def run_frames(cls, frames: int) -> ScheduleRunnerPlugin:
        """``frames`` frames (fewer if the app exits)."""
        return cls(frames)

    @classmethod
    def run_loop(cls, target_hz: float | None = None) -> ScheduleRunnerPlugin:
        """Frames until ``AppExit``, at most ``target_hz`` per second."""
        return cls(None, target_hz)

    def build(self, app: App) -> None:
        """Install the runner."""
        app.set_runner(self.run)

    def run(self, app: App) -> int:
        """The runner: drive frames, return the exit code."""
        period = 1.0 / self.target_hz if self.target_hz else 0.0
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
