"""Plugins: units of app configuration, and groups of them.

A plugin only wires things up: its ``build(app)`` adds resources, events and systems.
Any function taking the app is a plugin too::

    def score_plugin(app: App) -> None:
        app.init_resource(Score).add_systems(Update, count_points)

    App().add_plugins(score_plugin, SmartAllocPlugin.default())

Lifecycle (Bevy's): ``build`` runs when the plugin is added; when the app starts, the app
waits until every plugin is ``ready``, then calls every ``finish``, then every ``cleanup``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from framealloc_engine.app.errors import PluginError
from framealloc_engine.app.system_param import callable_name

if TYPE_CHECKING:
    from framealloc_engine.app.app import App

__all__ = ["FunctionPlugin", "Plugin", "PluginGroup", "PluginGroupBuilder", "PluginsLike"]


class Plugin:
    """Base class of plugins; override :meth:`build` (and optionally the later hooks)."""

    def build(self, app: App) -> None:
        """Configure ``app``: called once, when the plugin is added."""
        raise NotImplementedError(f"{type(self).__name__} must implement build(app)")

    def ready(self, app: App) -> bool:
        """Whether the plugin finished any asynchronous setup (polled before ``finish``)."""
        return True

    def finish(self, app: App) -> None:
        """Called once every plugin is built and ready (e.g. read other plugins' resources)."""

    def cleanup(self, app: App) -> None:
        """Called after every plugin's ``finish``."""

    @property
    def name(self) -> str:
        """Identifies the plugin (``module.QualName`` of its class)."""
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}"

    @property
    def is_unique(self) -> bool:
        """Unique plugins can be added once per app (adding one twice is an error)."""
        return True

    def unique_key(self) -> Hashable:
        """What two plugins must share to count as the same plugin."""
        return self.name

    def __repr__(self) -> str:
        return f"<plugin {self.name}>"


class FunctionPlugin(Plugin):
    """A function taking the app, used as a plugin (unique per function object)."""

    def __init__(self, fn: Callable[[App], Any]) -> None:
        self.fn = fn

    def build(self, app: App) -> None:
        """Call the function with ``app``."""
        self.fn(app)

    @property
    def name(self) -> str:
        """``module.qualname`` of the function."""
        return callable_name(self.fn)

    def unique_key(self) -> Hashable:
        """The function object itself."""
        return self.fn


def as_plugin(value: Any) -> Plugin:
    """A :class:`Plugin` for a plugin instance or a function.

    Raises:
        TypeError: ``value`` is neither (a Plugin *class* gets a hint to instantiate it).
    """
    if isinstance(value, Plugin):
        return value
    if isinstance(value, type) and issubclass(value, Plugin):
        raise TypeError(f"pass a plugin instance, e.g. {value.__name__}(), not the class")
    if callable(value):
        return FunctionPlugin(value)
    raise TypeError(f"{value!r} is not a plugin (a Plugin instance or a function(app))")


def _key_of(value: Any) -> Hashable:
    key: Hashable = value  # a plugin class or a function used as a target
    if isinstance(value, FunctionPlugin):
        key = value.fn
    elif isinstance(value, Plugin):
        key = type(value).__qualname__ + "@" + type(value).__module__
    elif isinstance(value, type):
        key = value.__qualname__ + "@" + value.__module__
    return key


