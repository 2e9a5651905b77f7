import os

import pytest

from core.errors import CorpusError, UploadError
from ingest.discover import discover_notes, write_note


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


def test_write_note_never_overwrites(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.md").write_text("original", encoding="utf-8")
    assert write_note(corpus, "x.md", "new text") == ("x-2.md", True)
    assert write_note(corpus, "x.md", "newer text") == ("x-3.md", True)
    assert (corpus / "x.md").read_text(encoding="utf-8") == "original"
    # the same content again is recognised and not copied a second time
    assert write_note(corpus, "x.md", "original") == ("x.md", False)
    assert sorted(p.name for p in corpus.iterdir()) == ["x-2.md", "x-3.md", "x.md"]


@pytest.mark.parametrize("name", ["../x.md", "sub/x.md", ".x.md", "..", "a\\b.md"])
def test_write_note_refuses_unsafe_names(tmp_path, name):
    with pytest.raises(UploadError):
        write_note(tmp_path, name, "text")
    assert list(tmp_path.iterdir()) == []


def test_write_note_does_not_follow_symlinks(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside.md"
    corpus.mkdir()
    outside.write_text("secret", encoding="utf-8")
    os.symlink(outside, corpus / "link.md")
    written, new = write_note(corpus, "link.md", "attack")
    assert new and written == "link-2.md"
    assert outside.read_text(encoding="utf-8") == "secret"
