"""The README stays true: every setting is documented, the two commands exist."""

from pathlib import Path

from core.settings import FIELD_SECTION

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [f"COACH_{n.upper()}" for n in FIELD_SECTION if f"`COACH_{n.upper()}`" not in README]
    assert not missing, missing


def test_the_two_commands_exist_and_ci_runs_the_test_command():
    assert "bash run.sh" in README and "bash test.sh" in README
    assert (ROOT / "run.sh").exists() and (ROOT / "test.sh").exists()
    assert "bash test.sh" in (ROOT / ".ci" / "run").read_text()
