"""The swarm on arcade: sprites, systems and the summary (imports arcade)."""

from __future__ import annotations

from typing import Any

import arcade
import numpy as np

from framealloc_arcade import ArcadeClock, ArcadeInput, SpriteLists
from framealloc_engine import tags
from framealloc_engine.app import App, FixedUpdate, Res, ResMut, Startup, Time, Update, chain
from framealloc_engine.bridge import AllocResource

from .._harness import DemoOptions
from .sim import COUNT, LIGHTS, Swarm

__all__ = ["build", "details", "simulate", "spawn_sprites", "steer", "sync_sprites"]

PALETTE = ((255, 220, 90, 255), (150, 255, 160, 255), (120, 200, 255, 255))


def spawn_sprites(lists: ResMut[SpriteLists]) -> None:
    """Startup: a soft glowing circle per firefly, a bigger one per light."""
    flies = lists.value.add("fireflies")
    textures = [arcade.make_soft_circle_texture(14, color, outer_alpha=0) for color in PALETTE]
    for i in range(COUNT):
        flies.append(arcade.BasicSprite(textures[i % len(textures)]))
    lights = lists.value.add("lights")
    glow = arcade.make_soft_circle_texture(56, (255, 250, 210, 255), outer_alpha=0)
    for _ in range(LIGHTS):
        lights.append(arcade.BasicSprite(glow))


def steer(swarm: ResMut[Swarm], keys: Res[ArcadeInput], time: Time) -> None:
    """The lights move; the pointer calls the swarm while the left button is held."""
    held = arcade.MOUSE_BUTTON_LEFT in keys.value.mouse_pressed
    swarm.value.move_lights(time.elapsed, keys.value.mouse_pos if held else None)


def simulate(swarm: ResMut[Swarm], time: Time) -> None:
    """FixedUpdate: one step per arcade update."""
    swarm.value.step(time.delta)


def sync_sprites(lists: ResMut[SpriteLists], swarm: Res[Swarm], alloc: AllocResource) -> None:
    """Positions from pool memory into the sprites; a flicker computed in frame memory."""
    state = swarm.value
    with alloc.phase_scope("render"), alloc.with_tag(tags.RENDERING):
        flicker = alloc.frame_alloc(np.float32, COUNT)
        np.multiply(state.vel[:, 0], 0.05, out=flicker)
        np.sin(flicker, out=flicker)
        np.multiply(flicker, 60.0, out=flicker)
        np.add(flicker, 190.0, out=flicker)
        flies = lists.value["fireflies"]
        for sprite, xy, alpha in zip(flies, state.pos.tolist(), flicker.tolist(), strict=True):
            sprite.position = (xy[0], xy[1])
            sprite.alpha = int(alpha)
        lights = lists.value["lights"]
        for sprite, xy, on in zip(lights, state.lights.tolist(), state.active, strict=True):
            sprite.position = (xy[0], xy[1])
            sprite.visible = on


def build(app: App, options: DemoOptions) -> None:
    """Add the swarm (its state in pool memory), its sprites and its systems."""
    app.insert_resource(Swarm(app.resource(AllocResource), seed=options.seed))
    app.add_systems(Startup, spawn_sprites)
    app.add_systems(FixedUpdate, simulate)
    app.add_systems(Update, chain(steer, sync_sprites))


def details(app: App) -> dict[str, Any]:
    """Summary lines: the swarm, its memory, and arcade's updates and draws."""
    swarm = app.resource(Swarm)
    clock = app.resource(ArcadeClock)
    return {
        "fireflies": COUNT,
        "state in pool memory": f"{swarm.pos.nbytes + swarm.vel.nbytes} bytes",
        "frame temporaries per step": f"{swarm.step_bytes} bytes",
        "arcade updates (fixed steps) / draws (frames)": f"{clock.updates} / {clock.frames}",
    }
