from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Rating

from ingest.models import QuestionItem
from rag.interview.scheduler import ProgressStore, plan_session

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def item(qid: str, topic: str) -> QuestionItem:
    return QuestionItem(qid=qid, question=f"Question {qid}?", answer="An answer.", file="x.txt",
                        headings=(topic, f"Question {qid}?"), topic=topic)


@pytest.fixture
def store(tmp_path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.db")


def test_wal_and_tables(store):
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"cards", "reviews", "sessions"} <= tables


def test_bad_answer_due_before_good_one(store):
    bad = store.record_answer("q1", "Git", 20, now=T0)
    good = store.record_answer("q2", "Git", 95, now=T0)
    assert bad.due < good.due
    assert bad.due - T0 <= timedelta(hours=1) and good.due - T0 >= timedelta(days=1)
    assert [c.qid for c in store.due_cards(T0 + timedelta(hours=2))] == ["q1"]
    assert store.card_due("q2") == good.due and store.card_due("nope") is None


def test_rating_override_wins(store):
    st = store.record_answer("q1", "Git", 10, rating_override=Rating.Easy, now=T0)
    assert st.due - T0 >= timedelta(days=1)
    assert store.history()[0]["rating"] == int(Rating.Easy)


def test_state_survives_reopening(tmp_path):
    path = tmp_path / "p.db"
    s1 = ProgressStore(path)
    sid = s1.start_session(mode="topics", topics=["Git"], n_questions=2, now=T0)
    s1.record_answer("q1", "Git", 30, session_id=sid, answer_text="git tracks code", now=T0)
    s1.record_answer("q1", "Git", 80, session_id=sid, answer_text="better", now=T0 + timedelta(hours=1))
    s1.end_session(sid, now=T0 + timedelta(hours=2))
    before = s1.cards()["q1"]
    del s1

    s2 = ProgressStore(path)
    after = s2.cards()["q1"]
    assert after.card.to_dict() == before.card.to_dict()
    assert after.reps == 2 and after.last_score == 80
    assert [h["answer_text"] for h in s2.history()] == ["better", "git tracks code"]
    [session] = s2.sessions()
    assert session["session_id"] == sid and session["topics"] == ["Git"] and session["ended_at"]


@pytest.mark.parametrize("death, returncode", [("os._exit(0)", 0), ("os.kill(os.getpid(), signal.SIGKILL)", -signal.SIGKILL)])
def test_killed_process_loses_no_recorded_answer(tmp_path, death, returncode):
    path = tmp_path / "p.db"
    code = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from rag.interview.scheduler import ProgressStore
        store = ProgressStore({str(path)!r})
        store.record_answer("q1", "Git", 42, session_id="s1", answer_text="first answer")
        store.record_answer("q2", "Docker", 77, session_id="s1", answer_text="second answer")
        {death}
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == returncode, proc.stderr  # the process died the way it was meant to
    store = ProgressStore(path)
    assert [(h["qid"], h["score"], h["answer_text"]) for h in store.history()] == [
        ("q2", 77, "second answer"), ("q1", 42, "first answer")]
    assert set(store.cards()) == {"q1", "q2"}


def test_mastery_and_weakest_topics(store):
    store.record_answer("a1", "Drift", 20, now=T0)
    store.record_answer("a2", "Drift", 40, now=T0)
    store.record_answer("b1", "Git", 90, now=T0)
    store.record_answer("c1", "Docker", 70, now=T0)
    store.record_answer("c1", "Docker", 50, now=T0 + timedelta(minutes=5))  # the latest score counts
    mastery = store.topic_mastery(T0 + timedelta(hours=1))
    assert [(m.topic, m.mean_score, m.answered) for m in mastery] == [
        ("Drift", 30.0, 2), ("Docker", 50.0, 1), ("Git", 90.0, 1)]
    topic, mean, n, due = mastery[0]  # plain tuples too
    assert due == 2
    assert store.weakest_topics(2) == ["Drift", "Docker"]


BANK = [item(f"g{i}", "Git") for i in range(4)] + [item(f"d{i}", "Drift") for i in range(4)] \
    + [item(f"k{i}", "Docker") for i in range(4)]


def test_due_first_then_new_then_later(store):
    store.record_answer("g0", "Git", 10, now=T0 - timedelta(days=3))  # most overdue
    store.record_answer("g1", "Git", 10, now=T0 - timedelta(hours=1))  # due, less overdue
    store.record_answer("g2", "Git", 95, now=T0 - timedelta(hours=1))  # not due for days
    plan = plan_session(BANK, store, count=12, now=T0, rng=1)
    qids = [q.qid for q in plan]
    assert qids[:2] == ["g0", "g1"]
    assert qids[-1] == "g2"
    assert set(qids[2:-1]) == {q.qid for q in BANK} - {"g0", "g1", "g2"}
    assert len(plan_session(BANK, store, count=3, now=T0, rng=1)) == 3


def test_no_duplicates_even_with_a_repeating_bank(store):
    bank = BANK + BANK[:5]
    plan = plan_session(bank, store, count=50, now=T0, rng=7)
    assert len(plan) == len({q.qid for q in plan}) == len(BANK)


def test_deterministic_for_a_seed(store):
    a = [q.qid for q in plan_session(BANK, store, 6, now=T0, rng=3)]
    b = [q.qid for q in plan_session(BANK, store, 6, now=T0, rng=3)]
    assert a == b
    assert len({tuple(q.qid for q in plan_session(BANK, store, 6, now=T0, rng=s)) for s in range(5)}) > 1


