"""The synthetic note sets of the scale benchmark: deterministic, N times the chunks, no two alike."""

from __future__ import annotations

from conftest import ROOT
from core.settings import Settings
from evals.synthetic import number_heading, vary_note, vocabulary, write_synthetic_notes
from ingest.index import load_corpus


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_copies_every_time(tmp_path, small_corpus):
    write_synthetic_notes(small_corpus, tmp_path / "a", 3)
    write_synthetic_notes(small_corpus, tmp_path / "b", 3)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert len(_files(tmp_path / "a")) == 3 * len(list(small_corpus.iterdir()))


def test_n_times_the_chunks_and_questions_all_distinct(tmp_path):
    chunking = Settings().chunking
    original = load_corpus(ROOT / "corpus", chunking)  # every note format of the real notes
    write_synthetic_notes(ROOT / "corpus", tmp_path / "x3", 3)
    tripled = load_corpus(tmp_path / "x3", chunking)
    assert len(tripled.chunks) == 3 * len(original.chunks)
    assert len(tripled.questions) == 3 * len(original.questions)
    assert len({c.chunk_id for c in tripled.chunks}) == len(tripled.chunks)
    assert len({c.embed_text for c in tripled.chunks}) == len(tripled.chunks)  # no copy repeats a chunk's text
    first = [c for c in tripled.chunks if c.file.startswith("set-000/")]
    assert [c.text for c in first] == [c.text for c in original.chunks]  # copy 0 is the notes themselves


def test_a_copy_numbers_headings_and_swaps_words_but_keeps_structure():
    note = "# Title\n\n### 9. What is a canary release?\n\n**Answer:** Traffic shifts gradually towards the candidate model.\n"
    words = vocabulary([note, "zebra quokka walrus"])
    copy = vary_note(note, 2, words, share=1.0)
    assert "# Title (set 2)\n" in copy and "### 9. What is a canary release (set 2)?" in copy
    assert "**Answer:**" in copy  # the parser's labels are never swapped
    body_before, body_after = note.splitlines()[-1], copy.splitlines()[-1]
    assert body_after != body_before and len(body_after.split()) == len(body_before.split())
    assert vary_note(note, 0, words) == note
    assert number_heading("Explain drift", 4) == "Explain drift (set 4)"
