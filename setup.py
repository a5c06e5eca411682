"""What ``pyproject.toml`` cannot say: the top-level ``demos/`` folder installs as the package
``framealloc_demos``, and the native core is an *optional* C extension.

In a clone the demos stay ``python -m demos``; installed, they are ``framealloc-demos`` or
``python -m framealloc_demos`` (the demos import each other relatively, so both names work).

The extension ``framealloc_engine.allocators._native`` needs a C compiler and numpy's
headers (``[build-system]`` requires numpy). Where it cannot be built the install still
succeeds, says so, and the pure-Python backend runs. ``FRAMEALLOC_WERROR=1`` (set by
``./run test``) turns every compiler warning into an error; ``FRAMEALLOC_NO_NATIVE=1`` skips
the extension. Every other setting is in ``pyproject.toml``.
"""

from __future__ import annotations

import os
import sys
from glob import glob

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

DEMOS = "framealloc_demos"
NATIVE_DIR = "framealloc_engine/allocators/_native"

packages = find_packages(".", include=["framealloc_engine", "framealloc_engine.*"])
packages += find_packages("plugins", include=["framealloc_*"])
demo_packages = [DEMOS] + [f"{DEMOS}.{name}" for name in find_packages("demos")]
package_dir = {"": ".", DEMOS: "demos"}
for name in find_packages("plugins", include=["framealloc_*"], exclude=["*.*"]):
    package_dir[name] = f"plugins/{name}"


def _strict() -> bool:
    return os.environ.get("FRAMEALLOC_WERROR", "") not in ("", "0")


class OptionalBuildExt(build_ext):
    """Builds the native core, or explains why not and lets the install go on (the pure
    backend runs). With ``FRAMEALLOC_WERROR=1`` a failure is an error: the tests want the
    extension."""

    def finalize_options(self) -> None:
        super().finalize_options()
        import numpy  # the build requirement: its headers

        for ext in self.extensions:
            ext.include_dirs.append(numpy.get_include())

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            if _strict():
                raise
            sys.stderr.write(
                f"framealloc-engine: the native core was not built ({error}); "
                "the pure-Python backend will run\n"
            )

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:
            if _strict():
                raise
            sys.stderr.write(
                f"framealloc-engine: no C compiler usable ({error}); "
                "the pure-Python backend will run\n"
            )


warnings = ["-Wall", "-Wextra"]
if _strict():
    warnings.append("-Werror")

extensions = []
if os.environ.get("FRAMEALLOC_NO_NATIVE", "") in ("", "0"):
    extensions.append(
        Extension(
            "framealloc_engine.allocators._native",
            sources=sorted(glob(f"{NATIVE_DIR}/*.c")),
            depends=sorted(glob(f"{NATIVE_DIR}/*.h")),
            extra_compile_args=["-std=c11", *warnings],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
    )

setup(
    packages=packages + demo_packages,
    package_dir=package_dir,
    ext_modules=extensions,
    cmdclass={"build_ext": OptionalBuildExt},
)
