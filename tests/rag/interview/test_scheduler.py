from __future__ import annotations

import json
import os
import pwd
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import sys
import textwrap
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Rating

from core.errors import ProgressStoreError
from ingest.models import QuestionItem
from pg_server import postgres_server, postgres_url, progress_db  # noqa: F401  (fixtures)
from rag.interview.scheduler import ProgressStore, plan_session

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def item(qid: str, topic: str) -> QuestionItem:
    return QuestionItem(qid=qid, question=f"Question {qid}?", answer="An answer.", file="x.txt",
                        headings=(topic, f"Question {qid}?"), topic=topic)


@pytest.fixture
def store(progress_db) -> ProgressStore:
    """A store on each backend: an SQLite file, a PostgreSQL database of the test server."""
    return ProgressStore(progress_db)


def test_wal_and_tables(tmp_path):
    store = ProgressStore(tmp_path / "progress.db")
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


def test_state_survives_reopening(progress_db):
    path = progress_db
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
def test_killed_process_loses_no_recorded_answer(progress_db, death, returncode):
    path = progress_db
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


def test_concurrent_writers_with_their_own_connections_lose_nothing(progress_db):
    """As processes (or app servers) would: each writer its own store, so only the database's write
    lock (SQLite BEGIN IMMEDIATE, PostgreSQL's advisory lock) keeps two read-modify-writes of one
    card from both starting from the same copy; the stores create the tables at the same time too."""
    errors = []
    ready = threading.Barrier(5, timeout=60)

    def worker(n: int) -> None:
        try:
            mine = ProgressStore(progress_db)
            ready.wait()  # all writing at once
            for i in range(12):
                mine.record_answer(f"q{i % 3}", "Git", (n * 7 + i) % 100, session_id=f"s{n}")
        except Exception as e:  # reported below: a thread's exception would not fail the test
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = ProgressStore(progress_db)
    assert len(store.history()) == 60 and {q: c.reps for q, c in store.cards().items()} == {"q0": 20, "q1": 20, "q2": 20}


def test_two_users_in_one_database_stay_apart(progress_db):
    alice, bob = ProgressStore(progress_db, user="alice"), ProgressStore(progress_db, user="bob")
    alice.start_session("s1", mode="topics", topics=["Git"], now=T0)
    bob.start_session("s1", mode="weak", topics=["Drift"], now=T0)  # the same session id: each their own
    alice.record_answer("q1", "Git", 20, session_id="s1", answer_text="alice's", now=T0, item=item("q1", "Git"))
    bob.record_answer("q1", "Git", 95, session_id="s1", answer_text="bob's", now=T0, item=item("q1", "Git"))
    bob.record_answer("q2", "Drift", 60, now=T0)
    alice.record_gap("What is a canary?", now=T0)
    alice.dispute("q1", "the point", 90, now=T0)
    alice.end_session("s1", now=T0 + timedelta(minutes=5))
    assert {q: c.last_score for q, c in alice.cards().items()} == {"q1": 90}
    assert {q: c.last_score for q, c in bob.cards().items()} == {"q1": 95, "q2": 60}
    assert [(h["answer_text"], h["score"]) for h in alice.history()] == [("alice's", 90)]
    assert [h["answer_text"] for h in bob.history(session_id="s1")] == ["bob's"]
    assert [(x["mode"], x["topics"], bool(x["ended_at"])) for x in alice.sessions()] == [("topics", ["Git"], True)]
    assert [(x["mode"], x["topics"], bool(x["ended_at"])) for x in bob.sessions()] == [("weak", ["Drift"], False)]
    assert [g["question"] for g in alice.gaps()] == ["What is a canary?"] and bob.gaps() == []
    assert [d["new_score"] for d in alice.disputes()] == [90] and bob.disputes() == []
    assert [m.topic for m in alice.topic_mastery(T0)] == ["Git"] and [m.topic for m in bob.topic_mastery(T0)] == ["Drift", "Git"]
    assert "username" not in alice.history()[0]  # the rows read as they always did
    assert alice.reconcile([]) == {"moved": [], "archived": ["q1"], "restored": []}  # alice's notes changed, not bob's
    assert set(bob.cards()) == {"q1", "q2"} and alice.cards() == {}
    assert ProgressStore(progress_db).history() == [] and ProgressStore(progress_db).users() == ["alice", "bob"]


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


