"""The arcade runner plugin: a real arcade window under Xvfb (Mesa's software OpenGL), its
pixels read back from the framebuffer, arcade's updates as fixed steps inside each frame."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

arcade = pytest.importorskip("arcade", reason="the arcade extra is not installed")

from framealloc_arcade import (  # noqa: E402
    ArcadeClock,
    ArcadeDrawSet,
    ArcadeInput,
    ArcadeOverlayPlugin,
    ArcadeOverlaySet,
    ArcadePlugin,
    ArcadeWindow,
    SpriteLists,
)
from framealloc_engine import StrictModeGuard  # noqa: E402
from framealloc_engine.app import (  # noqa: E402
    App,
    AppExit,
    EventWriter,
    ExecutorSettings,
    FixedUpdate,
    Last,
    Res,
    ResMut,
    Startup,
    Time,
    Update,
    system,
)
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin  # noqa: E402

pytestmark = [pytest.mark.window, pytest.mark.timeout(60)]

SIZE = (160, 120)
CLEAR = (0, 40, 0, 255)
RED = (255, 0, 0, 255)
BLUE = (0, 0, 255, 255)


@dataclass
class Log:
    """What the systems saw, frame by frame."""

    fixed_per_frame: list[int] = field(default_factory=list)
    steps_reported: list[int] = field(default_factory=list)
    fixed_deltas: set[float] = field(default_factory=set)
    draw_threads: set[str] = field(default_factory=set)
    images: list[object] = field(default_factory=list)
    just_pressed: list[set[int]] = field(default_factory=list)
    mouse: list[tuple[float, float]] = field(default_factory=list)
    fixed_now: int = 0


def fixed_step(alloc: AllocResource, time: Time, log: ResMut[Log]) -> None:
    scratch = alloc.frame_alloc(np.float32, 64)  # inside a frame: no FA001
    scratch[:] = time.delta
    log.value.fixed_now += 1
    log.value.fixed_deltas.add(round(time.delta, 9))


def draw(
    window: Res[ArcadeWindow], alloc: AllocResource, clock: Res[ArcadeClock], log: ResMut[Log]
) -> None:
    state = log.value
    state.fixed_per_frame.append(state.fixed_now)
    state.fixed_now = 0
    state.steps_reported.append(clock.value.steps_this_frame)
    state.draw_threads.add(threading.current_thread().name)
    corners = alloc.frame_alloc(np.float32, (2, 4))  # left, bottom, width, height
    corners[:] = ((10, 10, 30, 20), (100, 60, 20, 40))
    for (left, bottom, width, height), color in zip(corners.tolist(), (RED, BLUE), strict=True):
        arcade.draw_lbwh_rectangle_filled(left, bottom, width, height, color)


def read_back(clock: Res[ArcadeClock], log: ResMut[Log], window: Res[ArcadeWindow]) -> None:
    """Last, after everything drew: the framebuffer as the window shows it."""
    log.value.images.append(arcade.get_image(0, 0, *window.value.size))


def _app(size: tuple[int, int] = SIZE, **plugin: object) -> App:
    app = App(executor=ExecutorSettings.multi_threaded(threads=2, inline_threshold=0.0))
    app.add_plugins(
        SmartAllocPlugin.minimal(),
        ArcadePlugin(size, "framealloc test", clear_color=CLEAR, **plugin),  # type: ignore[arg-type]
    )
    app.init_resource(Log)
    app.add_systems(FixedUpdate, fixed_step)
    app.add_systems(Update, draw)
    app.add_systems(Last, system(read_back).after(ArcadeDrawSet).after(ArcadeOverlaySet))
    return app


def _pixel(image: object, x: int, y: int) -> tuple[int, ...]:
    """RGBA at window pixel (x, y), origin bottom left as in arcade."""
    height = image.height  # type: ignore[attr-defined]
    return tuple(image.getpixel((x, height - 1 - y)))  # type: ignore[attr-defined]


def test_window_shows_what_systems_drew_from_frame_memory() -> None:
    app = _app(max_frames=4)
    guard = StrictModeGuard.panic_on_warning()  # any FA diagnostic fails the test
    try:
        assert app.run() == 0
    finally:
        guard.restore()
    log = app.resource(Log)
    assert app.resource(ArcadeClock).frames == 4
    image = log.images[-1]
    assert image.size == SIZE  # type: ignore[attr-defined]
    assert _pixel(image, 20, 20)[:3] == RED[:3]
    assert _pixel(image, 110, 80)[:3] == BLUE[:3]
    assert _pixel(image, 80, 110)[:3] == CLEAR[:3]
    pixels = np.asarray(image)[::-1]  # rows bottom-up, as arcade counts them
    assert (pixels[10:30, 10:40, :3] == RED[:3]).all()
    assert int((pixels[..., :3] == BLUE[:3]).all(axis=2).sum()) == 20 * 40
    assert log.draw_threads == {threading.main_thread().name}  # ArcadeWindow: main thread
    window = app.resource(ArcadeWindow).window
    assert window.closed  # max_frames closed it


def test_updates_between_draws_run_as_fixed_steps_of_that_frame() -> None:
    app = _app(fps=60, update_hz=180, max_frames=12)  # arcade updates ~3 times per draw
    assert app.run() == 0
    log = app.resource(Log)
    clock = app.resource(ArcadeClock)
    assert log.fixed_per_frame == log.steps_reported  # every update, in its own frame
    assert sum(log.fixed_per_frame) == clock.updates >= clock.frames == 12
    assert log.fixed_deltas == {round(1 / 180, 9)}  # fixed steps of the update period
    assert app.resource(Time).fixed.timestep == pytest.approx(1 / 180)


def test_a_known_pattern_of_updates_and_draws() -> None:
    """The callbacks called by hand, in an order arcade's clock could produce under load:
    3 updates then a draw, 1 and a draw, a draw alone, 2 and a draw."""
    app = _app(fps=60, update_hz=180)
    app.finish_plugins()
    window = app.resource(ArcadeWindow).window
    try:
        window.switch_to()
        for updates in (3, 1, 0, 2):
            for _ in range(updates):
                window.dispatch_event("on_update", 1 / 180)
            window.dispatch_event("on_draw")
    finally:
        window.close()
        app.shutdown()
    log = app.resource(Log)
    assert log.fixed_per_frame == [3, 1, 0, 2]
    assert log.steps_reported == [3, 1, 0, 2]
    assert app.resource(ArcadeClock).updates == 6
    assert log.fixed_deltas == {round(1 / 180, 9)}
    assert _pixel(log.images[-1], 20, 20)[:3] == RED[:3]  # each draw a whole frame


def test_input_reaches_systems_and_close_button_sends_app_exit() -> None:
    app = _app()

    def poke(window: Res[ArcadeWindow], clock: Res[ArcadeClock], keys: Res[ArcadeInput],
             log: ResMut[Log]) -> None:  # fmt: skip
        frame = clock.value.frames  # frames completed before this one
        log.value.just_pressed.append(set(keys.value.just_pressed))
        log.value.mouse.append(keys.value.mouse_pos)
        target = window.value.window
        if frame == 1:
            target.dispatch_event("on_key_press", arcade.key.SPACE, 0)
            target.dispatch_event("on_mouse_press", 30, 40, arcade.MOUSE_BUTTON_LEFT, 0)
        elif frame == 3:
            target.dispatch_event("on_close")  # what the window manager's close button does

    app.add_systems(Update, system(poke).on_main_thread())
    assert app.run() == 0
    log = app.resource(Log)
    assert app.resource(ArcadeClock).frames == 4  # the frame in progress finished
    assert log.just_pressed == [set(), set(), {arcade.key.SPACE}, set()]
    assert log.mouse[2] == (30.0, 40.0)
    keys = app.resource(ArcadeInput)
    assert keys.is_pressed(arcade.key.SPACE)
    assert keys.mouse_pressed == {arcade.MOUSE_BUTTON_LEFT}
    assert app.resource(ArcadeWindow).window.closed


def test_app_exit_code_is_returned() -> None:
    def fail_on_third(clock: Res[ArcadeClock], out: EventWriter[AppExit]) -> None:
        if clock.value.frames == 2:
            out.send(AppExit.error(3))

    app = _app(max_frames=10).add_systems(Update, fail_on_third)
    assert app.run() == 3
    assert app.resource(ArcadeClock).frames == 3


def test_sprite_lists_are_drawn_and_the_overlay_shows(tmp_path: Path) -> None:
    def spawn(lists: ResMut[SpriteLists], alloc: AllocResource) -> None:
        ships = lists.value.add("ships")
        spots = alloc.pool_alloc(np.float32, (3, 2))  # positions from pool memory
        spots[:] = ((20, 20), (40, 20), (60, 20))
        for x, y in spots.tolist():
            ships.append(arcade.SpriteSolidColor(8, 8, x, y, color=(255, 255, 0, 255)))
        alloc.pool_free(spots)

    size = (480, 360)  # the panel is about 300 pixels wide
    app = _app(size, max_frames=3).add_systems(Startup, spawn)
    app.add_plugins(ArcadeOverlayPlugin())
    assert app.run() == 0
    image = app.resource(Log).images[-1]
    for x in (20, 40, 60):
        assert _pixel(image, x, 20)[:3] == (255, 255, 0)  # over the red rectangle
    assert _pixel(image, 30, 20)[:3] == RED[:3]  # between two sprites
    assert "ships" in app.resource(SpriteLists)
    assert len(app.resource(SpriteLists)["ships"]) == 3
    # The panel covers the top right: its dark background and bright text over the clear
    # colour; left of it the window is untouched.
    panel = np.asarray(image)[8:200, size[0] - 290 : size[0] - 20, :3].astype(int)
    assert (panel != CLEAR[:3]).any(axis=2).mean() > 0.95  # the panel, not the clear colour
    assert (panel.sum(axis=2) <= 60).mean() > 0.5  # mostly its dark background and graphs
    assert (panel.max(axis=2) > 180).sum() > 200  # text and graphs
    assert _pixel(image, 20, size[1] - 20)[:3] == CLEAR[:3]
    image.save(tmp_path / "arcade-overlay.png")  # to look at when it fails


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="update_hz"):
        ArcadePlugin(fps=60, update_hz=30)
    with pytest.raises(ValueError, match="> 0"):
        ArcadePlugin(fps=0)
    with pytest.raises(ValueError, match="max_frames"):
        ArcadePlugin(max_frames=0)
    with pytest.raises(KeyError, match="add it first"):
        SpriteLists()["nope"]


def test_frame_loop_in_a_window_subclass_of_your_own() -> None:
    from framealloc_arcade import FrameLoop
    from framealloc_engine import FrameExpiredError, SmartAlloc

    class Game(arcade.Window):
        def __init__(self) -> None:
            super().__init__(480, 360, "plain window")
            self.alloc = SmartAlloc()
            self.frames = FrameLoop(self.alloc, overlay=True)
            self.boxes: list[object] = []
            self.updates = 0
            self.drawn: list[int] = []

        def on_update(self, delta_time: float) -> None:
            self.updates += 1
            self.boxes.append(self.alloc.frame_box(self.updates))  # inside the frame

        def on_draw(self) -> None:
            self.clear(color=CLEAR)
            assert self.frames.overlay is not None
            if self.frames.frames == 1:
                self.dispatch_event("on_key_press", arcade.key.F3, 0)  # hide the overlay
            self.frames.next()
            self.drawn.append(self.frames.overlay.frames_drawn)
            if self.frames.frames == 4:
                self.image = arcade.get_image(0, 0, 480, 360)
                self.close()
                self.frames.close()

    game = Game()
    arcade.run()
    assert game.frames.frames == 4
    assert game.updates >= 4
    assert game.drawn == [1, 1, 1, 1]  # drawn in the first frame, hidden from the second on
    assert not game.alloc.frame_active
    with pytest.raises(FrameExpiredError):
        game.boxes[0].get()  # type: ignore[attr-defined]
    assert _pixel(game.image, 400, 300)[:3] == CLEAR[:3]  # hidden: the clear colour shows
    # A later event loop in this process does not tick the closed window (arcade 3.3 would).
    updates = game.updates
    assert _app(max_frames=3).run() == 0
    assert game.updates == updates