def test_topic_filter(store):
    plan = plan_session(BANK, store, 10, topics=["Docker"], now=T0, rng=0)
    assert {q.topic for q in plan} == {"Docker"} and len(plan) == 4


def test_weak_mode_picks_the_low_scoring_topic(store):
    # nothing answered yet: weak mode falls back to every topic
    assert {q.topic for q in plan_session(BANK, store, 12, weak=True, now=T0, rng=0)} == {"Git", "Drift", "Docker"}
    store.record_answer("d0", "Drift", 25, now=T0)
    store.record_answer("g0", "Git", 90, now=T0)
    store.record_answer("g1", "Git", 85, now=T0)
    plan = plan_session(BANK, store, 3, weak=True, now=T0 + timedelta(minutes=1), rng=0)
    assert [q.topic for q in plan] == ["Drift"] * 3
    # when every topic is fine, the weakest one is drilled
    store.record_answer("d0", "Drift", 80, now=T0 + timedelta(minutes=20))
    plan = plan_session(BANK, store, 10, weak=True, now=T0 + timedelta(minutes=21), rng=0)
    assert {q.topic for q in plan} == {"Drift"}


def test_concurrent_writers_lose_nothing(store):
    def worker(n: int) -> None:
        for i in range(15):
            store.record_answer(f"q{i % 5}", "Git", (n * 7 + i) % 100, session_id=f"s{n}", answer_text=f"{n}-{i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.history()) == 90
    assert sum(c.reps for c in store.cards().values()) == 90


# --- the question bank follows note edits ---------------------------------------------------
def _item(qid, question, answer="Shift a small share of traffic first.", file="n.md", topic="Deploy"):
    from ingest.models import QuestionItem

    return QuestionItem(qid=qid, question=question, answer=answer, file=file, headings=(topic, question), topic=topic)


def test_a_reworded_question_keeps_its_card_and_history(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    old = _item("q-old", "What is canary deployment?")
    other = _item("q-2", "Why use a feature store?", answer="Shared features.")
    for score in (30, 80):
        store.record_answer(old.qid, old.topic, score, item=old)
    store.record_answer(other.qid, other.topic, 50, item=other)
    same_answer = _item("q-new", "Explain how a canary release works")  # reworded, answer unchanged
    result = store.reconcile([same_answer, other])
    assert result == {"moved": [("q-old", "q-new")], "archived": [], "restored": []}
    assert store.cards()["q-new"].reps == 2 and "q-old" not in store.cards()
    assert [h["score"] for h in store.history(qid="q-new")] == [80, 30]


def test_a_reworded_question_with_an_edited_answer_is_found_by_its_words(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    old = _item("q-old", "What is canary deployment and how does it work?")
    store.record_answer(old.qid, old.topic, 40, item=old)
    elsewhere = _item("q-x", "What is canary deployment and how does it work?", answer="x", file="other.md")
    reworded = _item("q-new", "What is a canary deployment, and how does it work?", answer="Edited: 5% of traffic first.")
    assert store.reconcile([elsewhere, reworded])["moved"] == [("q-old", "q-new")]  # same file only


def test_a_removed_question_is_archived_not_lost_and_comes_back(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    gone = _item("q-gone", "What is shadow deployment?", answer="Mirror traffic.")
    store.record_answer(gone.qid, gone.topic, 20, item=gone)
    unrelated = _item("q-new", "How do you version datasets?", answer="DVC.")
    assert store.reconcile([unrelated]) == {"moved": [], "archived": ["q-gone"], "restored": []}
    assert store.cards() == {} and store.due_cards(datetime.now(timezone.utc) + timedelta(days=400)) == []
    assert store.topic_mastery() == [] and [h["score"] for h in store.history(qid="q-gone")] == [20]
    assert store.reconcile([unrelated]) == {"moved": [], "archived": [], "restored": []}  # archived once
    assert store.reconcile([unrelated, gone])["restored"] == ["q-gone"]
    assert store.cards()["q-gone"].last_score == 20


def test_reingesting_edited_notes_keeps_the_history(tmp_path, small_corpus, fake_embeddings):
    from core.settings import Settings
    from rag.services import build_services

    services = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data"), embeddings=fake_embeddings)
    services.ingest()
    item = next(q for q in services.question_bank() if q.answer and q.file.startswith("003"))
    services.progress_store.record_answer(item.qid, item.topic, 35, item=item)
    note = small_corpus / item.file
    note.write_text(note.read_text(encoding="utf-8").replace(item.question, item.question.rstrip("?") + ", in short?"),
                    encoding="utf-8")
    report = services.ingest()
    new = next(q for q in services.question_bank() if q.question == item.question.rstrip("?") + ", in short?")
    assert new.qid != item.qid and services.progress_store.cards()[new.qid].last_score == 35
    assert "kept the practice history of 1 reworded question(s)" in report.warnings


def test_a_progress_db_from_before_the_new_columns_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE cards (qid TEXT PRIMARY KEY, topic TEXT NOT NULL, card_json TEXT NOT NULL,"
                       " last_score INTEGER, reps INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, due_ts REAL NOT NULL);")
    conn.close()
    store = ProgressStore(path)
    store.record_answer("q1", "T", 70)
    cols = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(cards)")}
    assert {"question", "file", "answer_hash", "archived_at"} <= cols and store.cards()["q1"].last_score == 70
