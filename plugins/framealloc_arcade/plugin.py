"""``ArcadePlugin``: an ``arcade.Window`` drives the App.

Example::

    App().add_plugins(SmartAllocPlugin.default(), ArcadePlugin((640, 360), "game")) \\
        .add_systems(Update, draw).run()

How arcade's callbacks map onto the schedules:

* ``on_draw`` is the frame: it runs ``app.update()`` (``First`` … ``Last``) and the window
  is presented when it returns. Draw from systems (they run on the main thread, where the
  OpenGL context lives, when they use :class:`ArcadeWindow` or :class:`SpriteLists`).
* ``on_update`` may come several times per draw (an update rate faster than the draw rate,
  or a draw that ran late): each call is one ``FixedUpdate`` step of the next frame, with
  ``Time.fixed.timestep`` set to the update period. So every update runs inside a frame
  and may use frame memory; mapping ``on_update`` to a frame of its own would leave the
  draw outside any frame (FA001 on its first frame allocation).
* Key and mouse callbacks update :class:`ArcadeInput`; the window's close button sends
  ``AppExit``, the frame in progress finishes and the window closes.
* ``max_frames`` closes the window after that many frames (tests, screenshots).

Headless (no display): set ``ARCADE_HEADLESS=1`` before arcade is imported; pyglet then
renders offscreen through EGL and arcade runs frames back to back.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import arcade
import pyglet

from framealloc_arcade.resources import ArcadeClock, ArcadeInput, ArcadeWindow, SpriteLists
from framealloc_arcade.steps import prime_fixed_steps
from framealloc_engine.app import (
    AppExit,
    First,
    Last,
    Plugin,
    Res,
    SystemSet,
    Time,
    TimeUpdateStrategy,
    system,
)

if TYPE_CHECKING:
    from framealloc_engine.app import App

__all__ = [
    "ArcadeDrawSet",
    "ArcadePlugin",
    "ClearColor",
    "FrameWindow",
    "clear_window",
    "draw_sprite_lists",
    "stop_ticking",
]

RGBA = tuple[int, int, int, int]

#: The set :func:`draw_sprite_lists` runs in (in ``Last``): order drawing against it.
ArcadeDrawSet = SystemSet("framealloc_arcade_draw")


class ClearColor:
    """The color the window is cleared to at the start of each frame (a resource)."""

    def __init__(self, rgba: RGBA) -> None:
        self.rgba = rgba


def clear_window(window: Res[ArcadeWindow], color: Res[ClearColor]) -> None:
    """Clear the window (``First``)."""
    window.value.window.clear(color=color.value.rgba)


def draw_sprite_lists(window: Res[ArcadeWindow], lists: Res[SpriteLists]) -> None:
    """Draw every sprite list of :class:`SpriteLists` (``Last``, in :data:`ArcadeDrawSet`)."""
    lists.value.draw()


class ArcadePlugin(Plugin):
    """An arcade window, its input, and a runner driven by arcade's event loop.

    Args:
        size: Window size in pixels.
        title: Window caption.
        fps: Frames (draws) per second.
        max_frames: Close the window after this many frames (None: until closed).
        update_hz: arcade updates per second, each one a ``FixedUpdate`` step (default:
            ``fps``; at least ``fps``, as arcade requires).
        clear_color: Clear the window to this RGBA color at the start of each frame (None
            leaves clearing to you).
        draw_sprite_lists: Draw every :class:`SpriteLists` list in ``Last``.
        vsync: Ask for vsync.
        visible: Show the window.

    Raises:
        ValueError: ``fps`` or ``update_hz`` is not positive, ``update_hz < fps``, or
            ``max_frames`` is below 1.
    """

    def __init__(
        self,
        size: tuple[int, int] = (640, 480),
        title: str = "framealloc-engine",
        fps: float = 60.0,
        *,
        max_frames: int | None = None,
        update_hz: float | None = None,
        clear_color: RGBA | None = (0, 0, 0, 255),
        draw_sprite_lists: bool = True,
        vsync: bool = False,
        visible: bool = True,
    ) -> None:
        updates = fps if update_hz is None else update_hz
        if not fps > 0 or not updates > 0:
            raise ValueError(f"fps and update_hz must be > 0, got {fps!r} and {updates!r}")
        if updates < fps:
            raise ValueError(
                f"update_hz ({updates}) must be at least fps ({fps}): arcade never draws "
                "more often than it updates"
            )
        if max_frames is not None and max_frames < 1:
            raise ValueError(f"max_frames must be >= 1 or None, got {max_frames!r}")
        self.size = size
        self.title = title
        self.fps = float(fps)
        self.update_hz = float(updates)
        self.max_frames = max_frames
        self.clear_color = clear_color
        self.draw_sprite_lists = draw_sprite_lists
        self.vsync = vsync
        self.visible = visible
        self.window: FrameWindow | None = None

    def build(self, app: App) -> None:
        """Register the resources, the clear/draw systems and the runner."""
        app.init_resource(ArcadeInput)
        app.insert_resource(ArcadeClock(update_hz=self.update_hz, draw_hz=self.fps))
        app.init_resource(SpriteLists)
        if self.clear_color is not None:
            app.insert_resource(ClearColor(self.clear_color))
            app.add_systems(First, system(clear_window).on_main_thread())
        if self.draw_sprite_lists:
            app.add_systems(
                Last, system(draw_sprite_lists).in_set(ArcadeDrawSet).on_main_thread()
            )
        app.set_runner(self.run)

    def finish(self, app: App) -> None:
        """Open the window (on the calling, main, thread) and set the fixed step."""
        self.window = FrameWindow(app, self)
        app.insert_resource(ArcadeWindow(self.window))
        app.resource(Time).fixed.set_hz(self.update_hz)

    def run(self, app: App) -> int:
        """The runner: arcade's event loop, until the window closes; the exit code."""
        window = self.window
        assert window is not None, "ArcadePlugin.finish() opens the window"
        try:
            if not window.closed:
                arcade.run()
        finally:
            if not window.closed:
                window.close()
        return window.exit_code


