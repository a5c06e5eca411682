"""``Time``: real, virtual and fixed clocks, advanced once per frame.

``time.delta`` is the virtual clock's step in ordinary schedules and the fixed timestep
inside ``FixedUpdate``. For deterministic tests insert a manual strategy::

    app.insert_resource(TimeUpdateStrategy.manual_duration(1 / 60))
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from framealloc_engine.app.system_param import ParamBuilder

__all__ = ["FixedClock", "RealClock", "Time", "TimeUpdateStrategy", "VirtualClock"]

DEFAULT_FIXED_HZ = 64.0


@dataclass(frozen=True, slots=True)
class TimeUpdateStrategy:
    """How the real clock advances each frame (a resource; automatic when absent).

    Attributes:
        manual: If True, every frame advances by ``duration`` instead of wall time.
        duration: Seconds per frame in manual mode.
    """

    manual: bool = False
    duration: float = 0.0

    def __post_init__(self) -> None:
        if not (self.duration >= 0.0 and math.isfinite(self.duration)):
            raise ValueError(f"duration must be a finite number >= 0, got {self.duration!r}")

    @classmethod
    def automatic(cls) -> TimeUpdateStrategy:
        """Advance by the measured wall-clock time (``time.perf_counter``)."""
        return cls(False, 0.0)

    @classmethod
    def manual_duration(cls, seconds: float) -> TimeUpdateStrategy:
        """Advance by exactly ``seconds`` every frame (deterministic)."""
        return cls(True, float(seconds))


class RealClock:
    """Wall time, unaffected by pausing or speed."""

    __slots__ = ("_last", "delta", "elapsed")

    def __init__(self) -> None:
        self.delta = 0.0
        self.elapsed = 0.0
        self._last: float | None = None

    def tick(self) -> float:
        """Read the wall clock; returns seconds since the previous tick (0.0 at the first)."""
        now = _time.perf_counter()
        last = self._last
        self._last = now
        return 0.0 if last is None else now - last


class VirtualClock:
    """Game time: can be paused and sped up; one frame's step is capped by ``max_delta``.

    Attributes:
        paused: While True, virtual (and so fixed) time does not advance.
        relative_speed: Multiplier applied to real time.
        max_delta: Upper bound of one frame's real step before scaling (avoids huge
            catch-up after a stall). Default 0.25 s.
    """

    __slots__ = ("delta", "elapsed", "max_delta", "paused", "relative_speed")

    def __init__(self) -> None:
        self.delta = 0.0
        self.elapsed = 0.0
        self.paused = False
        self.relative_speed = 1.0
        self.max_delta = 0.25

    def pause(self) -> None:
        """Stop virtual time."""
        self.paused = True

    def unpause(self) -> None:
        """Resume virtual time."""
        self.paused = False


class FixedClock:
    """The fixed-timestep clock driving ``FixedUpdate``.

    Attributes:
        timestep: Seconds per fixed step (1/64 by default).
        max_steps_per_frame: Cap on steps run in one frame; excess whole steps are dropped.
        overstep: Accumulated virtual time not yet consumed by a step.
        steps_this_frame: Steps run in the current frame.
        dropped_steps: Steps skipped because of the cap, since start.
    """

    __slots__ = (
        "delta",
        "dropped_steps",
        "elapsed",
        "max_steps_per_frame",
        "overstep",
        "steps_this_frame",
        "timestep",
    )

    def __init__(self, hz: float = DEFAULT_FIXED_HZ, max_steps_per_frame: int = 8) -> None:
        self.timestep = 1.0 / hz
        self.max_steps_per_frame = max_steps_per_frame
        self.delta = self.timestep
        self.elapsed = 0.0
        self.overstep = 0.0
        self.steps_this_frame = 0
        self.dropped_steps = 0

    def set_hz(self, hz: float) -> None:
        """Set the step rate in steps per second."""
        if not (hz > 0.0 and math.isfinite(hz)):
            raise ValueError(f"fixed rate must be a positive finite number, got {hz!r}")
        self.timestep = 1.0 / hz

    @property
    def overstep_fraction(self) -> float:
        """``overstep / timestep``: how far into the next step we are (for interpolation)."""
        return self.overstep / self.timestep

    def accumulate(self, seconds: float) -> int:
        """Add virtual time and return how many steps to run this frame (capped)."""
        overstep = self.overstep + seconds
        step = self.timestep
        steps = int(overstep // step)
        cap = self.max_steps_per_frame
        if steps > cap:
            self.dropped_steps += steps - cap
            steps = cap
            overstep = math.fmod(overstep, step)
        else:
            overstep -= steps * step
        self.overstep = overstep
        self.steps_this_frame = steps
        return steps


class Time:
    """The frame's clocks; inject it into a system with a ``time: Time`` parameter.

    Attributes:
        real: Wall-clock time.
        virtual: Game time (pausable, scalable).
        fixed: The fixed-timestep clock.
        frame_count: Frames advanced so far.
    """

    __slots__ = ("_in_fixed", "fixed", "frame_count", "real", "virtual")

    def __init__(self, fixed_hz: float = DEFAULT_FIXED_HZ) -> None:
        self.real = RealClock()
        self.virtual = VirtualClock()
        self.fixed = FixedClock(fixed_hz)
        self.frame_count = 0
        self._in_fixed = False

    @classmethod
    def build_param(cls, builder: ParamBuilder) -> Time:
        """The world's ``Time`` resource; reads it."""
        builder.read(Time)
        return builder.world.resource(Time)

    @property
    def delta(self) -> float:
        """Seconds of this step: the fixed timestep inside ``FixedUpdate``, else virtual."""
        return self.fixed.delta if self._in_fixed else self.virtual.delta

    @property
    def elapsed(self) -> float:
        """Seconds since start on the same clock as :attr:`delta`."""
        return self.fixed.elapsed if self._in_fixed else self.virtual.elapsed

    @property
    def in_fixed_step(self) -> bool:
        """True while ``FixedUpdate`` runs."""
        return self._in_fixed

    def advance(self, strategy: TimeUpdateStrategy | None) -> int:
        """Advance every clock by one frame; return the fixed steps to run (engine use)."""
        real = self.real
        step = strategy.duration if strategy is not None and strategy.manual else real.tick()
        real.delta = step
        real.elapsed += step
        virtual = self.virtual
        vstep = 0.0 if virtual.paused else min(step, virtual.max_delta) * virtual.relative_speed
        virtual.delta = vstep
        virtual.elapsed += vstep
        self.frame_count += 1
        return self.fixed.accumulate(vstep)

    def enter_fixed_step(self) -> None:
        """Advance the fixed clock by one step and switch ``delta`` to it (engine use)."""
        fixed = self.fixed
        fixed.delta = fixed.timestep
        fixed.elapsed += fixed.timestep
        self._in_fixed = True

    def exit_fixed_step(self) -> None:
        """Switch ``delta`` back to the virtual clock (engine use)."""
        self._in_fixed = False

    def __repr__(self) -> str:
        return (
            f"Time(frame={self.frame_count}, delta={self.delta:.6f}, "
            f"elapsed={self.elapsed:.6f}, fixed_steps={self.fixed.steps_this_frame})"
        )
