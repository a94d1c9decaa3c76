"""The -R refinement through an OpenAI-compatible chat API: `ApiRefiner` (a datasets_build.real.refine.Refiner).

UniPose (App. A, ImageScript / ImageDiff) rewrote the three automatic texts of each row into one refined text with
GPT-4, but published neither the prompt nor the replies (the reference notes have no prompt text). The prompts
below are ours, written to do what the paper describes: merge the automatic texts of one pose (or one A-to-B
change) into a single fluent text that keeps their content and adds nothing. `PROMPT_VERSION` names them; it is
part of the refiner's version (recorded in text_versions) and of the cache key.

Refined texts are cached in SQLite (default <suite home>/cache/refined.sqlite), key = sha256 of the refiner
version, model, seed, max_tokens, prompts and input texts; each text is committed in its own transaction once the
reply was validated, so a failed or malformed reply is never stored and a killed build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from models.openai_compat.client import ChatClient

PROMPT_VERSION = "1"
SYSTEM_PROMPT = "You rewrite automatically generated texts about human body poses into natural English."
PROMPTS = {
    "description": (
        "Below are {n} automatically generated descriptions of the same human body pose. They are accurate but "
        "repetitive and mechanical. Rewrite them as one fluent, concise description of the pose, as a person "
        "would write it. Keep every detail they give about the body parts and their positions, resolve "
        "repetitions, and do not add anything they do not say. Do not mention that there were several "
        "descriptions. Reply with the description only.\n\n{texts}"),
    "instruction": (
        "Below are {n} automatically generated instructions telling someone how to move from pose A to pose B. "
        "They are accurate but repetitive and mechanical. Rewrite them as one fluent, concise instruction "
        "addressed to the person (\"you\"), as a coach would say it. Keep every change they ask for, resolve "
        "repetitions, and do not add anything they do not say. Do not mention that there were several "
        "instructions. Reply with the instruction only.\n\n{texts}"),
}


def refine_messages(texts: Sequence[str], kind: str) -> list[dict]:
    listed = "\n".join(f"{i}. {t}" for i, t in enumerate(texts, start=1))
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": PROMPTS[kind].format(n=len(texts), texts=listed)}]


class RefinedTextCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS refined (key TEXT PRIMARY KEY, refiner TEXT NOT NULL, "
                         "text TEXT NOT NULL)")
        self._db.commit()

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT text FROM refined WHERE key=?", [key]).fetchone()
        return row[0] if row else None

    def put(self, key: str, refiner: str, text: str) -> None:
        with self._db:  # one transaction: the text is there entirely or not at all
            self._db.execute("INSERT OR REPLACE INTO refined VALUES (?, ?, ?)", [key, refiner, text])

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM refined").fetchone()[0]

    def close(self) -> None:
        self._db.close()


class ApiRefiner:
    """Refiner protocol: `name` is the text model, `version` this refiner and its prompt version."""

    def __init__(self, client: ChatClient, cache_path: str | Path | None = None):
        from benchmark.workspace import home

        self.client = client
        self.name = client.model
        self.version = f"openai_compat-refine-p{PROMPT_VERSION}"
        self.cache = RefinedTextCache(cache_path or home() / "cache" / "refined.sqlite")
        self.n_cached = 0

    def __repr__(self) -> str:
        return f"ApiRefiner({self.client!r}, version={self.version!r})"

    def key(self, texts: Sequence[str], kind: str) -> str:
        c = self.client
        blob = json.dumps([self.name, self.version, c.seed, c.max_tokens, refine_messages(texts, kind)],
                          ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def refine(self, texts: Sequence[Sequence[str]], kind: str) -> list[str]:
        if kind not in PROMPTS:
            raise ValueError(f"kind {kind!r}: one of {tuple(PROMPTS)}")
        out = []
        for row in texts:
            key = self.key(list(row), kind)
            text = self.cache.get(key)
            if text is None:
                text = self.client.chat(refine_messages(list(row), kind), f"refine {kind} (key {key[:12]})")
                self.cache.put(key, f"{self.name}@{self.version}", text)  # chat() raised on anything malformed
            else:
                self.n_cached += 1
            out.append(text)
        return out
