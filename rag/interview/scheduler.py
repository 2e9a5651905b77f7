"""Spaced repetition of interview questions: FSRS cards and answer history in a database.

Where: an embedded SQLite file (``PathSettings.progress_db``) by default, or the database at
``COACH_PROGRESS_URL`` (PostgreSQL for a team: one database, every row keyed by its user), through
SQLAlchemy Core, the same statements on both.

Durability: one short transaction per recorded answer, committed before ``record_answer`` returns,
so a killed process loses no recorded answer.  SQLite runs in WAL mode with ``synchronous=FULL``,
which also keeps the last answers across an OS crash or power cut, at the price of an fsync per
answer (nothing at interview speed); PostgreSQL commits durably by its own default.

Thread- and process-safe: every write takes the write lock when its transaction starts (SQLite
``BEGIN IMMEDIATE``; PostgreSQL a transaction-scoped advisory lock per user), so a
read-modify-write of a card never works from a stale copy; a lock also serialises the writes of
one store's threads.  Gradio runs handlers in worker threads.

A damaged SQLite file (not a database, or failing ``PRAGMA quick_check``) is moved aside on open
to ``<name>.corrupt-<UTC time>`` with its -wal/-shm, and a new one is started
(``ProgressStore.recovered_from``, ``recovery_notice``); an unreadable one is a
``ProgressStoreError``, as is a server that cannot be reached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import random
import sqlite3
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

from fsrs import Card, Rating, Scheduler
from sqlalchemy import (URL, Column, Connection, Double, Engine, Index, Integer, MetaData, RowMapping, Table, Text,
                        case, create_engine, event, func, insert, inspect, make_url, select, update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

from core.errors import ProgressStoreError
from ingest.models import QuestionItem
from rag.interview.bands import WEAK_BELOW  # a topic whose mean recent score is under this is "weak"
from rag.interview.grading import score_to_rating
from rag.interview.levels import distance as level_distance, level_of
from rag.lexical import content_words

log = logging.getLogger(__name__)

# --- the tables ----------------------------------------------------------------------------
# ``username`` is in every key and every where clause: one PostgreSQL database serves a team, each
# user's progress apart ("" = the single user of an embedded file).
_meta = MetaData()


def _user_column(primary_key: bool = False) -> Column:
    return Column("username", Text, primary_key=primary_key, nullable=False, server_default="")


_cards = Table(
    "cards", _meta, _user_column(primary_key=True), Column("qid", Text, primary_key=True),
    Column("topic", Text, nullable=False), Column("card_json", Text, nullable=False), Column("last_score", Integer),
    Column("reps", Integer, nullable=False, server_default="0"), Column("updated_at", Text, nullable=False),
    Column("due_ts", Double, nullable=False),
    # added later: what the card's question was, to find it again when the notes reword it, and
    # when it was archived because the notes no longer ask it
    Column("question", Text), Column("file", Text), Column("answer_hash", Text), Column("archived_at", Text),
    Index("cards_due", "due_ts"))
_reviews = Table(
    "reviews", _meta, Column("id", Integer, primary_key=True, autoincrement=True), _user_column(),
    Column("qid", Text, nullable=False), Column("topic", Text, nullable=False), Column("session_id", Text),
    Column("score", Integer, nullable=False), Column("rating", Integer, nullable=False),
    Column("answered_at", Text, nullable=False), Column("answer_text", Text),
    Column("card_before", Text),  # added later: the card as it was, so a disputed grade can be re-rated
    Index("reviews_qid", "qid"), sqlite_autoincrement=True)
_disputes = Table(
    "disputes", _meta, Column("id", Integer, primary_key=True, autoincrement=True), _user_column(),
    Column("review_id", Integer, nullable=False), Column("qid", Text, nullable=False), Column("question", Text),
    Column("point", Text, nullable=False), Column("answer_text", Text), Column("old_score", Integer, nullable=False),
    Column("new_score", Integer, nullable=False), Column("disputed_at", Text, nullable=False), sqlite_autoincrement=True)
_gaps = Table(
    "gaps", _meta, Column("id", Integer, primary_key=True, autoincrement=True), _user_column(),
    Column("question", Text, nullable=False), Column("asked_at", Text, nullable=False), Column("nearest", Text),
    Column("reason", Text),  # added later: GAP_REASONS; rows from before it was kept read as "declined"
    sqlite_autoincrement=True)
_sessions = Table(
    "sessions", _meta, _user_column(primary_key=True), Column("session_id", Text, primary_key=True),
    Column("started_at", Text, nullable=False), Column("ended_at", Text), Column("mode", Text), Column("topics", Text),
    Column("n_questions", Integer))
GAP_REASONS = ("declined", "thin")  # the notes did not answer / the answer was mostly not found in them
SAME_QUESTION = 0.5  # content-word overlap (Jaccard) above which a new question is a rewording of an old one
_SQLITE_DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")  # "file is not a database", "database disk image is malformed"
_SERVER_ENGINES: dict[str, Engine] = {}  # one connection pool per database server URL, shared by its users' stores
_SERVER_ENGINES_LOCK = threading.Lock()


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


def _database_url(db: Path | str) -> URL | None:
    """``db`` as an SQLAlchemy URL when it is one (``postgresql://…``, ``sqlite:///…``), else None (a file path).
    ``postgres://`` and ``postgresql://`` get the psycopg (v3) driver, the one the ``team`` extra installs."""
    if not isinstance(db, str) or "://" not in db:
        return None
    try:
        url = make_url(db)
    except ArgumentError as e:
        raise ProgressStoreError(f"the progress database URL {db!r} cannot be read ({e}); "
                                 "write it as postgresql://user:password@host:5432/database") from e
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("postgresql", "sqlite"):
        raise ProgressStoreError(f"the progress database must be PostgreSQL or SQLite, not {url.get_backend_name()!r}")
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ProgressStoreError("an in-memory SQLite progress database would forget every answer; name a file "
                                 "(sqlite:////path/to/progress.sqlite) or a PostgreSQL database")
    return url


def _sqlite_engine(path: Path) -> Engine:
    """A connection per use (as before the port), ``synchronous=FULL``, and transactions begun by us:
    ``BEGIN IMMEDIATE`` for writes (the write lock up front, across processes), ``BEGIN`` for reads.
    (Python 3.11's sqlite3 would otherwise begin only at the first INSERT, after the reads.)"""
    engine = create_engine(URL.create("sqlite", database=str(path)), poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA synchronous=FULL")

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("coach_write") else "BEGIN")

    return engine


def _server_engine(url: URL) -> Engine:
    key = url.render_as_string(hide_password=False)
    with _SERVER_ENGINES_LOCK:
        if key not in _SERVER_ENGINES:
            try:
                _SERVER_ENGINES[key] = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
            except ModuleNotFoundError as e:
                raise ProgressStoreError(f"the progress database is PostgreSQL but its driver ({e.name}) is not "
                                         "installed: pip install -e '.[team]'") from e
        return _SERVER_ENGINES[key]


def _lock_key(*parts: str) -> int:
    """A PostgreSQL advisory lock id (signed 64-bit) for ``parts``."""
    digest = hashlib.sha256("\0".join(("coach-progress", *parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _unopenable(path: Path, reason: str) -> ProgressStoreError:
    return ProgressStoreError(f"the progress database {path} cannot be opened: {reason}; make it a file this user "
                              "can read and write (or point COACH_DATA_DIR elsewhere)")


def _damage(path: Path) -> str | None:
    """Why the SQLite file at ``path`` is damaged (None: it is sound, or absent, or empty).  Read
    only: a read-write connection would delete a -wal it cannot use when it closes."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as e:
        raise _unopenable(path, str(e)) from e
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        return None if rows == ["ok"] else "; ".join(rows[:3])
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorname", "") in _SQLITE_DAMAGED:
            return str(e)
        raise ProgressStoreError(f"the progress database {path} cannot be checked: {e}") from e  # locked, I/O error: not damage
    finally:
        conn.close()


def _move_aside(path: Path, now: datetime) -> Path:
    """Rename the damaged ``path`` (and its -wal/-shm) to ``<name>.corrupt-<UTC time>`` beside it."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        try:
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
        except FileNotFoundError:
            pass  # no such side file (or another process moved it first)
    return target


def _open_sqlite_file(path: Path) -> Path | None:
    """Make ``path`` a sound SQLite file in WAL mode; a damaged one is moved aside (returned) and a
    new one started.  Unreadable or unwritable is a ``ProgressStoreError``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _unopenable(path, f"its folder cannot be made ({e.strerror or e})") from e
    if path.is_dir():
        raise _unopenable(path, "it is a folder")
    if os.path.lexists(path):  # (a symlink loop "does not exist", yet cannot be opened either)
        try:
            with path.open("rb") as f:
                f.read(1)
        except OSError as e:
            raise _unopenable(path, e.strerror or str(e)) from e
        if not os.access(path, os.W_OK):
            raise _unopenable(path, "it is read-only")
    moved = None
    if (why := _damage(path)) is not None:
        moved = _move_aside(path, datetime.now(timezone.utc))
        log.warning("the progress database %s was damaged (%s): moved aside to %s, a new one started", path, why, moved)
    try:
        with closing(sqlite3.connect(path, timeout=30)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as e:
        raise _unopenable(path, str(e)) from e
    return moved


class ProgressStore:
    """The progress of one user: ``db`` is the embedded SQLite file (a path) or an SQLAlchemy URL
    (``COACH_PROGRESS_URL``: ``postgresql://…`` for a team's server, or ``sqlite:///…``); ``user``
    keys every row, so one database can hold a team's progress apart ("" = the single user).
    A damaged SQLite file is moved aside on open and a new one started: ``recovered_from``."""

    def __init__(self, db_path: Path | str, scheduler: Scheduler | None = None, *, user: str = "") -> None:
        self.scheduler = scheduler or default_scheduler()
        self.user = user
        self._lock = threading.Lock()
        self.recovered_from: Path | None = None  # where a damaged SQLite file was moved to
        url = _database_url(db_path)
        if url is None or url.get_backend_name() == "sqlite":
            self.path: Path | None = Path(db_path) if url is None else Path(url.database)
            self.url = f"sqlite:///{self.path}"
            self.recovered_from = _open_sqlite_file(self.path)
            self.engine = _sqlite_engine(self.path)
        else:
            self.path = None
            self.url = url.render_as_string(hide_password=True)
            self.engine = _server_engine(url)
        self._server = self.engine.dialect.name == "postgresql"
        self._insert = pg_insert if self._server else sqlite_insert
        with self._write(_lock_key("schema")) as conn:
            self._migrate(conn)

    @property
    def recovery_notice(self) -> str | None:
        """The sentence to show when a damaged database was moved aside on open (else None)."""
        if self.recovered_from is None:
            return None
        return (f"The progress database {self.path} was damaged and could not be read; it was moved aside to "
                f"{self.recovered_from} and a new, empty one was started (earlier progress is in the moved file).")

    @staticmethod
    def _migrate(conn: Connection) -> None:
        """Create the tables; bring an older SQLite database's tables up to date in place (columns
        added later; a key without ``username`` gets the table rebuilt with its rows)."""
        inspector = inspect(conn)
        for table in _meta.sorted_tables:
            if not inspector.has_table(table.name):
                table.create(conn)
                continue
            have = [c["name"] for c in inspector.get_columns(table.name)]
            key = inspector.get_pk_constraint(table.name)["constrained_columns"]
            if key != [c.name for c in table.primary_key]:
                old = f"{table.name}_before_users"
                for index in inspector.get_indexes(table.name):
                    conn.exec_driver_sql(f'DROP INDEX "{index["name"]}"')
                conn.exec_driver_sql(f'ALTER TABLE "{table.name}" RENAME TO "{old}"')
                table.create(conn)
                cols = ", ".join(f'"{c}"' for c in have if c in table.c)
                conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{old}"')
                conn.exec_driver_sql(f'DROP TABLE "{old}"')
                continue
            for column in table.columns:
                if column.name not in have:
                    ddl = f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {column.type.compile(conn.dialect)}'
                    if column.server_default is not None:
                        ddl += f" NOT NULL DEFAULT '{column.server_default.arg}'"
                    conn.exec_driver_sql(ddl)

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """A database that stopped answering (server down, file locked for 30 s) is one sentence."""
        try:
            yield
        except (OperationalError, InterfaceError) as e:
            reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            raise ProgressStoreError(f"the progress database {self.path or self.url} cannot be used: {reason}"
                                     + ("; is the server running?" if self._server else "")) from e

    @contextmanager
    def _write(self, lock: int | None = None) -> Iterator[Connection]:
        """One committed transaction (or none at all), holding the write lock from its start: SQLite's
        ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock per user, so every read-modify-write of
        one user's cards runs after the last one committed (across processes and machines)."""
        with self._lock, self._failures(), self.engine.connect() as conn:
            with conn.execution_options(coach_write=True).begin():
                if self._server:
                    conn.execute(select(func.pg_advisory_xact_lock(lock if lock is not None else _lock_key("user", self.user))))
                yield conn

    def _rows(self, stmt) -> list[RowMapping]:
        with self._failures(), self.engine.connect() as conn:
            return list(conn.execute(stmt).mappings().all())

    def _mine(self, table: Table):
        return table.c.username == self.user

    def _upsert(self, conn: Connection, table: Table, values: dict) -> None:
        """Insert the row of ``values``, or update the row with its key."""
        key = [c.name for c in table.primary_key]
        stmt = self._insert(table).values(username=self.user, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=key,
                                                set_={k: stmt.excluded[k] for k in values if k not in key}))

    # --- writing -------------------------------------------------------------------------
    def record_answer(self, qid: str, topic: str, score: int, rating_override: Rating | int | None = None,
                      session_id: str | None = None, answer_text: str = "", now: datetime | None = None,
                      item: QuestionItem | None = None) -> CardState:
        """Review the question's card with the rating for ``score`` and log the answer; durable on return.
        ``item`` (the bank's question) is remembered so a reworded question keeps its card."""
        now = _utc(now)
        rating = Rating(int(rating_override)) if rating_override is not None else score_to_rating(score)
        c = _cards.c
        with self._write() as conn:
            row = conn.execute(select(c.card_json, c.reps).where(self._mine(_cards), c.qid == qid)).mappings().first()
            card = Card.from_dict(json.loads(row["card_json"])) if row else Card(card_id=zlib.crc32(qid.encode()), due=now)
            before = json.dumps(card.to_dict())
            card, _ = self.scheduler.review_card(card, rating, review_datetime=now)
            reps = (row["reps"] if row else 0) + 1
            values = dict(qid=qid, topic=topic, card_json=json.dumps(card.to_dict()), last_score=int(score), reps=reps,
                          updated_at=now.isoformat(), due_ts=card.due.timestamp())
            if item is not None:
                values.update(question=item.question, file=item.file, answer_hash=answer_hash(item.answer),
                              archived_at=None)
            self._upsert(conn, _cards, values)
            conn.execute(insert(_reviews).values(
                username=self.user, qid=qid, topic=topic, session_id=session_id, score=int(score), rating=int(rating),
                answered_at=now.isoformat(), answer_text=answer_text, card_before=before))
        return CardState(qid, topic, card, int(score), reps, now)

    def dispute(self, qid: str, point: str, new_score: int, question: str = "", now: datetime | None = None) -> CardState:
        """The candidate says their last answer to ``qid`` did cover ``point``: that review is
        re-rated with ``new_score`` (the card is rebuilt from the state it had before it, at the
        review's own time) and the dispute is kept (``disputes()``, exported as grading examples)."""
        now = _utc(now)
        c, r = _cards.c, _reviews.c
        with self._write() as conn:
            rev = conn.execute(select(_reviews).where(self._mine(_reviews), r.qid == qid)
                               .order_by(r.id.desc()).limit(1)).mappings().first()
            row = conn.execute(select(c.reps, c.topic).where(self._mine(_cards), c.qid == qid)).mappings().first()
            if rev is None or row is None or not rev["card_before"]:
                raise ValueError(f"no answer to dispute for {qid}")
            rating = score_to_rating(new_score)
            answered = datetime.fromisoformat(rev["answered_at"])
            card, _ = self.scheduler.review_card(Card.from_dict(json.loads(rev["card_before"])), rating,
                                                 review_datetime=answered)
            conn.execute(update(_cards).where(self._mine(_cards), c.qid == qid).values(
                card_json=json.dumps(card.to_dict()), last_score=int(new_score), due_ts=card.due.timestamp(),
                updated_at=now.isoformat()))
            conn.execute(update(_reviews).where(r.id == rev["id"]).values(score=int(new_score), rating=int(rating)))
            conn.execute(insert(_disputes).values(
                username=self.user, review_id=rev["id"], qid=qid, question=question, point=point,
                answer_text=rev["answer_text"], old_score=rev["score"], new_score=int(new_score), disputed_at=now.isoformat()))
        return CardState(qid, row["topic"], card, int(new_score), row["reps"], answered)

    def start_session(self, session_id: str | None = None, mode: str = "", topics: Iterable[str] = (),
                      n_questions: int = 0, now: datetime | None = None) -> str:
        session_id = session_id or uuid.uuid4().hex[:12]
        with self._write() as conn:
            self._upsert(conn, _sessions, dict(session_id=session_id, started_at=_utc(now).isoformat(), ended_at=None,
                                               mode=mode, topics=json.dumps(list(topics)), n_questions=int(n_questions)))
        return session_id

    def reconcile(self, bank: list[QuestionItem], now: datetime | None = None) -> dict[str, list]:
        """Keep the cards in step with edited notes.  A card whose question the bank no longer holds
        moves to the new question that replaced it (the same reference answer, or a question of the
        same file worded alike) with its history; otherwise it is archived (kept, not shown, and
        back when the question returns).  Returns the qids ``moved`` (old, new), ``archived``, ``restored``."""
        in_bank = {q.qid: q for q in bank}
        out: dict[str, list] = {"moved": [], "archived": [], "restored": []}
        c = _cards.c
        mine = self._mine(_cards)
        with self._write() as conn:
            rows = conn.execute(select(c.qid, c.question, c.file, c.answer_hash, c.archived_at).where(mine)
                                .order_by(c.qid)).mappings().all()
            carded = {r["qid"] for r in rows}
            newcomers = [q for q in bank if q.qid not in carded]
            orphans = []
            for r in rows:
                if r["qid"] not in in_bank:
                    orphans.append(r)
                    continue
                q = in_bank[r["qid"]]  # still asked: refresh what the card remembers of it
                conn.execute(update(_cards).where(mine, c.qid == r["qid"]).values(
                    question=q.question, file=q.file, answer_hash=answer_hash(q.answer), archived_at=None))
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
                    conn.execute(update(_cards).where(mine, c.qid == r["qid"]).values(
                        qid=match.qid, topic=match.topic, question=match.question, file=match.file,
                        answer_hash=answer_hash(match.answer), archived_at=None))
                    conn.execute(update(_reviews).where(self._mine(_reviews), _reviews.c.qid == r["qid"])
                                 .values(qid=match.qid, topic=match.topic))
                    out["moved"].append((r["qid"], match.qid))
                elif r["archived_at"] is None:
                    conn.execute(update(_cards).where(mine, c.qid == r["qid"]).values(archived_at=_utc(now).isoformat()))
                    out["archived"].append(r["qid"])
        return out

    @staticmethod
    def _replacement(card: RowMapping, newcomers: list[QuestionItem], exact: bool) -> QuestionItem | None:
        if exact:
            return next((q for q in newcomers if card["answer_hash"] and answer_hash(q.answer) == card["answer_hash"]), None)
        if not card["question"]:
            return None
        scored = [(_overlap(card["question"], q.question), q) for q in newcomers if q.file == card["file"]]
        best = max(scored, key=lambda t: t[0], default=(0.0, None))
        return best[1] if best[0] >= SAME_QUESTION else None

    def end_session(self, session_id: str, now: datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute(update(_sessions).where(self._mine(_sessions), _sessions.c.session_id == session_id)
                         .values(ended_at=_utc(now).isoformat()))

    # --- reading -------------------------------------------------------------------------
    @staticmethod
    def _state(row: RowMapping) -> CardState:
        return CardState(row["qid"], row["topic"], Card.from_dict(json.loads(row["card_json"])),
                         row["last_score"], row["reps"], datetime.fromisoformat(row["updated_at"]))

    @staticmethod
    def _plain(row: RowMapping) -> dict:
        return {k: v for k, v in row.items() if k != "username"}

    def _active_cards(self):
        return select(_cards).where(self._mine(_cards), _cards.c.archived_at.is_(None))

    def cards(self) -> dict[str, CardState]:
        return {r["qid"]: self._state(r) for r in self._rows(self._active_cards())}

    def card_due(self, qid: str) -> datetime | None:
        rows = self._rows(select(_cards).where(self._mine(_cards), _cards.c.qid == qid))
        return self._state(rows[0]).due if rows else None

    def due_cards(self, now: datetime | None = None) -> list[CardState]:
        """Cards due at ``now``, most overdue first."""
        c = _cards.c
        rows = self._rows(self._active_cards().where(c.due_ts <= _utc(now).timestamp()).order_by(c.due_ts, c.qid))
        return [self._state(r) for r in rows]

    def topic_mastery(self, now: datetime | None = None) -> list[TopicMastery]:
        """Per answered topic, weakest first."""
        c = _cards.c
        mean = func.avg(c.last_score).label("mean")
        due = func.sum(case((c.due_ts <= _utc(now).timestamp(), 1), else_=0)).label("due")
        rows = self._rows(select(c.topic, mean, func.count().label("n"), due)
                          .where(self._mine(_cards), c.archived_at.is_(None)).group_by(c.topic).order_by(mean, c.topic))
        return [TopicMastery(r["topic"], float(r["mean"]), int(r["n"]), int(r["due"] or 0)) for r in rows]

    def weakest_topics(self, n: int = 3, now: datetime | None = None) -> list[str]:
        return [m.topic for m in self.topic_mastery(now)[:n]]

    def history(self, limit: int | None = None, qid: str | None = None, session_id: str | None = None) -> list[dict]:
        """Recorded answers, newest first."""
        r = _reviews.c
        stmt = select(_reviews).where(self._mine(_reviews)).order_by(r.id.desc())
        if qid is not None:
            stmt = stmt.where(r.qid == qid)
        if session_id is not None:
            stmt = stmt.where(r.session_id == session_id)
        if limit is not None:
            stmt = stmt.limit(int(limit))
        return [self._plain(row) for row in self._rows(stmt)]

    def record_gap(self, question: str, nearest: Iterable[str] = (), now: datetime | None = None,
                   reason: str = "declined") -> None:
        """A question the notes could not answer (``declined``), or answered mostly with sentences
        not found in them (``thin``), with the nearest sections there are."""
        if reason not in GAP_REASONS:
            raise ValueError(f"unknown gap reason {reason!r}")
        with self._write() as conn:
            conn.execute(insert(_gaps).values(username=self.user, question=question.strip(), asked_at=_utc(now).isoformat(),
                                              nearest=json.dumps(list(nearest)), reason=reason))

    def gaps(self, limit: int = 20) -> list[dict]:
        """The questions the notes could not answer, most recent first, each once (by its words,
        case and punctuation aside): question, times asked, last asked, nearest sections, and the
        reason of the latest time."""
        out: dict[str, dict] = {}
        for r in self._rows(select(_gaps).where(self._mine(_gaps)).order_by(_gaps.c.id.desc())):
            key = " ".join(re.findall(r"\w+", r["question"].lower()))
            if key in out:
                out[key]["times"] += 1
            elif len(out) < limit:
                out[key] = {"question": r["question"], "times": 1, "last_at": r["asked_at"],
                            "nearest": json.loads(r["nearest"] or "[]"), "reason": r["reason"] or "declined"}
        return list(out.values())

    def disputes(self) -> list[dict]:
        return [self._plain(r) for r in self._rows(select(_disputes).where(self._mine(_disputes)).order_by(_disputes.c.id))]

    def sessions(self) -> list[dict]:
        rows = self._rows(select(_sessions).where(self._mine(_sessions)).order_by(_sessions.c.started_at.desc()))
        return [{**self._plain(r), "topics": json.loads(r["topics"] or "[]")} for r in rows]

    def users(self) -> list[str]:
        """Every user with a card in this database (a team's PostgreSQL database holds many)."""
        return [r["username"] for r in self._rows(select(_cards.c.username).distinct().order_by(_cards.c.username))]


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
