import pytest

from ingest.discover import CorpusError, discover_notes


def test_discovers_notes_recursively_sorted_and_warns(tmp_path):
    (tmp_path / "b.md").write_text("# B")
    (tmp_path / "A.TXT").write_text("# A")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.Markdown").write_text("# C")
    (tmp_path / "sub" / "foo.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.md").write_text("# hidden")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.md").write_text("# git")
    notes, warnings = discover_notes(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in notes] == ["A.TXT", "b.md", "sub/c.Markdown"]
    assert warnings == ["skipped sub/foo.pdf: not a .md/.markdown/.txt file"]


def test_missing_folder_raises(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        discover_notes(tmp_path / "nope")


def test_folder_without_notes_raises(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"x")
    with pytest.raises(CorpusError, match="no note files"):
        discover_notes(tmp_path)


def test_file_instead_of_folder_raises(tmp_path):
    f = tmp_path / "a.md"
    f.write_text("x")
    with pytest.raises(CorpusError):
        discover_notes(f)


def test_real_corpus():
    from pathlib import Path

    notes, warnings = discover_notes(Path(__file__).resolve().parents[2] / "corpus")
    assert len(notes) == 5 and warnings == []
