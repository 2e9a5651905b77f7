import re
import statistics
from functools import cache
from pathlib import Path

import pytest

from ingest.chunk import chunk_id, chunk_units, split_text, words
from ingest.models import Unit
from ingest.parse import parse_units
from ingest.text import clean_text, read_note

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
MAX, MIN = 180, 25


@cache
def corpus():
    units, chunks = [], []
    for path in sorted(CORPUS.glob("*.txt")):
        u = parse_units(path.name, clean_text(read_note(path)))
        units += u
        chunks += chunk_units(u, max_words=MAX, min_words=MIN)
    return units, chunks


def section(text, headings=("A",), line=1, file="n.md"):
    return Unit(file, headings, text, "section", line=line)


def qa(q, answer, headings=("A",), line=1, file="n.md"):
    return Unit(file, (*headings, q), answer, "qa", q, answer, line)


def para(n, word="word"):
    return " ".join(f"{word}{i}" for i in range(n))


# ---- ids


def test_chunk_id_is_stable_and_content_derived():
    a = chunk_id("n.md", ("A", "B"), 0, "some text")
    assert a == chunk_id("n.md", ["A", "B"], 0, "some  text\n")  # whitespace-insensitive
    assert re.fullmatch(r"[0-9a-f]{16}", a)  # 16 hex digits
    assert a != chunk_id("n.md", ("A", "B"), 0, "other text")
    assert a != chunk_id("n.md", ("A", "B"), 1, "some text")
    assert a != chunk_id("m.md", ("A", "B"), 0, "some text")
    assert a != chunk_id("n.md", ("A", "C"), 0, "some text")


def test_ids_same_across_runs_and_change_with_text():
    units = [qa("What is X?", para(40)), qa("What is Y?", para(40, "y"))]
    first, again = chunk_units(units), chunk_units(list(units))
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    changed = chunk_units([units[0], qa("What is Y?", para(41, "y"))])
    assert first[0].chunk_id == changed[0].chunk_id and first[1].chunk_id != changed[1].chunk_id


def test_duplicate_chunks_get_distinct_ids():
    units = [section(para(30)), section(para(30))]
    ids = [c.chunk_id for c in chunk_units(units)]
    assert len(set(ids)) == 2


# ---- splitting


def test_oversized_unit_is_split_in_balanced_parts_keeping_headings():
    body = "\n\n".join(f"**Part {i}:**\n\n" + "\n".join(f"- {para(9, f'p{i}x{j}')}" for j in range(5)) for i in range(8))
    unit = qa("How does it work?", body, headings=("Ops", "Deploy"), line=7)
    chunks = chunk_units([unit], max_words=MAX, min_words=MIN)
    assert len(chunks) >= 3
    assert [c.part for c in chunks] == list(range(len(chunks)))
    assert all(c.headings == unit.headings and c.question == "How does it work?" and c.line == 7 for c in chunks)
    sizes = [words(c.text) for c in chunks]
    assert max(sizes) <= MAX and min(sizes) >= 0.6 * max(sizes)
    assert all(c.text.startswith("**Part") for c in chunks)  # cut at paragraph starts, label kept with its list
    assert "\n\n".join(c.text for c in chunks).split() == body.split()  # nothing lost or repeated
    assert all(c.embed_text.startswith("Ops > Deploy > How does it work?\n") for c in chunks)


def test_code_fence_is_not_split_when_it_fits():
    code = "```python\n# comment\n" + "\n".join(f"x{i} = {i}  # step {i}" for i in range(20)) + "\n```"
    body = f"{para(100)}\n\n{code}\n\n{para(100, 'z')}"
    chunks = chunk_units([section(body)], max_words=MAX)
    assert any(code in c.text for c in chunks)
    for c in chunks:
        assert c.text.count("```") % 2 == 0


def test_huge_code_fence_is_split_by_lines_and_refenced():
    code = "```bash\n" + "\n".join(f"echo {para(5, f'l{i}w')}" for i in range(60)) + "\n```"
    chunks = chunk_units([section(code)], max_words=MAX)
    assert len(chunks) >= 2
    for c in chunks:
        assert c.text.startswith("```bash\n") and c.text.endswith("\n```")
        assert words(c.text) <= MAX


def test_split_text_overlong_single_line():
    parts = split_text(para(500), 180)
    assert len(parts) == 3 and all(words(p) <= 180 for p in parts)
    assert " ".join(parts).split() == para(500).split()


