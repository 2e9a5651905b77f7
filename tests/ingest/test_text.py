from pathlib import Path

import pytest

from ingest.text import clean_text, read_note, repair_mojibake, strip_emoji

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
MOJIBAKE_MARKS = ("ü", "‚Ä", "Ô∏", "🚀", "\uf8ff")


@pytest.mark.parametrize(
    "broken, fixed",
    [
        ("\uf8ffüöÄ MLOps", "🚀 MLOps"),  # 🚀 as Mac Roman
        ("dev ‚Üí staging", "dev → staging"),  # → as Mac Roman
        ("‚öôÔ∏è Tools", "⚙️ Tools"),
        ("\uf8ffüèóÔ∏è", "🏗️"),
        ("\uf8ffüß†\uf8ffüß±", "🧠🧱"),
        ("cafÃ© naÃ¯ve", "café naïve"),  # classic cp1252/latin-1 style
        ("itâ€™s", "it’s"),
    ],
)
def test_repair_mojibake(broken, fixed):
    assert repair_mojibake(broken) == fixed


def test_repair_leaves_real_text_alone():
    s = "café naïve Müller São Paulo → × ε ₹20–30 ✅"
    assert repair_mojibake(s) == s


def test_strip_emoji_keeps_symbols_and_letters():
    s = "a → b, 2 × 3, ε-greedy, ₹20–30, café, Müller, Größe, süß, ação, σ ≤ 0.5 ± μ, ⇒"
    assert strip_emoji(s) == s


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("# \uf8ffüöÄ MLOps Interview", "# MLOps Interview"),
        ("# 15. Prep \uf8ffüß†\uf8ffüß±", "# 15. Prep"),
        ("## ‚öôÔ∏è Tools & Pipelines", "## Tools & Pipelines"),
        ("## 2. Infra \uf8ffüèóÔ∏è", "## 2. Infra"),
        ("### ✅ **Tips**", "### **Tips**"),
        ("✅ **Tips to Crack ₹20–30 LPA**:", "**Tips to Crack ₹20–30 LPA**:"),
        ("  - 🚀 launch", "  - launch"),
        ("go 🚀 now", "go now"),
        ("## Basics üöÄ", "## Basics"),  # lost lead byte: cannot be repaired, still removed
        ("### \u2b50\ufe0f Star\u200d", "### Star"),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_text_collapses_heading_spaces():
    assert clean_text("## 🚀   Deployment  🧪  Scaling") == "## Deployment Scaling"


def test_read_note_strips_bom_and_normalises_newlines(tmp_path):
    p = tmp_path / "n.md"
    p.write_bytes(b"\xef\xbb\xbf# Title\r\nline\rend\n")
    assert read_note(p) == "# Title\nline\nend\n"


def test_read_note_survives_undecodable_bytes(tmp_path):
    p = tmp_path / "bad.md"
    p.write_bytes(b"\xff\xfe bad \x81 bytes\n# Heading\ncaf\xc3\xa9 is fine\nwin \x93quoted\x94\n")
    text = read_note(p)
    lines = text.split("\n")
    assert "bad" in lines[0] and "bytes" in lines[0]
    assert lines[1:3] == ["# Heading", "café is fine"]
    assert lines[3] == "win \u201cquoted\u201d"  # cp1252 fallback for that line


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_real_notes_have_no_mojibake_or_emoji_after_cleaning(path):
    text = clean_text(read_note(path))
    for mark in MOJIBAKE_MARKS:
        assert mark not in text
    assert "✅" not in text and "\ufe0f" not in text


def test_real_notes_keep_arrows_and_symbols():
    text = "".join(clean_text(read_note(p)) for p in sorted(CORPUS.glob("*.txt")))
    for ch in "→×ε₹–":
        assert ch in text
    assert "dev → staging → prod" in text  # repaired from Mac Roman in 001
