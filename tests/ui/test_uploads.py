"""Upload validation and saving: names, sizes, text vs binary, no overwrite, never outside the folder."""

from __future__ import annotations

import pytest

from functools import partial

from core.errors import UploadError
from ingest.discover import write_note
from ui.uploads import MAX_FILES, decode_text, human_bytes, safe_name, save_uploads, validate_upload

NOTE = b"# Canary\n\nShift traffic gradually and watch the error rate.\n"


@pytest.mark.parametrize("original, expected", [
    ("notes.md", "notes.md"),
    ("My Notes (v2).MD", "My-Notes-v2.md"),
    ("../../x.md", "x.md"),
    ("..\\..\\windows\\evil.txt", "evil.txt"),
    ("/etc/passwd.markdown", "passwd.markdown"),
    ("caf\u00e9 r\u00e9sum\u00e9.txt", "cafe-resume.txt"),
    ("a b  c.md", "a-b-c.md"),
    ("x" * 300 + ".md", "x" * 97 + ".md"),
])
def test_safe_names(original, expected):
    assert safe_name(original) == expected


@pytest.mark.parametrize("original, reason", [
    ("slides.pdf", "only .md"),
    ("archive.md.zip", "only .md"),
    ("README", "only .md"),
    ("script.py", "only .md"),
    (".hidden.md", "hidden"),
    ("../.bashrc.md", "hidden"),
    ("notes/.env.txt", "hidden"),
    ("\u6f22\u5b57.md", "no usable characters"),
    ("---.md", "no usable characters"),
    ("", "only .md"),
])
def test_rejected_names(original, reason):
    with pytest.raises(UploadError, match=reason):
        safe_name(original)


def test_too_big_is_rejected_with_both_sizes():
    with pytest.raises(UploadError, match=r"3 KB; the limit is 2 KB"):
        validate_upload("big.md", b"a" * 3000, max_bytes=2000)
    assert validate_upload("ok.md", b"a" * 2000, max_bytes=2000) == ("ok.md", "a" * 2000)


def test_too_big_temp_file_is_not_read_whole(tmp_path):
    path = tmp_path / "big.md"
    path.write_bytes(b"a" * 5000)
    with pytest.raises(UploadError, match="limit"):
        validate_upload("big.md", path, max_bytes=1000)
    small = tmp_path / "small.md"
    small.write_bytes(NOTE)
    assert validate_upload("small.md", small, max_bytes=1000) == ("small.md", NOTE.decode())


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"  \n\t\n", "empty"),
    (b"%PDF-1.7\x00\x01\x02binary", "binary"),
    (bytes(range(256)) * 4, "binary"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
    (b"\x80\x81\x82\x83" * 100, "binary"),
    (b"\x01\x02\x03\x04\x05\x06\x07\x08" * 20 + b"text", "binary"),
])
def test_binary_and_empty_content_is_rejected(data, reason):
    with pytest.raises(UploadError, match=reason):
        decode_text(data)


def test_text_decoding():
    assert decode_text(NOTE) == NOTE.decode()
    assert decode_text("\ufeffBOM note\r\nline 2".encode("utf-8")) == "BOM note\nline 2"
    assert decode_text("UTF-16 note: caf\u00e9".encode("utf-16")) == "UTF-16 note: caf\u00e9"
    # a legacy line (Latin-1/cp1252) is read as such, not a reason to refuse the note
    latin = "Caf\u00e9 notes about canary deployments and rollbacks.\n".encode("latin-1") * 3
    assert decode_text(latin) == "Caf\u00e9 notes about canary deployments and rollbacks.\n" * 3


def test_save_uploads_reports_each_file_and_writes_only_inside(tmp_path):
    corpus = tmp_path / "notes" / "corpus"
    corpus.mkdir(parents=True)
    files = [
        ("../../escape.md", NOTE),
        ("good.txt", NOTE),
        ("good.txt", b"# Another\n\nDifferent text with the same name.\n"),
        ("slides.pdf", b"%PDF"),
        (".secret.md", NOTE),
        ("image.md", b"\x89PNG\r\n\x1a\n" + bytes(100)),
        ("huge.md", b"a" * 5000),
        ("good.txt", NOTE),  # a duplicate of an accepted file: not copied again
    ]
    result = save_uploads(files, partial(write_note, corpus), max_bytes=4000)
    assert result.saved == ["escape.md", "good.txt", "good-2.txt"]
    assert result.unchanged == ["good.txt"]
    assert [name for name, _ in result.rejected] == ["slides.pdf", ".secret.md", "image.md", "huge.md"]
    assert sorted(p.name for p in corpus.iterdir()) == ["escape.md", "good-2.txt", "good.txt"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["escape.md", "good-2.txt", "good.txt"]
    message = result.message()
    assert "Added escape.md, good.txt, good-2.txt." in message
    assert "Rejected slides.pdf: only .md, .markdown and .txt notes can be added." in message
    assert "Rejected huge.md: the file is 5 KB; the limit is 4 KB." in message


def test_save_uploads_limits_the_number_of_files(tmp_path):
    result = save_uploads([(f"n{i}.md", NOTE) for i in range(MAX_FILES + 1)], partial(write_note, tmp_path), 10_000)
    assert not result.saved and result.rejected and list(tmp_path.iterdir()) == []


def test_missing_corpus_folder_is_a_clear_rejection(tmp_path):
    result = save_uploads([("a.md", NOTE)], partial(write_note, tmp_path / "nope"), 10_000)
    assert result.rejected == [("a.md", f"the notes folder {tmp_path / 'nope'} does not exist.")]


def test_human_bytes():
    assert [human_bytes(n) for n in (999, 20_000, 2_000_000, 2_500_000)] == ["999 bytes", "20 KB", "2 MB", "2.5 MB"]
