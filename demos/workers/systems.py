"""The workers demo's simulation systems: physics and AI, each on its own worker thread.

Both are heavy enough (all-pairs numpy over a few hundred thousand pairs) for the executor
to dispatch them to worker threads, and they share nothing writable: physics owns
:class:`Bodies`, AI owns :class:`Brains`, and results cross over as ``TransferHandle`` s in
the :class:`Links` mailboxes (read-only resources from the scheduler's point of view): the
AI steers from the bodies physics sent last frame, physics applies the steering the AI sent
last frame. The simulation advances a fixed ``DT`` per frame, so a run is deterministic and
identical on one thread or many.
"""

from __future__ import annotations

import numpy as np

from framealloc_engine import tags
from framealloc_engine.app import Res, ResMut, Time
from framealloc_engine.bridge import AllocResource

from .ai import ai_step
from .links import Links, ThreadLedger
from .physics import physics_step
from .state import ArenaConfig, Bodies, Brains

__all__ = ["AI", "DT", "PHYSICS", "ai_system", "physics_system"]

#: Simulated seconds per frame.
DT = 1.0 / 60.0
PHYSICS = "physics"
AI = "ai"


def physics_system(
    bodies: ResMut[Bodies],
    links: Res[Links],
    ledger: Res[ThreadLedger],
    arena: Res[ArenaConfig],
    alloc: AllocResource,
    time: Time,
) -> None:
    """Apply last frame's steering, step the bodies, and send the results on."""
    a = alloc.alloc
    record, start = ledger.value.enter(a)
    frame = time.frame_count
    lk = links.value
    b = bodies.value
    with a.phase_scope(PHYSICS), a.with_tag(tags.PHYSICS):
        handle = lk.to_physics.take(frame)
        steer = handle.receive().array if handle is not None else None
        contacts = physics_step(a, arena.value, b, steer)
        to_ai = lk.to_ai.pack(frame, b.state)
        lk.to_ai.post(frame, a.frame_box_for_transfer(to_ai).send())
        to_render = lk.to_render.pack(frame, contacts)
        lk.to_render.post(frame, a.frame_box_for_transfer(to_render).send())
    ledger.value.leave(PHYSICS, record, a, frame, start)


def ai_system(
    brains: ResMut[Brains],
    links: Res[Links],
    ledger: Res[ThreadLedger],
    arena: Res[ArenaConfig],
    alloc: AllocResource,
    time: Time,
) -> None:
    """Compute steering from the bodies physics sent last frame, and send it back."""
    a = alloc.alloc
    record, start = ledger.value.enter(a)
    frame = time.frame_count
    lk = links.value
    cfg = arena.value
    with a.phase_scope(AI), a.with_tag(tags.SCRIPTING):
        steer = a.frame_alloc(np.float32, (2, cfg.n))
        handle = lk.to_ai.take(frame)
        if handle is None:  # the first frame: physics has not published yet
            steer.fill(0.0)
        else:
            ai_step(a, cfg, handle.receive().array, brains.value, frame * DT, steer)
        packet = lk.to_physics.pack(frame, steer)
        lk.to_physics.post(frame, a.frame_box_for_transfer(packet).send())
    ledger.value.leave(AI, record, a, frame, start)