def test_reingesting_edited_notes_keeps_the_history(tmp_path, small_corpus, fake_embeddings, progress_db):
    """Every user's history, in their own file or (COACH_PROGRESS_URL) in the team's database."""
    from core.settings import Settings
    from rag.services import build_services

    url = {"progress_url": progress_db} if isinstance(progress_db, str) else {}
    services = build_services(Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", **url), embeddings=fake_embeddings)
    services.ingest()
    item = next(q for q in services.question_bank() if q.answer and q.file.startswith("003"))
    services.progress_store.record_answer(item.qid, item.topic, 35, item=item)
    services.progress_for("Alice").record_answer(item.qid, item.topic, 55, item=item)
    assert services.progress_for("alice").user == ("alice" if url else "")
    note = small_corpus / item.file
    note.write_text(note.read_text(encoding="utf-8").replace(item.question, item.question.rstrip("?") + ", in short?"),
                    encoding="utf-8")
    report = services.ingest()
    new = next(q for q in services.question_bank() if q.question == item.question.rstrip("?") + ", in short?")
    assert new.qid != item.qid and services.progress_store.cards()[new.qid].last_score == 35
    assert services.progress_for("alice").cards()[new.qid].last_score == 55
    assert "kept the practice history of 1 reworded question(s)" in report.warnings


def test_a_progress_db_from_before_the_new_columns_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE cards (qid TEXT PRIMARY KEY, topic TEXT NOT NULL, card_json TEXT NOT NULL,"
                       " last_score INTEGER, reps INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, due_ts REAL NOT NULL);"
                       "CREATE INDEX cards_due ON cards(due_ts);"
                       "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT,"
                       " mode TEXT, topics TEXT, n_questions INTEGER);"
                       "CREATE TABLE reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, qid TEXT NOT NULL, topic TEXT NOT NULL,"
                       " session_id TEXT, score INTEGER NOT NULL, rating INTEGER NOT NULL, answered_at TEXT NOT NULL, answer_text TEXT);")
    old = ProgressStore(tmp_path / "template.sqlite").record_answer("q0", "T", 40, now=T0)
    conn.execute("INSERT INTO cards VALUES ('q0', 'T', ?, 40, 1, ?, ?)",
                 (json.dumps(old.card.to_dict()), T0.isoformat(), old.due.timestamp()))
    conn.execute("INSERT INTO sessions VALUES ('s0', ?, NULL, 'topics', '[\"T\"]', 3)", (T0.isoformat(),))
    conn.execute("INSERT INTO reviews (qid, topic, session_id, score, rating, answered_at) VALUES ('q0', 'T', 's0', 40, 2, ?)",
                 (T0.isoformat(),))
    conn.commit()
    conn.close()
    store = ProgressStore(path)
    store.record_answer("q1", "T", 70)
    cols = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(cards)")}
    assert {"question", "file", "answer_hash", "archived_at", "username"} <= cols and store.cards()["q1"].last_score == 70
    # the rows from before are the single user's, and the keys now include the user
    assert store.cards()["q0"].card.to_dict() == old.card.to_dict() and store.cards()["q0"].reps == 1
    assert [s["session_id"] for s in store.sessions()] == ["s0"] and [h["qid"] for h in store.history()] == ["q1", "q0"]
    other = ProgressStore(path, user="bob")
    other.record_answer("q0", "T", 90)
    other.start_session("s0")
    assert store.cards()["q0"].last_score == 40 and other.cards()["q0"].last_score == 90
    assert ProgressStore(path).cards()["q0"].last_score == 40  # and the upgrade happens once


# --- a damaged or unreadable file ---------------------------------------------------------------
def _used_db_bytes(tmp_path) -> bytes:
    path = tmp_path / "used.sqlite"
    store = ProgressStore(path)
    for i in range(150):
        store.record_answer(f"q{i}", "Git", 50, answer_text="an answer " * 40, now=T0)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    return path.read_bytes()


@pytest.mark.parametrize("damage", ["random bytes", "cut in half", "cut inside its first page"])
def test_a_damaged_progress_db_is_moved_aside_and_a_new_one_started(tmp_path, damage, caplog):
    path = tmp_path / "data" / "progress.sqlite"
    path.parent.mkdir()
    if damage == "random bytes":
        path.write_bytes(random.Random(1).randbytes(20_000))
    else:
        data = _used_db_bytes(tmp_path)
        path.write_bytes(data[: len(data) // 2] if damage == "cut in half" else data[:1000])
    damaged = path.read_bytes()
    Path(f"{path}-wal").write_bytes(b"left by the last process")
    with caplog.at_level("WARNING"):
        store = ProgressStore(path)
    moved = store.recovered_from
    assert moved is not None and moved.parent == path.parent
    assert re.fullmatch(r"progress\.sqlite\.corrupt-\d{8}T\d{6}Z", moved.name)
    assert moved.read_bytes() == damaged and Path(f"{moved}-wal").read_bytes() == b"left by the last process"
    assert str(moved) in store.recovery_notice and "damaged" in store.recovery_notice
    assert f"moved aside to {moved}" in caplog.text
    assert store.history() == [] and store.record_answer("q1", "Git", 70).reps == 1
    again = ProgressStore(path)
    assert again.recovered_from is None and again.recovery_notice is None and again.cards()["q1"].last_score == 70


def test_an_empty_file_is_an_empty_progress_db(tmp_path):
    path = tmp_path / "progress.sqlite"
    path.write_bytes(b"")
    store = ProgressStore(path)
    assert store.recovered_from is None and store.record_answer("q1", "Git", 70).reps == 1
    assert sorted(p.name for p in tmp_path.iterdir() if "corrupt" in p.name) == []


def test_a_sound_progress_db_is_never_moved(tmp_path):
    path = tmp_path / "progress.sqlite"
    ProgressStore(path).record_answer("q1", "Git", 70)
    assert ProgressStore(path).recovered_from is None and [p for p in tmp_path.iterdir() if "corrupt" in p.name] == []


UNREADABLE = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[1])
    from core.errors import ProgressStoreError
    from rag.interview.scheduler import ProgressStore
    try:
        ProgressStore(sys.argv[2])
    except ProgressStoreError as e:
        print(e)
""")


def test_a_progress_db_this_user_cannot_read_is_one_sentence(tmp_path):
    """Mode 000.  Root reads any file whatever its mode, so as root the store is opened by a child
    process running as ``nobody``, in a folder of its own."""
    if os.geteuid() != 0:
        path = tmp_path / "progress.sqlite"
        ProgressStore(path)
        path.chmod(0)
        with pytest.raises(ProgressStoreError) as info:
            ProgressStore(path)
        message = str(info.value)
    else:
        nobody = pwd.getpwnam("nobody")
        folder = Path(tempfile.mkdtemp(prefix="coach-unreadable-"))
        try:
            os.chown(folder, nobody.pw_uid, nobody.pw_gid)
            path = folder / "progress.sqlite"
            ProgressStore(path)  # root's file: nobody may not read it once it is mode 000
            path.chmod(0)
            proc = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
                                   "--", sys.executable, "-c", UNREADABLE, str(ROOT), str(path)],
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            message = proc.stdout.strip()
        finally:
            shutil.rmtree(folder)
    assert message == (f"the progress database {path} cannot be opened: Permission denied; make it a file this user "
                       "can read and write (or point COACH_DATA_DIR elsewhere)")


@pytest.mark.parametrize("what", ["a folder", "a symlink to itself"])
def test_something_else_in_place_of_the_progress_db_is_one_sentence(tmp_path, what):
    path = tmp_path / "progress.sqlite"
    if what == "a folder":
        path.mkdir()
    else:
        path.symlink_to(path)
    with pytest.raises(ProgressStoreError, match=rf"^the progress database {re.escape(str(path))} cannot be opened: "
                                                 r"(it is a folder|Too many levels of symbolic links); make it a file"):
        ProgressStore(path)
    assert [p.name for p in tmp_path.iterdir()] == ["progress.sqlite"]  # nothing moved, nothing made


# --- the server -------------------------------------------------------------------------------------
def test_a_progress_server_that_does_not_answer_is_one_sentence():
    from conftest import free_port

    url = f"postgresql://coach@127.0.0.1:{free_port()}/progress"
    with pytest.raises(ProgressStoreError, match=r"^the progress database postgresql\+psycopg://coach@127\.0\.0\.1:\d+/progress "
                                                 r"cannot be used: .+; is the server running\?$"):
        ProgressStore(url)


def test_a_progress_url_hides_its_password_and_names_what_it_needs():
    from rag.interview.scheduler import _database_url

    assert _database_url("postgres://u:secret@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ProgressStoreError, match="must be PostgreSQL or SQLite, not 'mysql'"):
        ProgressStore("mysql://u@h/db")
    with pytest.raises(ProgressStoreError, match="in-memory SQLite"):
        ProgressStore("sqlite://")


def test_the_store_at_a_sqlite_url_is_that_file(tmp_path):
    path = tmp_path / "p.sqlite"
    ProgressStore(f"sqlite:///{path}").record_answer("q1", "Git", 70)
    assert ProgressStore(path).cards()["q1"].last_score == 70
