"""framealloc-engine: deterministic, frame-based memory allocation for Python games."""

from __future__ import annotations

from framealloc_engine.config import AllocConfig
from framealloc_engine.errors import *  # noqa: F403
from framealloc_engine.errors import __all__ as _error_names

__all__ = ["AllocConfig", *_error_names]
__version__ = "0.1.0"
