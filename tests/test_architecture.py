"""The shape of the code, kept by CI rather than by memory."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_apps_import_one_way():
    """The layers contract in pyproject.toml ([tool.importlinter]): reports may
    import testimony, testimony may not import reports, and so on down to
    accounts. A broken contract names the offending import and its line."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apps import one way KEPT" in result.stdout
