"""Ordinary numpy code allocating from frame memory (numpy's memory-handler API, NEP 49)."""

from framealloc_engine.capture.feature import CaptureStats, NumpyCaptureFeature, OnLimit

__all__ = ["CaptureStats", "NumpyCaptureFeature", "OnLimit"]
