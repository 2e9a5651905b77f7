"""A SQLite ``RecordManager`` for LangChain's indexing API.

LangChain 1.x ships only an in-memory record manager in ``langchain_core``; the SQL one moved
to ``langchain-classic`` with SQLAlchemy behind it.  This is the same contract in ~70 lines of
stdlib ``sqlite3``: which chunk ids are in the vector store, their source file, and when they
were last seen, so a re-run embeds only what changed and deletes what disappeared.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from langchain_core.indexing import RecordManager


class SQLiteRecordManager(RecordManager):
    def __init__(self, namespace: str, db_path: Path) -> None:
        super().__init__(namespace)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self._last_time = 0.0
        self.create_schema()

    def create_schema(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS records (namespace TEXT, key TEXT, group_id TEXT,"
            " updated_at REAL, PRIMARY KEY (namespace, key))"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS records_group ON records(namespace, group_id, updated_at)")

    async def acreate_schema(self) -> None:
        self.create_schema()

    def get_time(self) -> float:
        # strictly increasing, so "before=start" never catches rows written in the same run
        with self._lock:
            self._last_time = max(time.time(), self._last_time + 1e-6)
            return self._last_time

    async def aget_time(self) -> float:
        return self.get_time()

    def update(self, keys: Sequence[str], *, group_ids: Sequence[str | None] | None = None,
               time_at_least: float | None = None) -> None:
        if group_ids is not None and len(keys) != len(group_ids):
            raise ValueError("Length of keys must match length of group_ids")
        now = self.get_time()
        if time_at_least and time_at_least > now:
            raise ValueError("time_at_least must be in the past")
        groups = group_ids if group_ids is not None else [None] * len(keys)
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT INTO records(namespace, key, group_id, updated_at) VALUES (?,?,?,?)"
                " ON CONFLICT(namespace, key) DO UPDATE SET group_id=excluded.group_id, updated_at=excluded.updated_at",
                [(self.namespace, k, g, now) for k, g in zip(keys, groups)],
            )

    async def aupdate(self, keys, *, group_ids=None, time_at_least=None) -> None:
        self.update(keys, group_ids=group_ids, time_at_least=time_at_least)

    def exists(self, keys: Sequence[str]) -> list[bool]:
        if not keys:
            return []
        with self._lock:
            found = set()
            for i in range(0, len(keys), 500):
                part = list(keys[i : i + 500])
                q = f"SELECT key FROM records WHERE namespace=? AND key IN ({','.join('?' * len(part))})"
                found.update(r[0] for r in self._conn.execute(q, [self.namespace, *part]))
        return [k in found for k in keys]

    async def aexists(self, keys: Sequence[str]) -> list[bool]:
        return self.exists(keys)

    def list_keys(self, *, before: float | None = None, after: float | None = None,
                  group_ids: Sequence[str] | None = None, limit: int | None = None) -> list[str]:
        q, args = "SELECT key FROM records WHERE namespace=?", [self.namespace]
        if before is not None:
            q, args = q + " AND updated_at < ?", args + [before]
        if after is not None:
            q, args = q + " AND updated_at > ?", args + [after]
        if group_ids is not None:
            q += f" AND group_id IN ({','.join('?' * len(group_ids))})"
            args += list(group_ids)
        if limit:
            q, args = q + " LIMIT ?", args + [limit]
        with self._lock:
            return [r[0] for r in self._conn.execute(q, args)]

    async def alist_keys(self, *, before=None, after=None, group_ids=None, limit=None) -> list[str]:
        return self.list_keys(before=before, after=after, group_ids=group_ids, limit=limit)

    def delete_keys(self, keys: Sequence[str]) -> None:
        with self._lock, self._conn:
            self._conn.executemany("DELETE FROM records WHERE namespace=? AND key=?", [(self.namespace, k) for k in keys])

    async def adelete_keys(self, keys: Sequence[str]) -> None:
        self.delete_keys(keys)

    def close(self) -> None:
        self._conn.close()
