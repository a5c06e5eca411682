"""An audio mixer callback: tagged scratch buffers, one tag misspelt."""

from __future__ import annotations

import numpy as np

from framealloc_engine import SmartAlloc, tags

RATE = 44_100
BLOCK = 512


class Voice:
    def __init__(self, freq: float, gain: float) -> None:
        self.freq = freq
        self.gain = gain
        self.phase = 0.0


class Mixer:
    def __init__(self, alloc: SmartAlloc) -> None:
        self.alloc = alloc
        self.voices: list[Voice] = []
        self.master = 0.8
        self.out = np.zeros((BLOCK, 2), np.float32)

    def render_block(self) -> np.ndarray:
        with self.alloc.frame_scope(), self.alloc.with_tag(tags.AUDIO):
            mix = self.alloc.frame_alloc(np.float32, BLOCK)
            mix.fill(0.0)
            t = self.alloc.frame_alloc(np.float32, BLOCK)
            t[:] = np.arange(BLOCK, dtype=np.float32) / RATE
            wave = self.alloc.frame_alloc(np.float32, BLOCK)
            for voice in self.voices:
                np.sin(2 * np.pi * voice.freq * t + voice.phase, out=wave)
                mix += wave * voice.gain
                voice.phase += 2 * np.pi * voice.freq * BLOCK / RATE
            with self.alloc.with_tag("Audoi"):  # expect: FA802
                tail = self.alloc.frame_alloc(np.float32, BLOCK)
                tail[1:] = mix[:-1] * 0.3
                mix += tail
            with self.alloc.with_tag("audio"):
                np.clip(mix * self.master, -1.0, 1.0, out=mix)
            self.out[:, 0] = mix
            self.out[:, 1] = mix
        return self.out