class PluginGroupBuilder:
    """An ordered, editable list of plugins (what a :class:`PluginGroup` builds).

    Plugins are identified by their class (or function): ``set``, ``disable`` and the
    ``add_before``/``add_after`` targets name that class.

    Example::

        app.add_plugins(DefaultPlugins().set(WindowPlugin(size=(800, 600))).disable(Audio))
    """

    def __init__(self, name: str = "PluginGroup") -> None:
        self.name = name
        self._order: list[Hashable] = []
        self._plugins: dict[Hashable, tuple[Plugin, bool]] = {}

    def _insert(self, index: int, plugin: Any) -> PluginGroupBuilder:
        plugin = as_plugin(plugin)
        key = _key_of(plugin)
        if key in self._plugins:
            self._order.remove(key)
            index = min(index, len(self._order))
        self._order.insert(index, key)
        self._plugins[key] = (plugin, True)
        return self

    def _index(self, target: Any) -> int:
        key = _key_of(target)
        try:
            return self._order.index(key)
        except ValueError:
            raise PluginError(
                f"plugin group {self.name} has no plugin {getattr(key, '__name__', key)!r}",
                help="add it first, or check the class you passed",
            ) from None

    def add(self, plugin: Any) -> PluginGroupBuilder:
        """Append ``plugin`` (moving it to the end if its class is already in the group)."""
        return self._insert(len(self._order), plugin)

    def add_before(self, target: Any, plugin: Any) -> PluginGroupBuilder:
        """Insert ``plugin`` just before the plugin of class ``target``."""
        return self._insert(self._index(target), plugin)

    def add_after(self, target: Any, plugin: Any) -> PluginGroupBuilder:
        """Insert ``plugin`` just after the plugin of class ``target``."""
        return self._insert(self._index(target) + 1, plugin)

    def add_group(self, group: PluginGroup | PluginGroupBuilder) -> PluginGroupBuilder:
        """Append every enabled plugin of another group."""
        for plugin in group.build().plugins():
            self.add(plugin)
        return self

    def set(self, plugin: Any) -> PluginGroupBuilder:
        """Replace the plugin of the same class, keeping its position.

        Raises:
            PluginError: the group has no plugin of that class.
        """
        plugin = as_plugin(plugin)
        key = _key_of(plugin)
        self._index(plugin)
        self._plugins[key] = (plugin, self._plugins[key][1])
        return self

    def disable(self, target: Any) -> PluginGroupBuilder:
        """Keep the plugin of class ``target`` out of the app."""
        key = self._order[self._index(target)]
        self._plugins[key] = (self._plugins[key][0], False)
        return self

    def enable(self, target: Any) -> PluginGroupBuilder:
        """Undo :meth:`disable`."""
        key = self._order[self._index(target)]
        self._plugins[key] = (self._plugins[key][0], True)
        return self

    def plugins(self) -> list[Plugin]:
        """The enabled plugins, in order."""
        return [self._plugins[k][0] for k in self._order if self._plugins[k][1]]

    def build(self) -> PluginGroupBuilder:
        """A builder is its own build (so builders are accepted wherever groups are)."""
        return self

    def finish(self, app: App) -> None:
        """Add the enabled plugins to ``app`` in order."""
        app.add_plugins(*self.plugins())


class PluginGroup:
    """A named list of plugins; override :meth:`build`.

    Example::

        class GamePlugins(PluginGroup):
            def build(self) -> PluginGroupBuilder:
                return PluginGroupBuilder("GamePlugins").add(InputPlugin()).add(AudioPlugin())
    """

    def build(self) -> PluginGroupBuilder:
        """Return the group's plugins."""
        raise NotImplementedError(f"{type(self).__name__} must implement build()")

    @property
    def name(self) -> str:
        """``module.QualName`` of the group class."""
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}"

    def set(self, plugin: Any) -> PluginGroupBuilder:
        """``build().set(plugin)``."""
        return self.build().set(plugin)

    def disable(self, target: Any) -> PluginGroupBuilder:
        """``build().disable(target)``."""
        return self.build().disable(target)

    def add(self, plugin: Any) -> PluginGroupBuilder:
        """``build().add(plugin)``."""
        return self.build().add(plugin)

    def add_before(self, target: Any, plugin: Any) -> PluginGroupBuilder:
        """``build().add_before(target, plugin)``."""
        return self.build().add_before(target, plugin)

    def add_after(self, target: Any, plugin: Any) -> PluginGroupBuilder:
        """``build().add_after(target, plugin)``."""
        return self.build().add_after(target, plugin)


PluginsLike = Plugin | PluginGroup | PluginGroupBuilder | Callable[..., Any]
"""What ``App.add_plugins`` accepts (also lists/tuples of these)."""
