"""Enemy waves: each wave is an allocation group plus one handle block of enemy records.

The enemies' changing state (the ``Enemy`` records: position, hit points, cooldowns) sits in
a relocatable block of the allocator's handle allocator; what the wave fixes when it spawns
sits in its allocation group (``alloc.groups()``): the formation, one ``Slot`` per enemy
(where it hovers and the phase of its sway; pool memory, read every frame). When the last
enemy dies or leaves the screen the wave is cleared: ``free_group`` releases the group in
one call and the enemy block's handle is freed, so a stale reference raises FA401 instead of
reading a later wave's data.

Example::

    director = WaveDirector(alloc.groups(), alloc.handles(), seed=1, size=(800, 450))
    director.update(dt)                 # spawns a wave when it is time
    for wave in director.waves: ...
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from framealloc_engine import AllocationGroups, GroupId, GroupMember, Handle, HandleAllocator

__all__ = [
    "AIMED",
    "MAX_PER_WAVE",
    "PATTERNS",
    "RING",
    "SPIRAL",
    "Enemy",
    "EnemyFields",
    "Pattern",
    "Slot",
    "Wave",
    "WaveDirector",
]

#: An enemy's changing state: position, hit points, alive flag, seconds to its next volley.
Enemy = np.dtype([("pos", "f4", 2), ("hp", "i2"), ("alive", "u1"), ("flags", "u1"),
                  ("cool", "f4")])
#: An enemy's place in the formation: where it hovers and the phase of its sway.
Slot = np.dtype([("home", "f4", 2), ("phase", "f4")])
#: Most enemies a wave may have (temporaries are sized for it).
MAX_PER_WAVE = 16


@dataclass(frozen=True, slots=True)
class Pattern:
    """How a wave's enemies look, hold formation and fire.

    Attributes:
        name: ``"ring"``, ``"aimed"`` or ``"spiral"``.
        sprite: Enemy sprite file under ``assets/bullets/``.
        bullet: Index of the bullet sprite its shots use.
        count: Enemies in the wave.
        hp: Hit points of each enemy.
        interval: Seconds between an enemy's volleys.
        shots: Bullets per volley.
        speed: Bullet speed in pixels per second.
        spread: Radians between the shots of an aimed volley, or spin per volley.
        radius: Hit radius of an enemy in pixels.
        lifetime: Seconds the wave holds formation before it dives off screen.
    """

    name: str
    sprite: str
    bullet: int
    count: int
    hp: int
    interval: float
    shots: int
    speed: float
    spread: float
    radius: float
    lifetime: float


RING = Pattern("ring", "enemy_ring.png", 0, 6, 8, 0.9, 24, 95.0, 0.0, 12.0, 9.0)
AIMED = Pattern("aimed", "enemy_aimed.png", 1, 8, 5, 0.6, 7, 150.0, 0.14, 11.0, 8.0)
SPIRAL = Pattern("spiral", "enemy_spiral.png", 2, 1, 80, 0.05, 6, 110.0, 0.23, 18.0, 10.0)
#: Patterns in the order waves cycle through them.
PATTERNS = (RING, AIMED, SPIRAL)


class EnemyFields(NamedTuple):
    """Field views of a wave's enemy block, valid until the block moves."""

    block: np.ndarray
    pos: np.ndarray
    hp: np.ndarray
    alive: np.ndarray
    flags: np.ndarray
    cool: np.ndarray


@dataclass(eq=False)
class Wave:
    """One live wave.

    Attributes:
        number: 1 for the first wave.
        pattern: What its enemies do.
        group: Its allocation group.
        enemies: Handle of its block of ``Enemy`` records.
        formation: Group member: the ``count`` formation ``Slot`` records.
        age: Seconds since it spawned.
        volleys: Volleys fired (spiral patterns turn with it).
        alive: Enemies alive after the last collision pass.
    """

    number: int
    pattern: Pattern
    group: GroupId
    enemies: Handle
    formation: GroupMember[np.ndarray]
    age: float = 0.0
    volleys: int = 0
    alive: int = 0
    kills: int = 0
    _fields: EnemyFields | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        """Enemies the wave started with."""
        return self.pattern.count

    def fields(self, handles: HandleAllocator) -> EnemyFields:
        """Field views of the enemy block (re-split only when the block moved)."""
        block = handles.resolve(self.enemies)
        cached = self._fields
        if cached is None or cached.block is not block:
            cached = self._fields = EnemyFields(
                block, block["pos"], block["hp"], block["alive"], block["flags"], block["cool"]
            )
        return cached

    def forget_views(self) -> None:
        """Drop the cached field views (before ``defragment``: referenced blocks stay put)."""
        self._fields = None


