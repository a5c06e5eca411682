"""Report renderers, one module per family of formats (see :mod:`framealloc_lint.formats`)."""

from __future__ import annotations

__all__: list[str] = []
