"""The diagnostics overlay: F3 in a real window, graph data, budgets, behaviour, no allocation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pygame
import pytest

from demos._harness import DemoOptions, run_demo
from demos._probe import AllocProbe
from framealloc_engine import AllocConfig, SmartAlloc, ThreadBudgetConfig, tags
from framealloc_engine.app import App, ExecutorSettings, Last, Res, ResMut, Startup, Update, system
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin
from framealloc_engine.errors import PluginMissingError
from framealloc_engine.monitoring.hooks import DiagnosticsHooks
from framealloc_overlay import (
    MemoryHistory,
    OverlayPlugin,
    OverlaySet,
    OverlayState,
    StackedGraph,
    TextCache,
    format_bytes,
)
from framealloc_overlay.panel import ACCENT, PANEL_WIDTH, SERIES_COLORS
from framealloc_pygame import PygamePlugin, Screen

pytestmark = pytest.mark.timeout(60)

SIZE = (480, 400)
CLEAR = (0, 40, 0)


@dataclass
class Load:
    """How many float32 items each system frame-allocates this frame."""

    physics: int = 1000
    render: int = 500
    seen_threads: set[str] = field(default_factory=set)


def physics(alloc: AllocResource, load: Res[Load]) -> None:
    with alloc.phase_scope("physics"), alloc.with_tag(tags.PHYSICS):
        alloc.frame_alloc(np.float32, load.value.physics).fill(1.0)


def render(alloc: AllocResource, load: ResMut[Load]) -> None:
    load.value.seen_threads.add(threading.current_thread().name)
    with alloc.phase_scope("render"), alloc.with_tag(tags.RENDERING):
        alloc.frame_alloc(np.float32, load.value.render).fill(2.0)


def _app(alloc: SmartAlloc | None = None, **overlay: object) -> App:
    app = App(executor=ExecutorSettings.multi_threaded(threads=2, inline_threshold=0.0))
    app.add_plugins(
        SmartAllocPlugin(alloc=alloc or SmartAlloc(AllocConfig())),
        PygamePlugin(SIZE, clear_color=CLEAR, fps=0.0),
        OverlayPlugin(**overlay),  # type: ignore[arg-type]
    )
    app.init_resource(Load)
    app.add_systems(Update, physics, render)
    return app


def _panel_area(surface: pygame.Surface) -> np.ndarray:
    left = SIZE[0] - PANEL_WIDTH - 8
    return pygame.surfarray.array3d(surface)[left : left + PANEL_WIDTH, 8:300]


def _non_clear(area: np.ndarray) -> int:
    return int((area != np.array(CLEAR)).any(axis=2).sum())


def _count_color(area: np.ndarray, color: tuple[int, int, int]) -> int:
    return int((area == np.array(color)).all(axis=2).sum())


@pytest.fixture
def real_window(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)  # Xvfb's X server
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    yield
    pygame.quit()


@pytest.fixture
def dummy_video(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    yield
    pygame.quit()


def _press(key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_f3_shows_and_hides_the_panel_in_a_real_window() -> None:
    app = _app(visible=False, history=8)  # wide bars
    load = app.resource(Load)
    load.physics, load.render = 400_000, 200_000  # well above the overlay's own bytes
    try:
        for _ in range(5):
            app.update()
        assert pygame.display.get_driver() == "x11"
        display = pygame.display.get_surface()
        assert display is not None
        assert _non_clear(_panel_area(display)) == 0  # hidden: only the clear colour
        state = app.resource(OverlayState)
        assert state.hooks is None  # a hidden overlay has attached nothing yet
        _press(pygame.K_F3)
        app.update()  # First pumps the key, Last draws
        assert state.visible
        assert state.hooks is not None
        for _ in range(3):
            app.update()
        area = _panel_area(display)
        assert _non_clear(area) > PANEL_WIDTH * 150  # a filled panel
        assert _count_color(area, ACCENT) > 100  # frame-time bars
        assert _count_color(area, SERIES_COLORS[0]) > 50  # the first tag's bars
        assert _count_color(area, SERIES_COLORS[1]) > 50  # the second tag's bars
        assert state.frames_drawn == 4
        _press(pygame.K_F3)
        app.update()
        assert not state.visible
        assert _non_clear(_panel_area(display)) == 0
        assert state.frames_drawn == 4
    finally:
        app.shutdown()


@pytest.mark.usefixtures("dummy_video")
def test_graph_columns_follow_the_allocations_summed_over_threads() -> None:
    app = _app(visible=True, history=16)
    try:
        state = app.resource(OverlayState)
        load = app.resource(Load)
        sizes = [(1000, 500), (2000, 500), (4000, 100), (1000, 1000)]
        for physics_n, render_n in sizes:
            load.physics, load.render = physics_n, render_n
            app.update()
        app.update()  # the last frame's column is folded in the next frame
        history = state.history
        assert history.tags.names[:2] == [tags.PHYSICS, tags.RENDERING]
        assert "physics" in history.phases.names
        assert "render" in history.phases.names
        # columns are app frames; the first frame ended before any column was taken
        order = history.columns()
        assert len(order) == len(sizes)
        phys_row = history.tags.row(tags.PHYSICS)
        rend_row = history.tags.row(tags.RENDERING)
        got = [
            (int(history.tags.values[phys_row, c]), int(history.tags.values[rend_row, c]))
            for c in order
        ]
        assert got[-len(sizes) :] == [(4 * p, 4 * r) for p, r in sizes]
        frame_row = [int(history.kinds[0, c]) for c in order][-len(sizes) :]
        ui = history.tags.row(tags.UI)  # the overlay's own graph temporaries
        assert all(f >= 4 * p + 4 * r for f, (p, r) in zip(frame_row, sizes, strict=True))
        assert int(history.tags.values[ui, order[-1]]) > 0
        graph = state.hooks.get_memory_graph_data(4) if state.hooks else None
        assert graph is not None
        assert tags.PHYSICS in graph.by_tag
    finally:
        app.shutdown()


@pytest.mark.usefixtures("dummy_video")
def test_budgets_and_behaviour_issues_are_listed() -> None:
    alloc = SmartAlloc(AllocConfig().with_budgets(True).with_memory_limit(256 << 20))
    alloc.budgets().register_tag(tags.PHYSICS, soft_limit=2048, hard_limit=1 << 20)
    alloc.enable_behavior_filter()
    app = _app(alloc, visible=True, refresh=1, behaviour_every=1)

    def set_thread_budget(a: AllocResource) -> None:
        a.set_thread_budget_config(None, ThreadBudgetConfig(frame_budget=8 << 20))

    def pool_as_scratch(a: AllocResource) -> None:  # FA510: pool blocks freed in-frame
        with a.with_tag("scratchy"):
            a.pool_free(a.pool_alloc(np.float32, 4))

    app.add_systems(Startup, system(set_thread_budget).on_main_thread())
    app.add_systems(Update, pool_as_scratch)
    try:
        for _ in range(30):
            app.update()
        state = app.resource(OverlayState)
        labels = {row.label: row for row in state.budgets}
        assert labels["global"].limit == 256 << 20
        assert labels[f"tag {tags.PHYSICS}"].limit == 1 << 20
        main = [row for row in state.budgets if row.label.endswith(" frame")]
        assert main
        assert main[0].limit == 8 << 20
        assert main[0].used > 0
        text = [line for line, _ in state.behaviour]
        assert text[0].startswith("behaviour: 0 errors, 0 warnings, 1 hints")
        assert any(line.startswith("FA510 scratchy") for line in text)
    finally:
        app.shutdown()


@pytest.mark.usefixtures("dummy_video")
def test_drawing_the_panel_allocates_no_numpy_memory() -> None:
    app = _app(visible=True, refresh=5)
    probe = AllocProbe()
    app.thread_hooks.begin.append(probe.install_here)
    try:
        for _ in range(40):
            app.update()
        state = app.resource(OverlayState)
        drawn = state.frames_drawn
        with probe:
            for _ in range(40):
                app.update()
        assert state.frames_drawn == drawn + 40
        assert probe.numpy_allocations == 0
        small = state.small
        assert small is not None
        renders = small.renders
        for _ in range(5):
            app.update()
        assert small.renders - renders <= 16  # only the lines whose text changed
    finally:
        app.shutdown()


def test_overlay_needs_the_allocator(dummy_video: None) -> None:
    app = App().add_plugins(PygamePlugin((64, 64)), OverlayPlugin())
    with pytest.raises(PluginMissingError, match="SmartAllocPlugin"):
        app.finish_plugins()
    with pytest.raises(ValueError, match="refresh"):
        OverlayPlugin(refresh=0)


@pytest.mark.usefixtures("dummy_video")
def test_shared_hooks_are_used_not_replaced() -> None:
    alloc = SmartAlloc(AllocConfig())
    hooks = alloc.attach_diagnostics_hooks(DiagnosticsHooks(history=10))
    app = _app(alloc, visible=False, hooks=hooks)
    try:
        for _ in range(3):
            app.update()
        assert app.resource(OverlayState).hooks is hooks
        assert alloc.diagnostics_hooks() is hooks
        assert app.resource(OverlayState).history.recorded == 2
    finally:
        app.shutdown()


@pytest.mark.usefixtures("dummy_video")
def test_harness_screenshot_includes_the_overlay(tmp_path: Path) -> None:
    def show_overlay(state: ResMut[OverlayState]) -> None:
        state.value.visible = True

    def build(app: App, options: DemoOptions) -> None:
        app.init_resource(Load)
        app.add_systems(Startup, show_overlay)
        app.add_systems(Update, physics, render)

    shot = tmp_path / "shot.png"
    options = DemoOptions(headless=True, frames=5, screenshot=shot, quiet=True)
    report = run_demo("overlay", build, options, size=SIZE)
    assert report.exit_code == 0
    area = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    left = SIZE[0] - PANEL_WIDTH - 8
    assert _count_color(area[left : left + PANEL_WIDTH], ACCENT) > 100


def test_overlay_set_orders_late_drawing(dummy_video: None) -> None:
    order: list[str] = []

    def late_draw(screen: ResMut[Screen]) -> None:
        order.append("draw")

    def after_overlay(screen: Res[Screen], state: Res[OverlayState]) -> None:
        order.append(f"after:{state.value.frames_drawn}")

    app = _app(visible=True)
    app.add_systems(Last, system(after_overlay).after(OverlaySet))
    app.add_systems(Last, system(late_draw).before(OverlaySet))
    try:
        app.update()
        assert order == ["draw", "after:1"]
    finally:
        app.shutdown()


def test_stacked_graph_rasterises_the_stacks(dummy_video: None) -> None:
    pygame.init()
    colors = [(255, 0, 0), (0, 0, 255)]
    graph = StackedGraph((4, 10), 4, colors, (0, 0, 0))
    values = np.array([[1, 2, 0, 5], [1, 3, 0, 5]], np.int64)  # stacks 2, 5, 0, 10
    alloc = SmartAlloc.with_defaults()
    with alloc.frame_scope():
        top = graph.draw(alloc, values, start=0)
    assert top == 10
    pixels = pygame.surfarray.array3d(graph.surface)
    column = [tuple(p) for p in pixels[3]]  # 5 red below 5 blue, bottom up
    assert column == [(0, 0, 255)] * 5 + [(255, 0, 0)] * 5
    assert [tuple(p) for p in pixels[2]] == [(0, 0, 0)] * 10
    assert [tuple(p) for p in pixels[0]][-2:] == [(0, 0, 255), (255, 0, 0)]
    with alloc.frame_scope():
        graph.draw(alloc, values, start=3)  # oldest column first: 3, 0, 1, 2
    assert [tuple(p) for p in pygame.surfarray.array3d(graph.surface)[0]][-1] == (255, 0, 0)
    assert tuple(pygame.surfarray.array3d(graph.surface)[3][-1]) == (0, 0, 0)


def test_memory_history_ring_and_overflow() -> None:
    history = MemoryHistory(frames=3, max_series=2)
    assert history.tags.row("a") == 0
    assert history.tags.row("b") == 1
    assert history.tags.row("c") == 2  # "other"
    assert history.tags.row("d") == 2
    assert history.tags.names == ["a", "b", "other"]
    with pytest.raises(ValueError, match="at least 2"):
        MemoryHistory(frames=1)


def test_text_cache_and_bytes() -> None:
    pygame.font.init()
    cache = TextCache(pygame.font.Font(None, 16))
    white = (255, 255, 255)
    first = cache.render("label", white)
    assert cache.render("label", white) is first
    slot = cache.render("1 ms", white, slot="t")
    assert cache.render("1 ms", white, slot="t") is slot
    assert cache.render("2 ms", white, slot="t") is not slot
    assert cache.renders == 3
    assert [format_bytes(n) for n in (0, 1023, 1536, 5 << 20, 3 << 30)] == [
        "0 B", "1023 B", "1.5 KiB", "5.0 MiB", "3.00 GiB",
    ]
