"""The analyser over the project's own code: demos, plugins and the package hold no errors."""

from __future__ import annotations

from pathlib import Path

from framealloc_lint import Severity, analyze_paths
from framealloc_lint.config import LintConfig

ROOT = Path(__file__).resolve().parents[2]


def test_demos_plugins_and_package_have_no_errors() -> None:
    targets = [ROOT / name for name in ("demos", "plugins", "framealloc_engine")]
    result = analyze_paths([t for t in targets if t.exists()], LintConfig(root=ROOT))
    assert any(f.endswith("plugins/framealloc_lint/cli.py") for f in result.files)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors == [], "\n".join(f"{d.path}:{d.line}: {d.code} {d.message}" for d in errors)


def test_lint_package_imports_no_numpy_or_pygame() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import framealloc_lint.cli, framealloc_lint.flake8_plugin\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'pygame', 'framealloc_engine'))\n"
        "print(bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert proc.stdout.strip() == "[]"


def test_a_check_run_imports_neither_the_runtime_nor_numpy(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "game.py").write_text(
        "import numpy as np\nfrom framealloc_engine import AllocResource\n\n"
        "class T:\n    def f(self, alloc: AllocResource) -> None:\n"
        "        self.a = alloc.frame_alloc(np.float32, 4)\n"
    )
    code = (
        "import sys\nfrom framealloc_lint.cli import main\n"
        f"status = main(['check', {str(tmp_path)!r}, '--no-config', '-j', '1', "
        "'--format', 'compact'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'pygame', 'framealloc_engine'))\n"
        "print(status, bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert proc.stdout.strip().splitlines()[-1] == "0 []"
    assert "FA601" in proc.stdout
