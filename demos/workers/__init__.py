"""Workers: physics and AI systems in parallel on worker threads, talking through transfers.

Run ``python -m demos.workers`` or
``python -m demos.workers --headless --frames 300 --screenshot workers.png``
(``--single-threaded`` gives the very same simulation on one thread).

Prey flock and flee, hunters chase: physics (all-pairs separation, contacts, catches) and
AI (flocking, fleeing, chasing) are heavy numpy systems that the executor runs at the same
time on two worker threads, each allocating its temporaries from its own frame arena under
its own per-thread budget. Results cross threads only as ``TransferHandle`` s; at each
frame's end the threads meet at the app's ``FrameBarrier``. The panel on the right shows
all of it.
"""

from __future__ import annotations

import os
from typing import Any

from framealloc_engine import MIB, BudgetExceededPolicy, ThreadBudgetConfig
from framealloc_engine.app import App, ExecutorSettings, Update, system
from framealloc_engine.bridge import AllocResource

from .._harness import DemoOptions, demo_main
from ..assets import load_json
from .links import BarrierProbe, Links, ThreadLedger
from .render import PANEL_W, ArenaCanvas, PanelState, draw_agents, draw_panel
from .state import ArenaConfig, Bodies, Brains
from .systems import DT, ai_system, physics_system

__all__ = ["ARENA_ORIGIN", "BUDGET", "NAME", "SIZE", "build", "details", "main"]

NAME = "workers"
SIZE = (PANEL_W + 700, 540)
#: Where the arena is drawn (the panel is left of it).
ARENA_ORIGIN = (PANEL_W, 0)
#: Each simulation thread's budgets: frame temporaries per frame, live pool bytes.
BUDGET = ThreadBudgetConfig(
    frame_budget=8 * MIB,
    pool_budget=1 * MIB,
    frame_exceeded_policy=BudgetExceededPolicy.WARN,
    pool_exceeded_policy=BudgetExceededPolicy.WARN,
    warning_threshold=90,
)


def build(app: App, options: DemoOptions) -> None:
    """Load the arena, create the state and add the systems.

    ``options.extra`` may set ``prey`` and ``hunters`` (agent counts) and ``threads``
    (executor threads, main included; default ``max(3, cpu_count)``).
    """
    alloc = app.resource(AllocResource).alloc
    overrides = {k: int(options.extra[k]) for k in ("prey", "hunters") if k in options.extra}
    cfg = ArenaConfig.from_json(load_json("workers", "arena.json"), **overrides)
    if not options.single_threaded:
        threads = int(options.extra.get("threads", max(3, os.cpu_count() or 1)))
        app.set_executor(ExecutorSettings.multi_threaded(threads=threads))
    app.insert_resource(cfg)
    app.insert_resource(Bodies(alloc, cfg, options.seed, DT))
    app.insert_resource(Brains(alloc, cfg, options.seed, DT))
    app.insert_resource(Links(alloc, cfg.n))
    app.insert_resource(ThreadLedger(BUDGET))
    app.insert_resource(BarrierProbe(app.frame_barrier))
    app.insert_resource(ArenaCanvas.create(alloc, cfg))
    app.insert_resource(PanelState())
    app.add_systems(
        Update,
        physics_system,
        ai_system,
        system(draw_agents).after(physics_system, ai_system).on_main_thread(),
        system(draw_panel).after(draw_agents).on_main_thread(),
    )


def details(app: App) -> dict[str, Any]:
    """Summary lines (numbers, so tests can read them): threads, overlap, barrier,
    transfers, budgets."""
    ledger = app.resource(ThreadLedger)
    stats = app.frame_barrier.stats()
    transfers = app.resource(AllocResource).alloc.transfer_stats()
    links = app.resource(Links)
    return {
        "threads": {name: sorted(threads) for name, threads in sorted(ledger.threads_of.items())},
        "overlapping frames": ledger.overlapping_frames,
        "barrier frames": stats.generations,
        "barrier waits": stats.waits,
        "barrier mean wait us": round(stats.mean_wait_time * 1e6, 1),
        "transfers sent": transfers.initiated,
        "transfers received": transfers.received,
        "transfers across threads": sum(box.crossed for box in links.mailboxes),
        "frame budget peaks": {
            r.name: r.budget.frame_peak for r in ledger.threads.values() if r.budget is not None
        },
        "budget overruns": sum(
            r.budget.exceeded_count for r in ledger.threads.values() if r.budget is not None
        ),
        "caught": app.resource(Bodies).catches,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: see ``python -m demos.workers --help``."""
    return demo_main(NAME, build, argv, size=SIZE, details=details)
