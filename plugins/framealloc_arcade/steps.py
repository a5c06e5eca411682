"""Fold arcade's ``on_update`` calls into the frame's ``FixedUpdate`` steps.

arcade calls ``on_update`` at its update rate and ``on_draw`` at its draw rate, which may be
slower: several updates can come between two draws. One app frame is one draw; the updates
since the previous draw become exactly that many ``FixedUpdate`` steps of the window's update
period. The engine decides the steps from ``Time``'s fixed-clock accumulator, so before each
frame the runner sets the accumulator to hold those steps plus the fraction of an update
period since the last update (what ``Time.fixed.overstep_fraction`` then reports, for
interpolation).
"""

from __future__ import annotations

from framealloc_engine.app import Time

__all__ = ["prime_fixed_steps"]

#: The fraction is kept this far from whole steps, so float rounding never adds or drops one.
EDGE = 1e-3


def prime_fixed_steps(time: Time, frame_seconds: float, steps: int, fraction: float) -> int:
    """Make the next frame, advancing ``Time`` by ``frame_seconds``, run ``steps`` fixed steps.

    Mirrors ``Time.advance``: virtual time moves by ``frame_seconds`` capped at
    ``virtual.max_delta`` and scaled by ``virtual.relative_speed``; a paused virtual clock
    runs no step (the updates are dropped, as game time stands still). Steps beyond
    ``fixed.max_steps_per_frame`` are dropped by the engine and counted in
    ``fixed.dropped_steps``.

    Args:
        time: The app's ``Time`` resource.
        frame_seconds: The real duration the coming frame will advance by.
        steps: arcade updates since the previous frame.
        fraction: Share of an update period elapsed since the last update.

    Returns:
        The steps the frame will run.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    virtual = time.virtual
    fixed = time.fixed
    if virtual.paused:
        steps, vstep = 0, 0.0
    else:
        vstep = min(frame_seconds, virtual.max_delta) * virtual.relative_speed
    fraction = min(max(fraction, EDGE), 1.0 - EDGE)
    fixed.overstep = (steps + fraction) * fixed.timestep - vstep
    return min(steps, fixed.max_steps_per_frame)
