"""``OverlayState`` (the overlay's resource) and the panel it draws.

Graphs are redrawn every frame (numpy, frame memory); text is rebuilt every ``refresh``
frames and rendered through a :class:`~framealloc_overlay.text.TextCache`, so a steady frame
mostly blits surfaces it already has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pygame

from framealloc_engine import DiagnosticKind, SmartAlloc
from framealloc_engine.bridge import AllocResource
from framealloc_engine.monitoring import DiagnosticsHooks
from framealloc_overlay.graph import StackedGraph
from framealloc_overlay.history import MemoryHistory, SeriesRing
from framealloc_overlay.text import TextCache, format_bytes
from framealloc_pygame import FrameClock

__all__ = ["PANEL_WIDTH", "SERIES_COLORS", "OverlayState", "draw_panel", "refresh_text"]

RGB = tuple[int, int, int]
Alloc = SmartAlloc | AllocResource

PANEL_WIDTH = 292
PANEL_ALPHA = 200
MARGIN = 8
GRAPH_HEIGHT = 40
TIME_GRAPH_HEIGHT = 22
#: The frame-time graph's top edge is at least two 60 Hz frames.
TIME_GRAPH_TOP_US = 33_333
#: Series colours (Okabe-Ito, colour-blind safe); the last one is "other".
SERIES_COLORS: tuple[RGB, ...] = (
    (86, 180, 233),
    (230, 159, 0),
    (0, 158, 115),
    (240, 228, 66),
    (204, 121, 167),
    (213, 94, 0),
    (160, 160, 170),
)
BACKGROUND: RGB = (14, 16, 30)
PANEL_RGB: RGB = (8, 10, 20)
TEXT: RGB = (226, 230, 240)
DIM: RGB = (150, 156, 176)
ACCENT: RGB = (120, 210, 255)
WARN: RGB = (255, 196, 80)
ERROR: RGB = (255, 110, 100)
OK: RGB = (120, 220, 140)


@dataclass
class BudgetRow:
    """One budget line: label, bytes used, limit (0: none)."""

    label: str
    used: int
    limit: int


@dataclass
class OverlayState:
    """The overlay's resource: visibility, history and what the panel shows.

    Attributes:
        visible: Whether the panel is drawn.
        key: The toggle key (``pygame.K_F3``).
        history: Memory per app frame, per tag/phase/kind.
        refresh: Frames between text updates.
        behaviour_every: Frames between behaviour-report updates.
        frames_drawn: Frames the panel was drawn (tests and curious users).
    """

    visible: bool = True
    key: int = pygame.K_F3
    history: MemoryHistory = field(default_factory=MemoryHistory)
    refresh: int = 10
    behaviour_every: int = 60
    frames_drawn: int = 0
    hooks: DiagnosticsHooks | None = None
    shared_hooks: DiagnosticsHooks | None = None
    clock: FrameClock | None = None
    frame_us: np.ndarray = field(default_factory=lambda: np.zeros((1, 120), np.int64))
    scratch: np.ndarray = field(default_factory=lambda: np.zeros((), np.int64))
    time_head: int = -1
    countdown: int = 0
    behaviour_countdown: int = 0
    fps: float = 0.0
    frame_text: str = ""
    kinds_text: str = ""
    tag_title: str = ""
    phase_title: str = ""
    tag_legend: list[tuple[str, RGB]] = field(default_factory=list)
    phase_legend: list[tuple[str, RGB]] = field(default_factory=list)
    budgets: list[BudgetRow] = field(default_factory=list)
    behaviour: list[tuple[str, RGB]] = field(default_factory=list)
    text: TextCache | None = None
    small: TextCache | None = None
    graphs: dict[str, StackedGraph] = field(default_factory=dict)
    background: pygame.Surface | None = None

    def attach(self, alloc: SmartAlloc) -> DiagnosticsHooks:
        """Start the memory history (once): read :attr:`shared_hooks` if set, else attach
        new hooks to ``alloc`` (replacing any attached before)."""
        if self.hooks is None:
            hooks = self.shared_hooks
            if hooks is None:
                # A short snapshot history: the overlay keeps its own per-app-frame columns,
                # and a full deque recycles snapshots instead of growing.
                hooks = alloc.attach_diagnostics_hooks(DiagnosticsHooks(history=64))
            self.hooks = hooks
            self.history.attach(hooks)
        return self.hooks

    def record_frame_time(self, seconds: float) -> None:
        """Add one frame time (microseconds) to the frame-time ring."""
        frames = self.frame_us.shape[1]
        self.time_head = (self.time_head + 1) % frames
        self.frame_us[0, self.time_head] = int(seconds * 1e6)

    def ensure_drawing(self) -> tuple[TextCache, TextCache, pygame.Surface]:
        """Fonts, graphs and the panel background, created on first use (needs pygame).

        Returns:
            The text caches (normal, small) and the panel background.
        """
        if self.text is not None and self.small is not None and self.background is not None:
            return self.text, self.small, self.background
        if not pygame.font.get_init():
            pygame.font.init()
        self.text = TextCache(pygame.font.Font(None, 18))
        self.small = TextCache(pygame.font.Font(None, 16))
        frames = self.history.frames
        width = PANEL_WIDTH - 2 * MARGIN
        rows = self.history.tags.values.shape[0]
        colors = SERIES_COLORS[:rows - 1] + (SERIES_COLORS[-1],)
        self.graphs = {
            "time": StackedGraph((width, TIME_GRAPH_HEIGHT), self.frame_us.shape[1],
                                 (ACCENT,), BACKGROUND, min_top=TIME_GRAPH_TOP_US),
            "tags": StackedGraph((width, GRAPH_HEIGHT), frames, colors, BACKGROUND),
            "phases": StackedGraph((width, GRAPH_HEIGHT), frames, colors, BACKGROUND),
        }
        self.background = pygame.Surface((PANEL_WIDTH, 2048), pygame.SRCALPHA, 32)
        self.background.fill((*PANEL_RGB, PANEL_ALPHA))
        return self.text, self.small, self.background


def _legend(ring: SeriesRing, column: int) -> list[tuple[str, RGB]]:
    rows = ring.values.shape[0]
    out = []
    for i, (name, value) in enumerate(ring.latest(column)):
        color = SERIES_COLORS[i] if i < rows - 1 else SERIES_COLORS[-1]
        out.append((f"{name[:14]} {format_bytes(value)}", color))
    return out


def _budget_rows(alloc: Alloc) -> list[BudgetRow]:
    rows: list[BudgetRow] = []
    manager = alloc.budget_manager
    if manager is not None:
        if manager.global_limit:
            rows.append(BudgetRow("global", manager.current_usage, manager.global_limit))
        for tag, budget in sorted(manager.tag_budgets().items()):
            if budget.hard_limit or budget.soft_limit:
                limit = budget.hard_limit or budget.soft_limit
                rows.append(BudgetRow(f"tag {tag}", budget.current, limit))
    for thread in alloc.stats().threads:
        config = alloc.thread_budget_config(thread.thread_id)
        if config is None:
            continue
        name = thread.thread_name[:12]
        if config.frame_budget:
            rows.append(BudgetRow(f"{name} frame", thread.frame_peak, config.frame_budget))
        if config.pool_budget:
            pool = thread.pool_bytes_allocated - thread.pool_bytes_freed
            rows.append(BudgetRow(f"{name} pool", max(pool, 0), config.pool_budget))
    return rows


def _behaviour_rows(alloc: Alloc) -> list[tuple[str, RGB]]:
    flt = alloc.behavior_filter
    if flt is None or not flt.enabled:
        return [("behaviour filter off", DIM)]
    report = alloc.behavior_report()
    errors = report.count(DiagnosticKind.ERROR)
    warnings = report.count(DiagnosticKind.WARNING)
    hints = report.count(DiagnosticKind.HINT)
    color = ERROR if errors else WARN if warnings else OK
    rows = [(f"behaviour: {errors} errors, {warnings} warnings, {hints} hints", color)]
    for issue in report.issues[:3]:
        level = ERROR if issue.level is DiagnosticKind.ERROR else (
            WARN if issue.level is DiagnosticKind.WARNING else DIM)
        tag = issue.tag or "(untagged)"
        rows.append((f"{issue.code} {tag}: {issue.message}"[:46], level))
    return rows


def refresh_text(state: OverlayState, alloc: Alloc) -> None:
    """Rebuild every text line from the history, the budgets and the behaviour filter."""
    history = state.history
    column = max(history.head, 0)
    times = state.frame_us[0]
    last_us = int(times[max(state.time_head, 0)])
    fps = f"  {state.fps:.0f} fps" if state.fps > 0 else ""
    np.maximum.reduce(times, out=state.scratch)
    slowest = int(state.scratch) / 1000
    state.frame_text = f"frame {last_us / 1000:.2f} ms  max {slowest:.2f} ms{fps}"
    kinds = history.kinds
    state.kinds_text = (
        f"frame {format_bytes(int(kinds[0, column]))}  pool {format_bytes(int(kinds[1, column]))}"
        f"  heap {format_bytes(int(kinds[2, column]))}"
    )
    state.tag_title = "per tag"
    state.phase_title = "per phase"
    state.tag_legend = _legend(history.tags, column)
    state.phase_legend = _legend(history.phases, column)
    state.budgets = _budget_rows(alloc)
    if state.behaviour_countdown <= 0 or not state.behaviour:
        state.behaviour_countdown = state.behaviour_every
        state.behaviour = _behaviour_rows(alloc)
    state.behaviour_countdown -= state.refresh


def _section(
    surface: pygame.Surface, text: TextCache, x: int, y: int, title: str, top: int
) -> int:
    surface.blit(text.render(title, DIM), (x, y))
    label = text.render(f"max {format_bytes(top)}", DIM, slot=("max", title))
    surface.blit(label, (x + PANEL_WIDTH - 2 * MARGIN - label.get_width(), y))
    return y + text.line_height


def _legend_rows(
    surface: pygame.Surface,
    small: TextCache,
    x: int,
    y: int,
    legend: list[tuple[str, RGB]],
    name: str,
) -> int:
    column_width = (PANEL_WIDTH - 2 * MARGIN) // 2
    for i, (label, color) in enumerate(legend):
        cx = x + (i % 2) * column_width
        cy = y + (i // 2) * small.line_height
        surface.fill(color, (cx, cy + 3, 8, 8))
        surface.blit(small.render(label, TEXT, slot=(name, i)), (cx + 12, cy))
    return y + ((len(legend) + 1) // 2) * small.line_height


def draw_panel(surface: pygame.Surface, state: OverlayState, alloc: Alloc) -> pygame.Rect:
    """Draw the panel in the top-right corner of ``surface``; returns the area covered."""
    text, small, background = state.ensure_drawing()
    history = state.history
    graphs = state.graphs
    left = max(0, surface.get_width() - PANEL_WIDTH - MARGIN)
    top = MARGIN
    height = _panel_height(state, text, small)
    surface.blit(background, (left, top), (0, 0, PANEL_WIDTH, height))
    x, y = left + MARGIN, top + 6
    surface.blit(text.render("framealloc overlay", ACCENT), (x, y))
    parts = getattr(alloc, "backend", None)  # which backend runs the hot paths
    hint = small.render(f"{parts.name} · F3 hides" if parts is not None else "F3 hides", DIM)
    surface.blit(hint, (left + PANEL_WIDTH - MARGIN - hint.get_width(), y + 2))
    y += text.line_height + 2
    surface.blit(text.render(state.frame_text, TEXT, slot="frame"), (x, y))
    y += text.line_height
    graphs["time"].draw(alloc, state.frame_us, (state.time_head + 1) % state.frame_us.shape[1])
    surface.blit(graphs["time"].surface, (x, y))
    y += TIME_GRAPH_HEIGHT + 4
    surface.blit(text.render(state.kinds_text, TEXT, slot="kinds"), (x, y))
    y += text.line_height + 2
    start = history.start()
    for name, ring, title, legend in (
        ("tags", history.tags, state.tag_title, state.tag_legend),
        ("phases", history.phases, state.phase_title, state.phase_legend),
    ):
        graph = graphs[name]
        graph.draw(alloc, ring.values, start)
        y = _section(surface, text, x, y, title, graph.top)
        surface.blit(graph.surface, (x, y))
        y += GRAPH_HEIGHT + 3
        y = _legend_rows(surface, small, x, y, legend, name) + 4
    if state.budgets:
        surface.blit(text.render("budgets", DIM), (x, y))
        y += text.line_height
        bar_width = PANEL_WIDTH - 2 * MARGIN
        for i, row in enumerate(state.budgets):
            share = min(1.0, row.used / row.limit) if row.limit else 0.0
            color = ERROR if share >= 1.0 else WARN if share >= 0.8 else OK
            surface.fill(BACKGROUND, (x, y + small.line_height - 1, bar_width, 3))
            surface.fill(color, (x, y + small.line_height - 1, int(bar_width * share), 3))
            label = f"{row.label[:20]} {format_bytes(row.used)} / {format_bytes(row.limit)}"
            surface.blit(small.render(label, TEXT, slot=("budget", i)), (x, y))
            y += small.line_height + 3
        y += 2
    for i, (line, color) in enumerate(state.behaviour):
        surface.blit(small.render(line, color, slot=("behaviour", i)), (x, y))
        y += small.line_height
    state.frames_drawn += 1
    return pygame.Rect(left, top, PANEL_WIDTH, height)


def _panel_height(state: OverlayState, text: TextCache, small: TextCache) -> int:
    lines = text.line_height
    height = 6 + lines + 2 + lines + TIME_GRAPH_HEIGHT + 4 + lines + 2
    for legend in (state.tag_legend, state.phase_legend):
        height += lines + GRAPH_HEIGHT + 3 + ((len(legend) + 1) // 2) * small.line_height + 4
    if state.budgets:
        height += lines + len(state.budgets) * (small.line_height + 3) + 2
    return height + len(state.behaviour) * small.line_height + 6
