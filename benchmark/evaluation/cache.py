"""The response cache: one SQLite file, key = (adapter name, adapter revision, request hash).

Each batch is committed as soon as the adapter returns it, so a run that is killed resumes where it stopped and a
second run of the same adapter revision recomputes nothing. Requests that draw samples carry their seed in the
request hash, so cached samples are exactly the ones a fresh run would draw. A different revision never reuses
another revision's answers.

Nothing read back is trusted. Each entry carries the sha256 of its payload (a cache written before the column
existed is upgraded in place); an entry whose digest does not match, that does not decode, or that fails the same
`validate_response` a fresh answer goes through is dropped, counted (`n_rejected`) and asked again, never scored.
A cache file SQLite cannot read (truncated, garbled) is named, moved aside to `<name>.damaged-<UTC time>` and
replaced by a fresh one: the run continues and asks the adapter again.
"""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from benchmark.errors import BenchmarkError, InputError
from benchmark.requests import Request, Response, response_from_bytes, response_to_bytes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    adapter TEXT NOT NULL, revision TEXT NOT NULL, request_hash TEXT NOT NULL, kind TEXT NOT NULL,
    payload BLOB NOT NULL, sha256 TEXT, PRIMARY KEY (adapter, revision, request_hash)
)
"""
# SQLite's result codes for a file that is not (or no longer) a database: https://www.sqlite.org/rescode.html
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


class CacheError(BenchmarkError):
    """The cache file cannot be opened or written at all (a folder, no permission): not damage, a wrong path."""


def warn(message: str) -> None:
    print(f"unipose-bench: warning: {message}", file=sys.stderr, flush=True)


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    # before Python 3.11 no code: an OperationalError is a locked / unopenable file, the rest is content damage
    return not isinstance(exc, sqlite3.OperationalError)


class ResponseCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise CacheError(f"response cache {self.path} is a folder: pass --cache FILE (a .sqlite file path)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.n_rejected = 0  # cached entries `get_valid` dropped since `take_rejected`
        self.damaged: list[Path] = []  # where damaged files were moved this session
        self._db: sqlite3.Connection | None = None
        self._guarded(self._connect)

    # -- opening, upgrading, quarantining --------------------------------------------------------------------------

    def _connect(self) -> None:
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(responses)")}
            if "sha256" not in columns:  # a cache of an earlier suite version: digests added in place
                db.create_function("payload_sha256", 1, _sha256, deterministic=True)
                db.execute("ALTER TABLE responses ADD COLUMN sha256 TEXT")
                db.execute("UPDATE responses SET sha256 = payload_sha256(payload)")
            db.commit()
        except BaseException:
            db.close()
            raise
        self._db = db

    def _quarantine(self, exc: Exception) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        moved = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        # the write-ahead log belongs to the damaged file: left behind, SQLite would replay it into the fresh one
        for suffix in ("", "-wal", "-shm"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                part.replace(moved.with_name(moved.name + suffix))
        self.damaged.append(moved)
        warn(f"response cache {self.path} is damaged ({type(exc).__name__}: {exc}); moved it to {moved} and "
             "started a fresh cache: its responses will be asked again")

    def _guarded(self, operation, *args, on_damage=None):
        """Run `operation`; on a damaged file, move it aside, start a fresh cache and return `on_damage()` (or run
        `operation` again on the fresh file)."""
        try:
            return operation(*args)
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                raise CacheError(f"response cache {self.path}: {exc} (check the path and its permissions, or pass "
                                 "--cache ANOTHER_FILE)") from None
            self._quarantine(exc)
        try:
            self._connect()
            return on_damage() if on_damage is not None else operation(*args)
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"response cache {self.path}: cannot start a fresh cache ({exc}); pass --cache "
                             "ANOTHER_FILE") from None

    # -- reading ---------------------------------------------------------------------------------------------------

    def _rows(self, adapter: str, revision: str, hashes: list[str]) -> list[tuple[str, bytes, str | None]]:
        rows = []
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            rows += self._db.execute(
                f"SELECT request_hash, payload, sha256 FROM responses WHERE adapter=? AND revision=? AND "
                f"request_hash IN ({','.join('?' * len(chunk))})", [adapter, revision, *chunk]).fetchall()
        return rows

    def _decoded(self, adapter: str, revision: str, hashes: Iterable[str]) -> tuple[dict[str, Response],
                                                                                      dict[str, str]]:
        """({hash: response} of the entries whose digest matches and that decode, {hash: why} of the others)."""
        rows = self._guarded(self._rows, adapter, revision, list(dict.fromkeys(hashes)), on_damage=list)
        found, bad = {}, {}
        for request_hash, payload, digest in rows:
            if not isinstance(payload, bytes) or digest != _sha256(payload):
                bad[request_hash] = "its payload does not match its sha256"
                continue
            try:
                found[request_hash] = response_from_bytes(payload)
            except Exception as exc:  # noqa: BLE001 - any bytes can sit here: zip, npz, Unicode, tag errors alike
                bad[request_hash] = f"it does not decode ({type(exc).__name__})"
        return found, bad

    def get_many(self, adapter: str, revision: str, hashes: Iterable[str]) -> dict[str, Response]:
        """The cached responses of these request hashes whose digest matches and that decode (unchecked against
        their requests: for display; `get_valid` for scoring)."""
        return self._decoded(adapter, revision, hashes)[0]

    def get_valid(self, adapter: str, revision: str, requests: Mapping[str, Request],
                  joint_sets: tuple[str, ...] = ()) -> dict[str, Response]:
        """The cached responses of `requests` ({request hash: request}) that pass the checks a fresh response
        passes (benchmark.evaluation.validate); the others are deleted, so that they are asked again, and counted
        in `n_rejected`."""
        from benchmark.evaluation.validate import validate_response

        found, bad = self._decoded(adapter, revision, requests)
        for request_hash, response in list(found.items()):
            try:
                validate_response(requests[request_hash], response, adapter, joint_sets)
            except InputError as exc:
                bad[request_hash] = exc.message
                del found[request_hash]
        self.n_rejected += len(bad)
        if bad:
            first = next(iter(bad.items()))
            warn(f"response cache {self.path}: {len(bad)} cached response(s) of {adapter} revision {revision} "
                 f"failed their checks (request {first[0][:12]}: {first[1]}); they are not scored but asked again")
            self._guarded(self._delete, adapter, revision, list(bad), on_damage=lambda: None)
        return found

    def take_rejected(self) -> int:
        """How many cached entries were rejected since the last call (the runner records it per task)."""
        n, self.n_rejected = self.n_rejected, 0
        return n

    def _delete(self, adapter: str, revision: str, hashes: list[str]) -> None:
        self._db.executemany("DELETE FROM responses WHERE adapter=? AND revision=? AND request_hash=?",
                             [(adapter, revision, h) for h in hashes])
        self._db.commit()

    # -- writing ---------------------------------------------------------------------------------------------------

    def put_many(self, adapter: str, revision: str, kind: str, items: Iterable[tuple[str, Response]]) -> None:
        rows = []
        for request_hash, response in items:
            payload = response_to_bytes(response)
            rows.append((adapter, revision, request_hash, kind, payload, _sha256(payload)))
        self._guarded(self._put, rows)

    def _put(self, rows: list[tuple]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO responses (adapter, revision, request_hash, kind, payload, "
                             "sha256) VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._db.commit()

    def count(self, adapter: str | None = None) -> int:
        def query():
            if adapter is None:
                return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            return self._db.execute("SELECT COUNT(*) FROM responses WHERE adapter=?", [adapter]).fetchone()[0]
        return self._guarded(query, on_damage=lambda: 0)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
