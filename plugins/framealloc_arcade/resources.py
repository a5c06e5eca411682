"""Resources the arcade runner exposes to systems: the window, input, clock, sprite lists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import arcade

__all__ = ["ArcadeClock", "ArcadeInput", "ArcadeWindow", "SpriteLists"]


class ArcadeWindow:
    """The ``arcade.Window`` the app draws into. Systems using it run on the main thread
    (OpenGL contexts belong to the thread that made them).

    Attributes:
        window: The window (an ``arcade.Window`` subclass owned by the runner).
    """

    main_thread_only: ClassVar[bool] = True

    def __init__(self, window: arcade.Window) -> None:
        self.window = window

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels."""
        width, height = self.window.get_size()
        return int(width), int(height)


@dataclass(slots=True)
class ArcadeInput:
    """Keyboard and mouse state from arcade's input callbacks.

    The ``just_*`` sets hold what arrived between the previous frame's start and this
    frame's start (an event that arrives during a frame shows in the next one).

    Key codes are ``arcade.key.*``, buttons ``arcade.MOUSE_BUTTON_*``; positions are window
    pixels with the origin at the bottom left, as arcade has them.

    Attributes:
        pressed: Keys held down.
        just_pressed: Keys pressed since the previous frame.
        just_released: Keys released since the previous frame.
        modifiers: The modifier bits of the last key or button event.
        mouse_pos: Last known pointer position.
        mouse_pressed: Buttons held down.
        mouse_just_pressed: Buttons pressed since the previous frame.
    """

    pressed: set[int] = field(default_factory=set)
    just_pressed: set[int] = field(default_factory=set)
    just_released: set[int] = field(default_factory=set)
    modifiers: int = 0
    mouse_pos: tuple[float, float] = (0.0, 0.0)
    mouse_pressed: set[int] = field(default_factory=set)
    mouse_just_pressed: set[int] = field(default_factory=set)
    _next_pressed: set[int] = field(default_factory=set, repr=False)
    _next_released: set[int] = field(default_factory=set, repr=False)
    _next_mouse: set[int] = field(default_factory=set, repr=False)

    def begin_frame(self) -> None:
        """Publish what arrived since the previous frame (runner use, before each frame)."""
        self.just_pressed, self._next_pressed = self._next_pressed, self.just_pressed
        self.just_released, self._next_released = self._next_released, self.just_released
        self.mouse_just_pressed, self._next_mouse = self._next_mouse, self.mouse_just_pressed
        self._next_pressed.clear()
        self._next_released.clear()
        self._next_mouse.clear()

    def key_press(self, symbol: int, modifiers: int) -> None:
        """Record ``on_key_press`` (runner use)."""
        self.pressed.add(symbol)
        self._next_pressed.add(symbol)
        self.modifiers = modifiers

    def key_release(self, symbol: int, modifiers: int) -> None:
        """Record ``on_key_release`` (runner use)."""
        self.pressed.discard(symbol)
        self._next_released.add(symbol)
        self.modifiers = modifiers

    def mouse_move(self, x: float, y: float) -> None:
        """Record ``on_mouse_motion``/``on_mouse_drag`` (runner use)."""
        self.mouse_pos = (float(x), float(y))

    def mouse_press(self, x: float, y: float, button: int, modifiers: int) -> None:
        """Record ``on_mouse_press`` (runner use)."""
        self.mouse_pos = (float(x), float(y))
        self.mouse_pressed.add(button)
        self._next_mouse.add(button)
        self.modifiers = modifiers

    def mouse_release(self, x: float, y: float, button: int, modifiers: int) -> None:
        """Record ``on_mouse_release`` (runner use)."""
        self.mouse_pos = (float(x), float(y))
        self.mouse_pressed.discard(button)
        self.modifiers = modifiers

    def is_pressed(self, key: int) -> bool:
        """True while ``key`` is held."""
        return key in self.pressed


@dataclass(slots=True)
class ArcadeClock:
    """How arcade's callbacks mapped onto this frame.

    One frame is one ``on_draw``; the ``on_update`` calls arcade made since the previous
    draw ran as this frame's ``FixedUpdate`` steps (``Time.fixed.timestep`` is the window's
    update period).

    Attributes:
        update_hz: Rate of arcade's ``on_update`` calls (the fixed step rate).
        draw_hz: Rate of arcade's ``on_draw`` calls (frames per second).
        update_deltas: arcade's ``delta_time`` of each update that ran in this frame.
        draw_delta: Wall-clock seconds since the previous frame's draw.
        frames: Frames drawn.
        updates: arcade updates received since start (each one a fixed step).
    """

    update_hz: float = 60.0
    draw_hz: float = 60.0
    update_deltas: list[float] = field(default_factory=list)
    draw_delta: float = 0.0
    frames: int = 0
    updates: int = 0

    @property
    def steps_this_frame(self) -> int:
        """arcade updates folded into this frame."""
        return len(self.update_deltas)


class SpriteLists:
    """Named ``arcade.SpriteList``\\ s, drawn in the order they were added. Systems using
    it run on the main thread (sprite lists own OpenGL buffers).

    Example::

        def spawn(lists: ResMut[SpriteLists]) -> None:
            ships = lists.value.add("ships")
            ships.append(arcade.SpriteCircle(8, arcade.color.ORANGE))
    """

    main_thread_only: ClassVar[bool] = True

    def __init__(self) -> None:
        self._lists: dict[str, arcade.SpriteList[arcade.BasicSprite]] = {}

    def add(
        self, name: str, sprite_list: arcade.SpriteList[arcade.BasicSprite] | None = None
    ) -> arcade.SpriteList[arcade.BasicSprite]:
        """Add (or replace) the list called ``name``; a new empty one when none is given."""
        if sprite_list is None:
            import arcade

            sprite_list = arcade.SpriteList()
        self._lists[name] = sprite_list
        return sprite_list

    def remove(self, name: str) -> arcade.SpriteList[arcade.BasicSprite] | None:
        """Remove the list called ``name`` (None if there was none)."""
        return self._lists.pop(name, None)

    def __getitem__(self, name: str) -> arcade.SpriteList[arcade.BasicSprite]:
        try:
            return self._lists[name]
        except KeyError:
            raise KeyError(
                f"no sprite list {name!r}; add it first with lists.add({name!r}); "
                f"known: {sorted(self._lists)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._lists

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def draw(self) -> None:
        """Draw every list, in the order they were added."""
        for sprite_list in self._lists.values():
            sprite_list.draw()
