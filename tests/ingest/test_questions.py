from pathlib import Path

import pytest

from ingest.chunk import chunk_units
from ingest.models import Unit
from ingest.parse import parse_units
from ingest.models import QuestionItem
from ingest.questions import build_question_bank, question_id, topic_of
from ingest.text import clean_text, read_note

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def bank_for(prefix=None):
    units = []
    for path in sorted(CORPUS.glob("*.txt")):
        if prefix is None or path.name.startswith(prefix):
            units += parse_units(path.name, clean_text(read_note(path)))
    chunks = chunk_units(units)
    return units, chunks, build_question_bank(units, chunks)


def test_topic_of():
    assert topic_of(("1. Very Basic Level:", "1. Git & Version Control", "What is Git?")) == "Git & Version Control"
    assert topic_of(("2. Basic Level Q&A", "1. Why Use MongoDB")) == "Basic Level Q&A"
    assert topic_of(("Only",)) == ""


def test_bank_from_inline_markdown():
    md = (
        "# Notes\n## **Model Deployment and Serving**\n### 9. What is canary deployment?\n"
        "- hint\n\n**Answer:**\nGradual rollout to a subset of users.\n\n"
        "## **Real-World Scenario Questions**\n### Scenario 1: Latency\n**Question:** Latency rose. What now?\n"
        "## Cheat sheet\n" + " ".join(["tip"] * 30) + "\n"
    )
    units = parse_units("n.md", md)
    chunks = chunk_units(units)
    canary, scen = build_question_bank(units, chunks)
    assert canary.question == "What is canary deployment?" and canary.answer == "Gradual rollout to a subset of users."
    assert canary.topic == "Model Deployment and Serving" and canary.kind == "qa"
    assert canary.headings == ("Notes", "Model Deployment and Serving", "9. What is canary deployment?")
    assert scen.kind == "scenario" and scen.answer == "" and scen.topic == "Real-World Scenario Questions"
    assert scen.question == "Latency rose. What now?"
    by_id = {c.chunk_id: c for c in chunks}
    assert canary.chunk_ids and all(by_id[i].question == canary.question for i in canary.chunk_ids)
    assert canary.qid == question_id("n.md", canary.headings)


def test_qid_stable_when_answer_changes():
    u1 = [Unit("n.md", ("T", "What?"), "a", "qa", "What?", "a")]
    u2 = [Unit("n.md", ("T", "What?"), "b", "qa", "What?", "b")]
    (q1,), (q2,) = build_question_bank(u1, chunk_units(u1)), build_question_bank(u2, chunk_units(u2))
    assert q1.qid == q2.qid and q1.chunk_ids != q2.chunk_ids


def test_duplicate_questions_get_distinct_qids():
    units = [Unit("n.md", ("T", "Why?"), "a", "qa", "Why?", "a"), Unit("n.md", ("T", "Why?"), "b", "qa", "Why?", "b")]
    items = build_question_bank(units, chunk_units(units))
    assert len({q.qid for q in items}) == 2


def test_dict_roundtrip():
    _, _, bank = bank_for("000")
    assert [QuestionItem.from_dict(q.to_dict()) for q in bank] == bank


@pytest.mark.parametrize(
    "prefix, counts",
    [("000", {"qa": 30}), ("001", {"qa": 11}), ("002", {"qa": 50, "scenario": 10}), ("003", {"qa": 6, "scenario": 2}), ("004", {"qa": 23})],
)
def test_real_counts(prefix, counts):
    _, _, bank = bank_for(prefix)
    got = {}
    for q in bank:
        got[q.kind] = got.get(q.kind, 0) + 1
    assert got == counts


def test_real_bank():
    units, chunks, bank = bank_for()
    assert len(bank) == 132 and len({q.qid for q in bank}) == 132
    ids = {c.chunk_id: c for c in chunks}
    for q in bank:
        assert q.chunk_ids and all(ids[i].headings == q.headings for i in q.chunk_ids)
        assert q.topic and not q.topic[0].isdigit()
        assert q.answer or q.kind == "scenario"
    topics = {q.topic for q in bank}
    for t in ("Model Deployment and Serving", "Git & Version Control", "Scenario-Based Questions", "Real-World Scenario Questions", "Basic Level Q&A", "Lifecycle & Process"):
        assert t in topics
    canary = next(q for q in bank if q.question == "What is canary deployment and how does it work?")
    assert canary.topic == "Model Deployment and Serving" and len(canary.chunk_ids) == 2
    mongo = next(q for q in bank if q.question.startswith("Why Use MongoDB"))
    assert mongo.topic == "Basic Level Q&A"
    assert sum(q.answer == "" for q in bank) == 10


def test_real_bank_is_deterministic():
    assert [q.to_dict() for q in bank_for()[2]] == [q.to_dict() for q in bank_for()[2]]