@pytest.mark.timeout(60)  # the cubic search this replaced needed hours for one such paragraph
@pytest.mark.parametrize("sep", [" ", "\n"], ids=["one line", "one word per line"])
def test_200000_words_split_in_balanced_parts_in_near_linear_time(sep):
    text = sep.join(f"w{i % 997}" for i in range(200_000))
    parts = split_text(text, MAX)
    sizes = [words(p) for p in parts]
    assert len(parts) == -(-200_000 // MAX)  # the fewest parts that fit
    assert max(sizes) <= MAX and min(sizes) >= MAX * 0.85  # balanced
    assert " ".join(parts).split() == text.split()  # nothing lost, order kept


def test_a_paragraph_of_many_short_lines_is_balanced_and_cut_between_lines():
    lines = [" ".join(f"x{i}-{j}" for j in range(7)) for i in range(1000)]  # 7,000 words
    parts = split_text("\n".join(lines), MAX)
    assert all(words(p) <= MAX for p in parts)
    assert len(parts) == 40  # the fewest: 25 whole lines (175 words) fit in 180
    assert all(p.split("\n")[0] in lines and p.split("\n")[-1] in lines for p in parts)  # whole lines


def test_an_oversized_item_is_a_group_of_its_own_and_the_rest_still_fit():
    from ingest.chunk import _partition

    cuts = _partition([1, 1, 70, 1, 13, 3, 13, 1, 70, 3], 5)
    groups = [sum([1, 1, 70, 1, 13, 3, 13, 1, 70, 3][a:b]) for a, b in zip([0, *cuts], cuts)]
    assert all(g <= 5 or b - a == 1 for g, a, b in zip(groups, [0, *cuts], cuts))


# ---- merging


def test_tiny_section_merges_into_following_related_section():
    units = [section("Short intro.", ("Guide",), line=1), section(para(40), ("Guide", "Setup"), line=3)]
    (c,) = chunk_units(units)
    assert c.headings == ("Guide",) and c.line == 1
    assert c.text.startswith("Short intro.\n\n**Setup**\n\n")


def test_tiny_section_merges_into_previous_when_last():
    units = [section(para(40), ("Guide", "Setup")), section("Closing words.", ("Guide", "Wrap"), line=9)]
    (c,) = chunk_units(units)
    assert c.headings == ("Guide",) and c.text.endswith("**Wrap**\n\nClosing words.")


def test_tiny_section_not_merged_across_files_or_unrelated_headings():
    units = [section("Tiny one.", ("X", "Y")), section(para(40), ("Z",)), section("Other file.", ("Z",), file="o.md")]
    assert len(chunk_units(units)) == 3


def test_short_questions_stay_alone_and_never_mix():
    units = [qa("What is Git?", "A VCS."), qa("What is GitHub?", "A host."), qa("Why?", "Because.")]
    chunks = chunk_units(units)
    assert [c.question for c in chunks] == ["What is Git?", "What is GitHub?", "Why?"]
    assert [c.text for c in chunks] == ["A VCS.", "A host.", "Because."]


def test_tiny_section_goes_into_a_question_only_as_last_resort():
    units = [section("Intro line.", ("Prep",)), qa("What is drift?", "A change.", headings=("Prep", "Basics"))]
    (c,) = chunk_units(units)
    assert c.kind == "qa" and c.headings == ("Prep", "Basics", "What is drift?")
    assert c.text == "Intro line.\n\nA change."


def test_chunk_text_does_not_repeat_the_heading_line():
    md = "# Guide\n## Setup\n" + para(40) + "\n### 1. What is X?\n**Answer:**\nX is y.\n"
    for c in chunk_units(parse_units("n.md", md)):
        assert not any(line.lstrip().startswith("#") for line in c.text.splitlines())
        assert c.headings[-1] not in c.text


# ---- real corpus


def test_real_corpus_chunk_sizes():
    _, chunks = corpus()
    sizes = [words(c.text) for c in chunks]
    assert max(sizes) <= MAX * 1.3
    for c in chunks:
        assert c.kind != "section" or words(c.text) >= MIN, c.heading
    assert 60 <= statistics.median(sizes) <= MAX


def test_real_corpus_small_chunks_are_complete_questions():
    units, chunks = corpus()
    parts = {}
    for c in chunks:
        parts.setdefault((c.file, c.headings), []).append(c)
    for c in chunks:
        if words(c.text) < MIN:
            assert c.kind in ("qa", "scenario") and len(parts[(c.file, c.headings)]) == 1


def test_real_corpus_no_chunk_mixes_two_questions():
    units, chunks = corpus()
    questions = [u.question for u in units if u.question]
    for c in chunks:
        inside = [q for q in questions if q != c.question and len(q) > 30 and q in c.text]
        assert not inside, (c.heading, inside)
        assert "**Q:**" not in c.text and "**Q:" not in c.text


def test_real_corpus_ids_unique_and_text_clean():
    _, chunks = corpus()
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        for mark in ("ü", "‚Ä", "Ô∏", "🚀"):
            assert mark not in c.text and all(mark not in h for h in c.headings)
        assert c.text.strip() and c.text.strip() != "---"
        assert c.text.count("```") % 2 == 0


@pytest.mark.parametrize("prefix, n", [("000", 34), ("001", 12), ("002", 61), ("003", 10), ("004", 24)])
def test_every_unit_lands_in_a_chunk(prefix, n):
    units, chunks = corpus()
    mine = [u for u in units if u.file.startswith(prefix)]
    assert len(mine) == n
    text = " ".join(" ".join(c.text.split()) for c in chunks if c.file.startswith(prefix))
    for u in mine:
        for line in u.body.splitlines():
            assert " ".join(line.split()) in text