class WaveDirector:
    """Runs the game in rounds: each round sends one wave of every pattern, a few seconds
    apart; when the round's last enemy is gone there is a short breather (the screen
    drains, idle bullet chunks are freed) and the next round fires faster.

    Args:
        groups: The allocator's allocation groups.
        handles: The allocator's handle allocator.
        seed: Seed of the formation jitter (determinism).
        size: Playfield size in pixels.
        interval: Seconds between the waves of a round.
        rest: Seconds of breather between rounds.
    """

    def __init__(
        self,
        groups: AllocationGroups,
        handles: HandleAllocator,
        *,
        seed: int,
        size: tuple[int, int],
        interval: float = 3.5,
        rest: float = 2.5,
    ) -> None:
        self.groups = groups
        self.handles = handles
        self.rng = np.random.default_rng(seed)
        self.width, self.height = size
        self.interval = interval
        self.rest = rest
        self.waves: list[Wave] = []
        self.timer = 0.6
        self.round = 1
        self.in_round = 0
        self.spawned = 0
        self.cleared = 0
        self.escaped = 0

    def forget_views(self) -> None:
        """Every wave drops its cached field views (before ``defragment``)."""
        for wave in self.waves:
            wave.forget_views()

    def update(self, dt: float) -> Wave | None:
        """Advance the clock; spawn and return a wave when one is due."""
        for wave in self.waves:
            wave.age += dt
        if self.in_round == len(PATTERNS):  # round over once its waves are gone
            if self.waves:
                return None
            self.round += 1
            self.in_round = 0
            self.timer = self.rest
        self.timer -= dt
        if self.timer > 0.0 and (self.waves or self.in_round == 0):
            return None
        self.timer = self.interval
        pattern = self.scaled(PATTERNS[self.in_round], self.round)
        self.in_round += 1
        return self.spawn(pattern)

    @staticmethod
    def scaled(pattern: Pattern, round_number: int) -> Pattern:
        """``pattern`` as round ``round_number`` plays it: volleys come faster, up to 2x."""
        faster = max(0.5, 0.85 ** (round_number - 1))
        return replace(pattern, interval=pattern.interval * faster,
                       speed=pattern.speed * min(1.4, 1.0 + 0.06 * (round_number - 1)))

    def spawn(self, pattern: Pattern) -> Wave:
        """Create a wave: its group with the formation, and its block of enemies."""
        number = self.spawned + 1
        group = self.groups.create_group(f"wave {number} ({pattern.name})")
        formation: GroupMember[np.ndarray] = self.groups.alloc(group, Slot, pattern.count)
        slots = formation.array
        self._place(pattern, slots["home"])
        enemies = self.handles.alloc(Enemy, pattern.count)
        wave = Wave(number, pattern, group, enemies, formation, alive=pattern.count)
        f = wave.fields(self.handles)
        home, phase = slots["home"], slots["phase"]
        for i in range(pattern.count):
            phase[i] = 2.0 * math.pi * self.rng.random()
            f.pos[i, 0] = home[i, 0]
            f.pos[i, 1] = -30.0 - 26.0 * i
            f.hp[i] = pattern.hp
            f.alive[i] = 1
            f.flags[i] = 0
            f.cool[i] = 1.0 + pattern.interval * self.rng.random()
        self.waves.append(wave)
        self.spawned += 1
        return wave

    def _place(self, pattern: Pattern, home: np.ndarray) -> None:
        """Write the formation: a row, a V, or one or two bosses."""
        width, n = self.width, pattern.count
        jitter = 40.0 * self.rng.random() - 20.0
        for i in range(n):
            if pattern.name == RING.name:
                x = width * (i + 0.5) / n + jitter
                y = 80.0 + 18.0 * (i % 2)
            elif pattern.name == AIMED.name:
                x = width / 2 + (i - (n - 1) / 2) * 62.0 + jitter
                y = 50.0 + abs(i - (n - 1) / 2) * 16.0
            else:
                x = width / 2 + 3.0 * jitter
                y = 120.0
            home[i, 0] = x
            home[i, 1] = y

    def clear_finished(self) -> int:
        """Free every wave with no enemy left; returns how many were cleared."""
        cleared = 0
        for index in range(len(self.waves) - 1, -1, -1):
            wave = self.waves[index]
            if wave.alive:
                continue
            del self.waves[index]
            self.escaped += wave.count - wave.kills
            self.groups.free_group(wave.group)  # the whole formation at once
            self.handles.free(wave.enemies)
            wave._fields = None
            cleared += 1
        self.cleared += cleared
        return cleared

    def release_all(self) -> None:
        """Free every live wave (the game is over)."""
        for wave in self.waves:
            wave.alive = 0
        self.clear_finished()
