"""Module names of files: the dotted name Python would import a file under."""

from __future__ import annotations

from pathlib import Path

__all__ = ["module_name_for", "package_root"]


def package_root(path: Path) -> Path:
    """The directory a file's top-level package lives in (its own directory for a script)."""
    directory = path.resolve().parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        directory = directory.parent
    return directory


def module_name_for(path: Path) -> tuple[str, bool]:
    """Dotted module name of a file, walking up through packages; and whether it is a package."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts) or path.stem, is_package
