"""What ``pyproject.toml`` cannot say: the top-level ``demos/`` folder installs as the package
``framealloc_demos``.

In a clone the demos stay ``python -m demos``; installed, they are ``framealloc-demos`` or
``python -m framealloc_demos`` (the demos import each other relatively, so both names work).
Every other setting is in ``pyproject.toml``.
"""

from __future__ import annotations

from setuptools import find_packages, setup

DEMOS = "framealloc_demos"

packages = find_packages(".", include=["framealloc_engine", "framealloc_engine.*"])
packages += find_packages("plugins", include=["framealloc_*"])
demo_packages = [DEMOS] + [f"{DEMOS}.{name}" for name in find_packages("demos")]
package_dir = {"": ".", DEMOS: "demos"}
for name in find_packages("plugins", include=["framealloc_*"], exclude=["*.*"]):
    package_dir[name] = f"plugins/{name}"

setup(packages=packages + demo_packages, package_dir=package_dir)
