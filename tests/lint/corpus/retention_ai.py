"""Utility AI that keeps some per-frame results: retention policies and promotions."""

from __future__ import annotations

import numpy as np

from framealloc_engine import Importance, RetentionPolicy, SmartAlloc, tags


class Brain:
    def __init__(self, alloc: SmartAlloc, agents: int) -> None:
        self.alloc = alloc
        self.agents = agents
        self.memory: list[np.ndarray] = []
        self.scores = np.zeros(agents, np.float32)

    def think(self, threat: np.ndarray) -> None:
        with self.alloc.with_tag(tags.SCRIPTING):
            utility = self.alloc.frame_alloc(np.float32, (self.agents, 4))
            utility[:, 0] = threat
            utility[:, 1] = 1.0 - threat
            utility[:, 2:] = 0.25
            self.scores[:] = utility.max(axis=1)
            plan = self.alloc.frame_retained(
                np.int32, self.agents, RetentionPolicy.PROMOTE_TO_POOL
            )
            plan[:] = utility.argmax(axis=1)
            debug = self.alloc.frame_retained(  # expect: FA604
                np.float32, self.agents, RetentionPolicy.DISCARD
            )
            debug[:] = threat
            focus = self.alloc.frame_with_importance(  # expect: FA604
                np.float32, 4, Importance.EPHEMERAL
            )
            focus[:] = utility.mean(axis=0)
            self.focus = focus  # expect: FA605

    def frame(self, threat: np.ndarray) -> None:
        self.alloc.begin_frame()
        self.think(threat)
        promoted = self.alloc.end_frame_with_promotions()
        self.memory.extend(p.data for p in promoted)
        del self.memory[:-32]
