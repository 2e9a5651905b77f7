"""Spaced repetition of interview questions: FSRS cards and answer history in SQLite.

Durability: WAL journal with ``synchronous=FULL`` and one short transaction per recorded answer,
committed before ``record_answer`` returns.  A killed process therefore loses no recorded answer
(that already holds with NORMAL); FULL also keeps the last answers across an OS crash or power
cut, at the price of an fsync per answer, which is nothing at interview speed.

Thread-safe: every call opens its own connection; writes are serialised by a lock (and by
``BEGIN IMMEDIATE`` across processes).  Gradio runs handlers in worker threads.
"""

from __future__ import annotations

import hashlib
import json
import re
import random
import sqlite3
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

from fsrs import Card, Rating, Scheduler

from ingest.models import QuestionItem
from rag.interview.bands import WEAK_BELOW  # a topic whose mean recent score is under this is "weak"
from rag.interview.grading import score_to_rating
from rag.interview.levels import distance as level_distance, level_of
from rag.lexical import content_words


_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    qid TEXT PRIMARY KEY, topic TEXT NOT NULL, card_json TEXT NOT NULL, last_score INTEGER,
    reps INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, due_ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS cards_due ON cards(due_ts);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT, qid TEXT NOT NULL, topic TEXT NOT NULL, session_id TEXT,
    score INTEGER NOT NULL, rating INTEGER NOT NULL, answered_at TEXT NOT NULL, answer_text TEXT);
CREATE INDEX IF NOT EXISTS reviews_qid ON reviews(qid);
CREATE TABLE IF NOT EXISTS disputes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, review_id INTEGER NOT NULL, qid TEXT NOT NULL, question TEXT,
    point TEXT NOT NULL, answer_text TEXT, old_score INTEGER NOT NULL, new_score INTEGER NOT NULL,
    disputed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT, question TEXT NOT NULL, asked_at TEXT NOT NULL, nearest TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, mode TEXT,
    topics TEXT, n_questions INTEGER);
