"""``FrameLoop`` and ``Overlay``: frame memory and the overlay in loops without an App."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pygame
import pytest

from framealloc_engine import AllocConfig, FrameExpiredError, SmartAlloc
from framealloc_overlay import Overlay
from framealloc_pygame import FrameLoop

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> Iterator[pygame.Surface]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    yield pygame.display.set_mode((480, 360))
    pygame.quit()


def test_pygame_frame_loop_makes_each_iteration_a_frame(screen: pygame.Surface) -> None:
    alloc = SmartAlloc(AllocConfig().with_budgets(True))
    alloc.enable_behavior_filter()
    with FrameLoop(alloc) as frames:
        assert alloc.frame_active  # the first frame began with the loop
        boxes = []
        for i in range(5):
            with alloc.with_tag("game"):
                boxes.append(alloc.frame_box(i))
                alloc.frame_alloc(np.float32, 256)[:] = i
            assert alloc.stats().frame_allocated > 0
            frames.next(screen)
            assert alloc.stats().frame_allocated == 0  # reset by next()
        assert frames.frames == 5
        assert alloc.frame_number == 6
        with pytest.raises(FrameExpiredError):
            boxes[0].get()
        assert frames.overlay is None
    assert not alloc.frame_active  # leaving the block ended the last frame
    assert alloc.budgets().usage("game") == 0
    assert alloc.behavior_report().issues == ()


def test_pygame_frame_loop_draws_the_overlay(screen: pygame.Surface) -> None:
    alloc = SmartAlloc()
    frames = FrameLoop(alloc, overlay=True)
    for _ in range(3):
        screen.fill((0, 40, 0))
        frames.next()  # the display surface by default
    assert frames.overlay is not None
    assert frames.overlay.state.frames_drawn == 3
    pixels = pygame.surfarray.array3d(screen)
    panel = pixels[480 - 290 : 480 - 20, 10:200]
    assert (panel != (0, 40, 0)).any(axis=2).mean() > 0.9  # the panel, top right
    assert (pixels[:100, 300:] == (0, 40, 0)).all()  # elsewhere, the game's pixels
    frames.close()
    frames.close()  # twice is harmless
    assert not alloc.frame_active


def test_overlay_toggles_and_records_hidden_frames(screen: pygame.Surface) -> None:
    alloc = SmartAlloc()
    overlay = Overlay(alloc)
    with alloc.frame_scope():
        assert overlay.draw(screen, toggle=False)
    with alloc.frame_scope():
        assert not overlay.draw(screen, toggle=True)  # hidden now: nothing drawn
    assert not overlay.visible
    with alloc.frame_scope():
        assert not overlay.draw(screen)  # polls F3: not pressed
    with alloc.frame_scope():
        assert overlay.draw(screen, toggle=True)
    assert overlay.state.frames_drawn == 2
    assert overlay.key_toggled() is False