class FrameWindow(arcade.Window):
    """The runner's window: each ``on_draw`` is one app frame (see the module docstring).

    Args:
        app: The app to drive.
        plugin: Its settings.
    """

    def __init__(self, app: App, plugin: ArcadePlugin) -> None:
        width, height = plugin.size
        super().__init__(
            width,
            height,
            plugin.title,
            update_rate=1.0 / plugin.update_hz,
            draw_rate=1.0 / plugin.fps,
            vsync=plugin.vsync,
            visible=plugin.visible,
        )
        self.app = app
        self.max_frames = plugin.max_frames
        self.exit_code = 0
        self.input = app.resource(ArcadeInput)
        self.clock = app.resource(ArcadeClock)
        self._update_period = 1.0 / plugin.update_hz
        self._pending: list[float] = []
        self._last_update: float | None = None
        self._last_draw: float | None = None
        self._own_strategy: TimeUpdateStrategy | None = None

    # --- the frame ------------------------------------------------------------------------

    def on_update(self, delta_time: float) -> None:
        """One arcade update: a fixed step of the next frame."""
        self._pending.append(float(delta_time))
        self._last_update = time.perf_counter()

    def on_draw(self) -> None:
        """One app frame: the pending updates as fixed steps, then ``app.update()``."""
        app = self.app
        now = time.perf_counter()
        seconds = 0.0 if self._last_draw is None else now - self._last_draw
        self._last_draw = now
        clock = self.clock
        clock.update_deltas, self._pending = self._pending, []
        clock.updates += len(clock.update_deltas)
        clock.draw_delta = seconds
        since = 0.0 if self._last_update is None else now - self._last_update
        prime_fixed_steps(
            app.resource(Time),
            self._frame_seconds(seconds),
            len(clock.update_deltas),
            since / self._update_period,
        )
        self.input.begin_frame()
        app.update()
        clock.frames += 1
        exit_event = app.should_exit()
        if exit_event is not None:
            self.exit_code = exit_event.code
            self.close()
        elif self.max_frames is not None and clock.frames >= self.max_frames:
            self.close()

    def _frame_seconds(self, measured: float) -> float:
        """The duration the next frame advances ``Time`` by: a manual strategy the user
        inserted, else the measured time since the last draw (installed as a manual
        strategy, so the fixed steps can be arranged before the frame)."""
        world = self.app.world
        strategy = world.get_resource(TimeUpdateStrategy)
        if strategy is not None and strategy is not self._own_strategy and strategy.manual:
            return strategy.duration
        self._own_strategy = TimeUpdateStrategy.manual_duration(measured)
        world.insert_resource(self._own_strategy)
        return measured

    # --- input and closing ----------------------------------------------------------------

    def on_key_press(self, symbol: int, modifiers: int) -> None:
        """Record the key in :class:`ArcadeInput`."""
        self.input.key_press(symbol, modifiers)

    def on_key_release(self, symbol: int, modifiers: int) -> None:
        """Record the key in :class:`ArcadeInput`."""
        self.input.key_release(symbol, modifiers)

    def on_mouse_motion(self, x: int, y: int, dx: int, dy: int) -> None:
        """Record the pointer in :class:`ArcadeInput`."""
        self.input.mouse_move(x, y)

    def on_mouse_drag(
        self, x: int, y: int, dx: int, dy: int, buttons: int, modifiers: int
    ) -> None:
        """Record the pointer in :class:`ArcadeInput`."""
        self.input.mouse_move(x, y)

    def on_mouse_press(self, x: int, y: int, button: int, modifiers: int) -> None:
        """Record the button in :class:`ArcadeInput`."""
        self.input.mouse_press(x, y, button, modifiers)

    def on_mouse_release(self, x: int, y: int, button: int, modifiers: int) -> None:
        """Record the button in :class:`ArcadeInput`."""
        self.input.mouse_release(x, y, button, modifiers)

    def on_close(self) -> None:
        """The close button: send ``AppExit``; the next frame runs, then the window closes."""
        self.app.world.send_event(AppExit.success())

    def close(self) -> None:
        """Close the window and stop its clock callbacks (once: arcade's ``close`` also
        clears the current window, which by a second call, e.g. from pyglet's ``__del__``,
        may be a newer one)."""
        if self.closed:
            return
        super().close()
        stop_ticking(self)


def stop_ticking(window: arcade.Window) -> None:
    """Unschedule a closed window's frame callback.

    arcade 3.3's ``Window.close`` unschedules ``_dispatch_updates`` but not the
    ``_dispatch_frame`` that calls it, so a closed window keeps receiving ``on_update`` in
    any later event loop of the process (tests open many windows, one after another).
    """
    dispatch = getattr(window, "_dispatch_frame", None)
    if dispatch is not None:
        pyglet.clock.unschedule(dispatch)
