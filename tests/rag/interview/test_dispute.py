"""Disputing a grade: "I did cover that" changes the grade, the summary and the FSRS card, and is kept."""

import json

import pytest

from conftest import FAKE_SCALE, PrefillingChat, on_topic_answer
from core.settings import Settings
from evals.grading import disputes_as_examples
from rag.interview.grading import accept_point, grade_answer, score_to_rating
from rag.interview.scheduler import ProgressStore
from rag.interview.session import Summary
from rag.services import build_services

POINTS = ["A feature store is a central repository of features", "It keeps training and serving consistent",
          "Feast and Tecton are feature stores"]


def test_accept_point_gives_full_credit_and_raises_the_score(fake_embeddings):
    g = grade_answer("A feature store is a central repository of features.", "What is a feature store?", POINTS,
                     fake_embeddings)
    missed = next(i for i, p in enumerate(g.points) if not p.covered)
    new = accept_point(g, missed)
    assert new.points[missed].covered and new.points[missed].disputed and new.score > g.score
    assert not g.points[missed].covered  # the original grade is untouched
    assert "with your correction" in new.message


def test_store_dispute_rerates_the_card_from_before_the_review(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    store.record_answer("q1", "T", 20, answer_text="my answer")
    low_due = store.card_due("q1")
    other = ProgressStore(tmp_path / "o.sqlite")
    other.record_answer("q1", "T", 90)
    state = store.dispute("q1", "point two", 90, question="What?")
    assert state.last_score == 90 and store.card_due("q1") > low_due
    assert abs((store.card_due("q1") - other.card_due("q1")).total_seconds()) < 120  # as if graded 90 then
    assert [h["score"] for h in store.history(qid="q1")] == [90]
    (d,) = store.disputes()
    assert (d["old_score"], d["new_score"], d["point"], d["answer_text"]) == (20, 90, "point two", "my answer")
    assert score_to_rating(90) != score_to_rating(20)


def test_no_answer_to_dispute_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        ProgressStore(tmp_path / "p.sqlite").dispute("nope", "x", 50)


def test_interview_dispute_updates_grade_summary_and_export(tmp_path, small_corpus, fake_embeddings):
    services = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                              embeddings=fake_embeddings, chat_model=PrefillingChat())
    services.ingest()
    from rag.interview.session import Interview

    item = next(q for q in services.question_bank() if q.question == "What tools are used in MLOps pipelines?")
    iv = Interview(plan=[item], store=services.progress_store, retriever=services.retriever,
                   llm=services.chat_model, embeddings=services.embeddings)
    ask = list(iv.start())[0]
    list(iv.respond(on_topic_answer(ask.turn.item)))
    (index, point), (other, _), *_ = iv.disputable()
    iv.turns[0].grade.points[other].wrong = "something contradicting it"  # as the swap check marks one
    assert other not in [i for i, _ in iv.disputable()]  # contradicted points are not disputable
    with pytest.raises(ValueError):
        iv.dispute(other)
    turn, old, new = iv.dispute(index)
    assert new > old and turn.grade.points[index].covered
    assert index not in [i for i, _ in iv.disputable()]
    with pytest.raises(ValueError):
        iv.dispute(index)  # already credited
    summary = next(e for e in iv.respond("end") if isinstance(e, Summary))
    assert summary.mean_score == new and iv.disputable() == []  # only while the question is current
    rows = disputes_as_examples(services.progress_store.disputes(), {q.qid: q for q in services.question_bank()})
    assert rows[0]["style"] == "disputed" and rows[0]["covers"] == [point] and rows[0]["score"] == new
    assert rows[0]["question"] == ask.turn.item.question and json.dumps(rows[0])


def test_gaps_are_kept_once_per_question_newest_first(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    store.record_gap("What is a sourdough starter?", ["Feature Stores"])
    store.record_gap("How tall is Everest?", [])
    store.record_gap("what is a SOURDOUGH starter", ["Model Serving"])
    gaps = store.gaps()
    assert [g["question"] for g in gaps] == ["what is a SOURDOUGH starter", "How tall is Everest?"]
    assert gaps[0]["times"] == 2 and gaps[0]["nearest"] == ["Model Serving"] and gaps[1]["times"] == 1


def test_a_gap_keeps_its_reason_and_an_old_database_gains_the_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # a progress DB from before reasons were kept
        conn.execute("CREATE TABLE gaps (id INTEGER PRIMARY KEY AUTOINCREMENT, question TEXT NOT NULL, "
                     "asked_at TEXT NOT NULL, nearest TEXT)")
        conn.execute("INSERT INTO gaps (question, asked_at, nearest) VALUES ('Old one?', '2026-01-01T00:00:00+00:00', '[]')")
    store = ProgressStore(path)
    store.record_gap("Thin one?", ["Model Serving"], reason="thin")
    assert [(g["question"], g["reason"]) for g in store.gaps()] == [("Thin one?", "thin"), ("Old one?", "declined")]
    with pytest.raises(ValueError):
        store.record_gap("x?", reason="other")