"""
# Added later (existing databases get them on open): what the card's question was, to find it again
# when the notes reword it, and when it was archived because the notes no longer ask it.
_CARD_COLUMNS = {"question": "TEXT", "file": "TEXT", "answer_hash": "TEXT", "archived_at": "TEXT"}
_REVIEW_COLUMNS = {"card_before": "TEXT"}  # the card as it was, so a disputed grade can be re-rated
_GAP_COLUMNS = {"reason": "TEXT"}  # GAP_REASONS; rows from before it was kept read as "declined"
GAP_REASONS = ("declined", "thin")  # the notes did not answer / the answer was mostly not found in them
_ACTIVE = "archived_at IS NULL"
SAME_QUESTION = 0.5  # content-word overlap (Jaccard) above which a new question is a rewording of an old one


def answer_hash(answer: str) -> str:
    """A fingerprint of a reference answer, blind to spacing and case ("" for no answer)."""
    text = " ".join((answer or "").lower().split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text else ""


def _overlap(a: str, b: str) -> float:
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def default_scheduler() -> Scheduler:
    """FSRS with one 10-minute learning step: a failed answer comes back in the same sitting,
    a good one graduates straight to day-scale intervals.  No fuzz: plans are reproducible."""
    return Scheduler(learning_steps=(timedelta(minutes=10),), enable_fuzzing=False)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)


@dataclass(frozen=True)
class CardState:
    qid: str
    topic: str
    card: Card
    last_score: int | None
    reps: int
    updated_at: datetime

    @property
    def due(self) -> datetime:
        return self.card.due


class TopicMastery(NamedTuple):
    topic: str
    mean_score: float  # mean of each answered question's latest score
    answered: int  # distinct questions answered at least once
    due: int  # of those, due now


class ProgressStore:
    def __init__(self, db_path: Path | str, scheduler: Scheduler | None = None) -> None:
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.scheduler = scheduler or default_scheduler()
        self._lock = threading.Lock()
        with self._lock, self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            for table, columns in (("cards", _CARD_COLUMNS), ("reviews", _REVIEW_COLUMNS), ("gaps", _GAP_COLUMNS)):
                have = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
                for name, kind in columns.items():
                    if name not in have:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # explicit transactions
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=FULL")
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction (or none at all)."""
        with self._lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # --- writing -------------------------------------------------------------------------
    def record_answer(self, qid: str, topic: str, score: int, rating_override: Rating | int | None = None,
                      session_id: str | None = None, answer_text: str = "", now: datetime | None = None,
                      item: QuestionItem | None = None) -> CardState:
        """Review the question's card with the rating for ``score`` and log the answer; durable on return.
        ``item`` (the bank's question) is remembered so a reworded question keeps its card."""
        now = _utc(now)
        rating = Rating(int(rating_override)) if rating_override is not None else score_to_rating(score)
        with self._write() as conn:
            row = conn.execute("SELECT card_json, reps FROM cards WHERE qid = ?", (qid,)).fetchone()
            card = Card.from_dict(json.loads(row["card_json"])) if row else Card(card_id=zlib.crc32(qid.encode()), due=now)
            before = json.dumps(card.to_dict())
            card, _ = self.scheduler.review_card(card, rating, review_datetime=now)
            reps = (row["reps"] if row else 0) + 1
            conn.execute(
                "INSERT INTO cards (qid, topic, card_json, last_score, reps, updated_at, due_ts) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT(qid) DO UPDATE SET topic=excluded.topic, card_json=excluded.card_json,"
                " last_score=excluded.last_score, reps=excluded.reps, updated_at=excluded.updated_at, due_ts=excluded.due_ts",
                (qid, topic, json.dumps(card.to_dict()), int(score), reps, now.isoformat(), card.due.timestamp()),
            )
            if item is not None:
                conn.execute("UPDATE cards SET question=?, file=?, answer_hash=?, archived_at=NULL WHERE qid=?",
                             (item.question, item.file, answer_hash(item.answer), qid))
            conn.execute(
                "INSERT INTO reviews (qid, topic, session_id, score, rating, answered_at, answer_text, card_before)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (qid, topic, session_id, int(score), int(rating), now.isoformat(), answer_text, before),
            )
        return CardState(qid, topic, card, int(score), reps, now)

    def dispute(self, qid: str, point: str, new_score: int, question: str = "", now: datetime | None = None) -> CardState:
        """The candidate says their last answer to ``qid`` did cover ``point``: that review is
        re-rated with ``new_score`` (the card is rebuilt from the state it had before it, at the
        review's own time) and the dispute is kept (``disputes()``, exported as grading examples)."""
        now = _utc(now)
        with self._write() as conn:
            rev = conn.execute("SELECT * FROM reviews WHERE qid = ? ORDER BY id DESC LIMIT 1", (qid,)).fetchone()
            row = conn.execute("SELECT reps, topic FROM cards WHERE qid = ?", (qid,)).fetchone()
            if rev is None or row is None or not rev["card_before"]:
                raise ValueError(f"no answer to dispute for {qid}")
            rating = score_to_rating(new_score)
            answered = datetime.fromisoformat(rev["answered_at"])
            card, _ = self.scheduler.review_card(Card.from_dict(json.loads(rev["card_before"])), rating,
                                                 review_datetime=answered)
            conn.execute("UPDATE cards SET card_json=?, last_score=?, due_ts=?, updated_at=? WHERE qid=?",
                         (json.dumps(card.to_dict()), int(new_score), card.due.timestamp(), now.isoformat(), qid))
            conn.execute("UPDATE reviews SET score=?, rating=? WHERE id=?", (int(new_score), int(rating), rev["id"]))
            conn.execute("INSERT INTO disputes (review_id, qid, question, point, answer_text, old_score, new_score,"
                         " disputed_at) VALUES (?,?,?,?,?,?,?,?)",
                         (rev["id"], qid, question, point, rev["answer_text"], rev["score"], int(new_score), now.isoformat()))
        return CardState(qid, row["topic"], card, int(new_score), row["reps"], answered)

    def start_session(self, session_id: str | None = None, mode: str = "", topics: Iterable[str] = (),
                      n_questions: int = 0, now: datetime | None = None) -> str:
        session_id = session_id or uuid.uuid4().hex[:12]
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO sessions (session_id, started_at, ended_at, mode, topics, n_questions)"
                " VALUES (?,?,NULL,?,?,?)",
                (session_id, _utc(now).isoformat(), mode, json.dumps(list(topics)), int(n_questions)),
            )
        return session_id

    def reconcile(self, bank: list[QuestionItem], now: datetime | None = None) -> dict[str, list]:
        """Keep the cards in step with edited notes.  A card whose question the bank no longer holds
        moves to the new question that replaced it (the same reference answer, or a question of the
        same file worded alike) with its history; otherwise it is archived (kept, not shown, and
        back when the question returns).  Returns the qids ``moved`` (old, new), ``archived``, ``restored``."""
        in_bank = {q.qid: q for q in bank}
        out: dict[str, list] = {"moved": [], "archived": [], "restored": []}
        with self._write() as conn:
            rows = conn.execute("SELECT qid, question, file, answer_hash, archived_at FROM cards").fetchall()
            carded = {r["qid"] for r in rows}
            newcomers = [q for q in bank if q.qid not in carded]
            orphans = []
            for r in rows:
                if r["qid"] not in in_bank:
                    orphans.append(r)
                    continue
                q = in_bank[r["qid"]]  # still asked: refresh what the card remembers of it
                conn.execute("UPDATE cards SET question=?, file=?, answer_hash=?, archived_at=NULL WHERE qid=?",
                             (q.question, q.file, answer_hash(q.answer), r["qid"]))
                if r["archived_at"] is not None:
                    out["restored"].append(r["qid"])
            # the same reference answer first, then the closest wording, so a loose match never
            # takes the question that another card matches exactly
            matches = {}
            for exact in (True, False):
                for r in orphans:
                    if r["qid"] not in matches and (m := self._replacement(r, newcomers, exact)) is not None:
                        matches[r["qid"]] = m
                        newcomers.remove(m)
            for r in orphans:
                match = matches.get(r["qid"])
                if match is not None:
                    conn.execute("UPDATE cards SET qid=?, topic=?, question=?, file=?, answer_hash=?, archived_at=NULL"
                                 " WHERE qid=?", (match.qid, match.topic, match.question, match.file,
                                                  answer_hash(match.answer), r["qid"]))
                    conn.execute("UPDATE reviews SET qid=?, topic=? WHERE qid=?", (match.qid, match.topic, r["qid"]))
                    out["moved"].append((r["qid"], match.qid))
                elif r["archived_at"] is None:
                    conn.execute("UPDATE cards SET archived_at=? WHERE qid=?", (_utc(now).isoformat(), r["qid"]))
                    out["archived"].append(r["qid"])
        return out

    @staticmethod
    def _replacement(card: sqlite3.Row, newcomers: list[QuestionItem], exact: bool) -> QuestionItem | None:
        if exact:
            return next((q for q in newcomers if card["answer_hash"] and answer_hash(q.answer) == card["answer_hash"]), None)
        if not card["question"]:
            return None
        scored = [(_overlap(card["question"], q.question), q) for q in newcomers if q.file == card["file"]]
        best = max(scored, key=lambda t: t[0], default=(0.0, None))
        return best[1] if best[0] >= SAME_QUESTION else None

    def end_session(self, session_id: str, now: datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute("UPDATE sessions SET ended_at = ? WHERE session_id = ?", (_utc(now).isoformat(), session_id))

    # --- reading -------------------------------------------------------------------------
    def _rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._connect() as conn:
            return conn.execute(sql, args).fetchall()

    @staticmethod
    def _state(row: sqlite3.Row) -> CardState:
        return CardState(row["qid"], row["topic"], Card.from_dict(json.loads(row["card_json"])),
                         row["last_score"], row["reps"], datetime.fromisoformat(row["updated_at"]))

    def cards(self) -> dict[str, CardState]:
        return {r["qid"]: self._state(r) for r in self._rows(f"SELECT * FROM cards WHERE {_ACTIVE}")}

    def card_due(self, qid: str) -> datetime | None:
        rows = self._rows("SELECT * FROM cards WHERE qid = ?", (qid,))
        return self._state(rows[0]).due if rows else None

    def due_cards(self, now: datetime | None = None) -> list[CardState]:
        """Cards due at ``now``, most overdue first."""
        rows = self._rows(f"SELECT * FROM cards WHERE due_ts <= ? AND {_ACTIVE} ORDER BY due_ts, qid",
                          (_utc(now).timestamp(),))
        return [self._state(r) for r in rows]

    def topic_mastery(self, now: datetime | None = None) -> list[TopicMastery]:
        """Per answered topic, weakest first."""
        rows = self._rows(
            "SELECT topic, AVG(last_score) AS mean, COUNT(*) AS n, SUM(due_ts <= ?) AS due"
            f" FROM cards WHERE {_ACTIVE} GROUP BY topic ORDER BY mean, topic", (_utc(now).timestamp(),))
        return [TopicMastery(r["topic"], float(r["mean"]), int(r["n"]), int(r["due"] or 0)) for r in rows]

    def weakest_topics(self, n: int = 3, now: datetime | None = None) -> list[str]:
        return [m.topic for m in self.topic_mastery(now)[:n]]

    def history(self, limit: int | None = None, qid: str | None = None, session_id: str | None = None) -> list[dict]:
        """Recorded answers, newest first."""
        where, args = [], []
        for col, val in (("qid", qid), ("session_id", session_id)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = "SELECT * FROM reviews" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [dict(r) for r in self._rows(sql, tuple(args))]

    def record_gap(self, question: str, nearest: Iterable[str] = (), now: datetime | None = None,
                   reason: str = "declined") -> None:
        """A question the notes could not answer (``declined``), or answered mostly with sentences
        not found in them (``thin``), with the nearest sections there are."""
        if reason not in GAP_REASONS:
            raise ValueError(f"unknown gap reason {reason!r}")
        with self._write() as conn:
            conn.execute("INSERT INTO gaps (question, asked_at, nearest, reason) VALUES (?,?,?,?)",
                         (question.strip(), _utc(now).isoformat(), json.dumps(list(nearest)), reason))

    def gaps(self, limit: int = 20) -> list[dict]:
        """The questions the notes could not answer, most recent first, each once (by its words,
        case and punctuation aside): question, times asked, last asked, nearest sections, and the
        reason of the latest time."""
        out: dict[str, dict] = {}
        for r in self._rows("SELECT * FROM gaps ORDER BY id DESC"):
            key = " ".join(re.findall(r"\w+", r["question"].lower()))
            if key in out:
                out[key]["times"] += 1
            elif len(out) < limit:
                out[key] = {"question": r["question"], "times": 1, "last_at": r["asked_at"],
                            "nearest": json.loads(r["nearest"] or "[]"), "reason": r["reason"] or "declined"}
        return list(out.values())

    def disputes(self) -> list[dict]:
        return [dict(r) for r in self._rows("SELECT * FROM disputes ORDER BY id")]

    def sessions(self) -> list[dict]:
        rows = self._rows("SELECT * FROM sessions ORDER BY started_at DESC")
        return [{**dict(r), "topics": json.loads(r["topics"] or "[]")} for r in rows]


def _weak_topics(store: ProgressStore, pool: list[QuestionItem], now: datetime) -> set[str] | None:
    """Answered topics of the pool scoring under WEAK_BELOW (else the single weakest); None when
    nothing in the pool was answered yet."""
    present = {q.topic for q in pool}
    mastery = [m for m in store.topic_mastery(now) if m.topic in present]
    if not mastery:
        return None
    return {m.topic for m in mastery if m.mean_score < WEAK_BELOW} or {mastery[0].topic}


def plan_session(bank: list[QuestionItem], store: ProgressStore, count: int, topics: list[str] | None = None,
                 weak: bool = False, now: datetime | None = None,
                 rng: random.Random | int | None = None, level: str | None = None) -> list[QuestionItem]:
    """Up to ``count`` distinct questions: due ones (most overdue first), then never-seen ones
    (shuffled by ``rng``), then not-yet-due ones (soonest first).  ``weak`` keeps only the
    lowest-mastery topics.  ``level`` (one of ``rag.interview.levels.LEVELS``) puts the questions
    at that level first, then those at the nearest levels (the easier one first on a tie), then
    those without a level, each group in the order above.  Deterministic for a given store state,
    ``now``, rng seed and level; without ``level`` the plan is what it always was."""
    now = _utc(now)
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    wanted = set(topics) if topics else None
    pool: list[QuestionItem] = []
    seen: set[str] = set()
    for q in bank:
        if q.qid not in seen and (wanted is None or q.topic in wanted):
            seen.add(q.qid)
            pool.append(q)
    if weak and (chosen := _weak_topics(store, pool, now)) is not None:
        pool = [q for q in pool if q.topic in chosen]
    states = store.cards()
    reviewed = [q for q in pool if q.qid in states]
    due = sorted((q for q in reviewed if states[q.qid].due <= now), key=lambda q: (states[q.qid].due, q.qid))
    later = sorted((q for q in reviewed if states[q.qid].due > now), key=lambda q: (states[q.qid].due, q.qid))
    new = [q for q in pool if q.qid not in states]
    rng.shuffle(new)
    ordered = due + new + later
    if level is not None:
        ordered.sort(key=lambda q: level_distance(level, level_of(q.headings)))  # stable: keeps the order above
    return ordered[: max(0, count)]
