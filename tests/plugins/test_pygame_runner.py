"""The pygame-ce runner plugin: a real window under Xvfb shows pixels drawn by systems."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pygame
import pytest

from framealloc_engine.app import (
    App,
    EventReader,
    ExecutorSettings,
    Last,
    Res,
    ResMut,
    Update,
    system,
)
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin
from framealloc_pygame import (
    FrameClock,
    Input,
    PresentFrame,
    PygameEvent,
    PygamePlugin,
    Screen,
)

pytestmark = pytest.mark.timeout(60)

RED = (255, 0, 0)
BLUE = (0, 0, 255)


@dataclass
class Seen:
    threads: list[str] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    event_types: list[int] = field(default_factory=list)


def draw(screen: Res[Screen], seen: ResMut[Seen], alloc: AllocResource) -> None:
    seen.value.threads.append(threading.current_thread().name)
    # a frame-allocated pixel block, blitted through a surfarray view
    block = alloc.frame_alloc(np.uint8, (8, 6, 3))
    block[...] = RED
    surface = screen.value.surface
    pygame.surfarray.blit_array(surface.subsurface((4, 2, 8, 6)), block)
    surface.fill(BLUE, (20, 10, 5, 5))


def watch_input(state: Res[Input], events: EventReader[PygameEvent], seen: ResMut[Seen]) -> None:
    seen.value.keys.extend(sorted(state.value.just_pressed))
    seen.value.event_types.extend(e.type for e in events.read())


@pytest.fixture
def real_window(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)  # use Xvfb's X server
    yield
    pygame.quit()


@pytest.fixture
def dummy_video(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    yield
    pygame.quit()


def _game(**plugin_kw: object) -> App:
    app = App(executor=ExecutorSettings.multi_threaded(threads=2, inline_threshold=0.0))
    app.add_plugins(SmartAllocPlugin.minimal(), PygamePlugin(size=(40, 30), **plugin_kw))  # type: ignore[arg-type]
    app.init_resource(Seen)
    app.add_systems(Update, draw, watch_input)
    return app


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_window_shows_pixels_drawn_by_a_system() -> None:
    app = _game(clear_color=(0, 40, 0))
    try:
        app.update()
        assert pygame.display.get_driver() == "x11"
        display = pygame.display.get_surface()
        assert display is not None
        assert display.get_size() == (40, 30)
        assert tuple(display.get_at((5, 3)))[:3] == RED
        assert tuple(display.get_at((11, 7)))[:3] == RED
        assert tuple(display.get_at((22, 12)))[:3] == BLUE
        assert tuple(display.get_at((30, 25)))[:3] == (0, 40, 0)  # the clear color
        pixels = pygame.surfarray.array3d(display)
        assert (pixels[4:12, 2:8] == RED).all()
        assert int((pixels == BLUE).all(axis=2).sum()) == 25
    finally:
        app.shutdown()
    # Screen is main-thread-only: the drawing system ran on the main thread
    assert app.resource(Seen).threads == [threading.main_thread().name]


@pytest.mark.window
@pytest.mark.usefixtures("real_window")
def test_runner_pumps_input_and_quits_on_window_close() -> None:
    app = _game()
    posted = {"done": False}

    def inject(clock: Res[FrameClock]) -> None:  # main thread: First's pump reads them next
        if not posted["done"]:
            posted["done"] = True
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE))
        elif clock.value.frames >= 2:
            pygame.event.post(pygame.event.Event(pygame.QUIT))

    app.add_systems(Last, system(inject).on_main_thread())
    assert app.run() == 0
    seen = app.resource(Seen)
    assert seen.keys == [pygame.K_SPACE]
    assert pygame.KEYDOWN in seen.event_types
    assert pygame.QUIT in seen.event_types
    clock = app.resource(FrameClock)
    assert clock.frames >= 3
    assert isinstance(clock.delta, float)
    assert clock.delta > 0.0
    assert not pygame.display.get_init()  # the runner closed the window


@pytest.mark.usefixtures("dummy_video")
def test_plugin_wiring_headless() -> None:
    app = _game(clear_color=None)
    try:
        assert PresentFrame in app.frame_order
        assert app.frame_order.index(PresentFrame) == app.frame_order.index(Last) + 1
        app.update()
        surface = app.resource(Screen).surface
        assert app.resource(Screen).size == (40, 30)
        assert tuple(surface.get_at((5, 3)))[:3] == RED
        mouse = pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(3, 4))
        state = app.resource(Input)
        state.apply(mouse)
        assert state.mouse_pressed == {1}
        assert state.mouse_pos == (3, 4)
        state.apply(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a))
        assert state.is_pressed(pygame.K_a)
        state.apply(pygame.event.Event(pygame.KEYUP, key=pygame.K_a))
        assert not state.is_pressed(pygame.K_a)
        assert pygame.K_a in state.just_released
        assert PygameEvent(pygame.QUIT).name == "Quit"
    finally:
        app.shutdown()
    with pytest.raises(ValueError, match="fps"):
        PygamePlugin(fps=-1)


README_GAME = '''
import numpy as np, pygame
from framealloc_engine.app import App, Res, Time, Update
from framealloc_engine.bridge import AllocResource, SmartAllocPlugin
from framealloc_pygame import PygamePlugin, Screen

def draw(screen: Res[Screen], time: Time, alloc: AllocResource) -> None:
    trail = alloc.frame_alloc(np.float32, 5)  # frame memory: reset every frame, no GC
    np.mod(time.elapsed * 120 - 6 * np.arange(5), 320, out=trail)
    for i, x in enumerate(trail):
        pygame.draw.circle(screen.value.surface, (255, 200 - 40 * i, 0), (int(x), 120), 10 - i)

app = App().add_plugins(SmartAllocPlugin.default(), PygamePlugin((320, 240)))
exit_code = app.add_systems(Update, draw).run()
'''


@pytest.mark.usefixtures("dummy_video")
def test_readme_game_runs_until_the_window_closes() -> None:
    """The README's game, verbatim up to its last line; a window close after three frames
    ends it and run() returns 0."""
    body, last_line = README_GAME.rstrip().rsplit("\n", 1)
    assert last_line == "exit_code = app.add_systems(Update, draw).run()"
    namespace: dict[str, object] = {"__name__": "readme_game"}
    exec(compile(body, "README.md", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    assert isinstance(app, App)
    app.add_systems(Update, namespace["draw"])

    drawn: list[int] = []

    def close_window(clock: Res[FrameClock], screen: Res[Screen]) -> None:
        pixels = pygame.surfarray.pixels3d(screen.value.surface)
        drawn.append(int(((pixels[..., 0] == 255) & (pixels[..., 2] == 0)).sum()))
        del pixels
        if clock.value.frames == 2:  # counted after each frame: this is the third
            pygame.event.post(pygame.event.Event(pygame.QUIT))

    app.add_systems(Last, system(close_window).on_main_thread())
    assert app.run() == 0
    assert app.frame_count == 4  # the QUIT is pumped in the fourth frame's First
    assert min(drawn) > 100  # the trail's orange circles were drawn every frame
