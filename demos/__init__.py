"""Runnable demos of framealloc-engine: ``python -m demos [name] [--headless] [--frames N]``."""
