"""The response cache: one SQLite file, key = (adapter name, adapter revision, request hash).

Each batch is committed as soon as the adapter returns it, so a run that is killed resumes where it stopped and a
second run of the same adapter revision recomputes nothing. Requests that draw samples carry their seed in the
request hash, so cached samples are exactly the ones a fresh run would draw. A different revision never reuses
another revision's answers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from benchmark.requests import Response, response_from_bytes, response_to_bytes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    adapter TEXT NOT NULL, revision TEXT NOT NULL, request_hash TEXT NOT NULL, kind TEXT NOT NULL,
    payload BLOB NOT NULL, PRIMARY KEY (adapter, revision, request_hash)
)
"""


class ResponseCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get_many(self, adapter: str, revision: str, hashes: Iterable[str]) -> dict[str, Response]:
        hashes = list(dict.fromkeys(hashes))
        found: dict[str, Response] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            rows = self._db.execute(
                f"SELECT request_hash, payload FROM responses WHERE adapter=? AND revision=? AND request_hash IN "
                f"({','.join('?' * len(chunk))})", [adapter, revision, *chunk])
            found.update((h, response_from_bytes(p)) for h, p in rows)
        return found

    def put_many(self, adapter: str, revision: str, kind: str, items: Iterable[tuple[str, Response]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?)",
            [(adapter, revision, h, kind, response_to_bytes(r)) for h, r in items])
        self._db.commit()

    def count(self, adapter: str | None = None) -> int:
        if adapter is None:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM responses WHERE adapter=?", [adapter]).fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
