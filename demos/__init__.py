"""Runnable demos of framealloc-engine: ``python -m demos [name] [--headless] [--frames N]``."""

import os

# pygame-ce prints a banner on import; demos print their own summary instead.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
