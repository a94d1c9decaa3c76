"""A small OpenAI-compatible chat-completions client (POST {base_url}/chat/completions).

Written on the standard library (urllib.request): the suite does not depend on an HTTP client package (`httpx` is not
installed in the project's environment and `requests` is only a transitive dependency), and one JSON POST per call
needs nothing more.

* The API key is read from an environment variable (default OPENAI_API_KEY) when the client is built and is sent
  only in the Authorization header: it is never part of an argument list, a cache key, a log line or an exception
  message (every message this module builds is scrubbed of it).
* Timeouts, connection errors, HTTP 429 and 5xx are retried with exponential backoff and jitter drawn from a seeded
  generator (so a run's waits are reproducible); a Retry-After header (seconds or an HTTP date) is honoured.
* A client-side rate limit spaces request starts by 60 / requests_per_minute seconds.
* Requests are deterministic as far as the API allows: temperature 0 and a fixed seed.
* `usage` (prompt / completion tokens) of every reply is added up; `cost()` prices it with the per-million-token
  prices given.
* A reply that is not what the API promises (not JSON, no choices, empty or non-text content) raises
  `MalformedReply` naming the request; callers never turn it into an empty text, so nothing wrong is cached.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from benchmark.errors import BenchmarkError, InputError

DEFAULT_KEY_ENV = "OPENAI_API_KEY"


class ApiError(BenchmarkError):
    """The API could not be reached or refused the request (after the retries, where retrying makes sense)."""


class MalformedReply(InputError):
    """The API answered, but not with a usable chat completion. Never retried, never cached."""


@dataclass
class Usage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time()) if when is not None else None


class ChatClient:
    def __init__(self, base_url: str, model: str, *, api_key_env: str = DEFAULT_KEY_ENV, timeout: float = 60.0,
                 max_retries: int = 5, backoff_base: float = 1.0, backoff_max: float = 60.0,
                 requests_per_minute: float = 0.0, seed: int = 0, max_tokens: int = 300,
                 price_prompt: float = 0.0, price_completion: float = 0.0):
        if not base_url or not model:
            raise InputError("an OpenAI-compatible API needs base_url and model", field="base_url/model",
                             hint="e.g. openai_compat:base_url=https://api.openai.com/v1,model=gpt-4o")
        self.base_url, self.model = base_url.rstrip("/"), model
        self.api_key_env = api_key_env
        self._key = os.environ.get(api_key_env) or None  # never stored anywhere else
        self.timeout, self.max_retries = float(timeout), int(max_retries)
        self.backoff_base, self.backoff_max = float(backoff_base), float(backoff_max)
        self.min_interval = 60.0 / float(requests_per_minute) if float(requests_per_minute) > 0 else 0.0
        self.seed, self.max_tokens = int(seed), int(max_tokens)
        self.price_prompt, self.price_completion = float(price_prompt), float(price_completion)
        self.usage = Usage()
        self._rng = random.Random(self.seed)  # the jitter of the backoff
        self._lock = threading.Lock()
        self._last_start: float | None = None
        self.sleep = time.sleep  # tests may replace it

    def __repr__(self) -> str:  # no key, ever
        return f"ChatClient(base_url={self.base_url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    # -------------------------------------------------------------------------------------------- helpers
    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def cost(self) -> float:
        """US dollars (or whatever unit the prices are in) per million tokens x tokens used so far."""
        return (self.usage.prompt_tokens * self.price_prompt
                + self.usage.completion_tokens * self.price_completion) / 1e6

    def summary(self) -> str:
        u = self.usage
        return (f"{self.model} at {self.base_url}: {u.requests} requests, {u.prompt_tokens} prompt + "
                f"{u.completion_tokens} completion tokens, cost {self.cost():.4f}")

    def _wait_for_rate_limit(self) -> None:
        if not self.min_interval:
            return
        with self._lock:
            now = time.monotonic()
            if self._last_start is not None and now - self._last_start < self.min_interval:
                self.sleep(self.min_interval - (now - self._last_start))
            self._last_start = time.monotonic()

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(self.backoff_max, self.backoff_base * 2 ** attempt) * (0.5 + 0.5 * self._rng.random())

    # -------------------------------------------------------------------------------------------- calls
    def payload(self, messages: list[dict]) -> dict:
        return {"model": self.model, "messages": messages, "temperature": 0, "seed": self.seed,
                "max_tokens": self.max_tokens, "n": 1}

    def _post(self, body: bytes) -> tuple[int, dict, bytes]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        request = urllib.request.Request(f"{self.base_url}/chat/completions", data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as exc:
            try:
                data = exc.read()
            except Exception:  # noqa: BLE001 - the body of an error reply is only informative
                data = b""
            return exc.code, dict(exc.headers or {}), data

    def chat(self, messages: list[dict], what: str) -> str:
        """The text of the first choice for `messages`; `what` names the request in every error."""
        body = json.dumps(self.payload(messages)).encode("utf-8")
        where = f"{self.model} at {self.base_url}"
        last = ""
        for attempt in range(self.max_retries + 1):
            self._wait_for_rate_limit()
            retry_after = None
            try:
                status, headers, data = self._post(body)
            except (TimeoutError, socket.timeout):
                last = f"no reply within {self.timeout:g} s"
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"connection failed ({type(reason).__name__}: {reason})"
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    last = f"no reply within {self.timeout:g} s"
            else:
                if status == 200:
                    return self._text(data, what, where)
                detail = data[:300].decode("utf-8", "replace").strip()
                last = f"HTTP {status}" + (f": {detail}" if detail else "")
                if status != 429 and status < 500:  # 4xx other than 429: retrying gives the same answer
                    hint = f"set ${self.api_key_env}" if status in (401, 403) else None
                    raise ApiError(self._scrub(f"{what}: {where} refused the request with {last}"
                                               + (f" ({hint})" if hint else "")))
                retry_after = _retry_after({k.lower(): v for k, v in headers.items()}.get("retry-after"))
            if attempt < self.max_retries:
                self.sleep(self._backoff(attempt, retry_after))
        raise ApiError(self._scrub(f"{what}: {where} failed after {self.max_retries + 1} attempts; last: {last}"))

    def _text(self, data: bytes, what: str, where: str) -> str:
        def bad(message: str, field: str):
            return MalformedReply(self._scrub(f"{what}: {message}"), file=where, field=field,
                                  hint="the reply is not an OpenAI chat completion; nothing was cached")

        try:
            reply = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise bad(f"the reply is not JSON ({data[:60]!r})", "body") from None
        if not isinstance(reply, dict):
            raise bad(f"the reply is a JSON {type(reply).__name__}, not an object", "body")
        self._count(reply.get("usage"))
        choices = reply.get("choices")
        if not isinstance(choices, list) or not choices:
            raise bad(f"the reply has no choices (got {choices!r:.60})", "choices")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        if not isinstance(message, dict):
            raise bad(f"choices[0].message is {type(message).__name__}, not an object", "choices[0].message")
        content = message.get("content")
        if not isinstance(content, str):
            raise bad(f"the content is {type(content).__name__}, not text", "choices[0].message.content")
        if not content.strip():
            raise bad("the content is empty", "choices[0].message.content")
        return content.strip()

    def _count(self, usage) -> None:
        with self._lock:
            self.usage.requests += 1
            if isinstance(usage, dict):
                for name in ("prompt_tokens", "completion_tokens"):
                    value = usage.get(name)
                    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                        setattr(self.usage, name, getattr(self.usage, name) + value)
