"""The layering contract (pyproject.toml, [tool.importlinter]) holds, and it does catch an upward import."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "ingest", "rag", "evals", "ui")


def _lint(folder: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--no-cache", "--config", str(folder / "pyproject.toml")], cwd=folder,
                          capture_output=True, text=True, env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})


def test_no_module_imports_upward():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_the_contract_fails_on_an_upward_import(tmp_path):
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    bad = tmp_path / "ingest" / "discover.py"
    bad.write_text(bad.read_text() + "\nfrom rag.lexical import tokenize  # ingest must not know rag\n")
    result = _lint(tmp_path)
    assert result.returncode != 0 and "ingest.discover -> rag.lexical" in result.stdout, result.stdout[-3000:]
