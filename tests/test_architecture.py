"""The shape of the code, kept by CI rather than by memory."""

import re
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


# What the project once cited outside itself: the contract and the study's
# figures now live in docs/contract.md and docs/icsr-2015.md.
OUTSIDE_CITATION = re.compile(r"CONTRACT\.md|ICSR_2015_FIGURES\.md|\bshared/")


def test_nothing_outside_docs_cites_files_beyond_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert "README.md" in tracked  # a checkout, not an empty listing
    citing = []
    for path in tracked:
        if path.startswith("docs/") or path == "tests/test_architecture.py":
            continue
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # images; a file deleted but not yet committed
        citing += [f"{path}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE_CITATION.search(line)]
    assert citing == [], "cite docs/contract.md or docs/icsr-2015.md instead"
