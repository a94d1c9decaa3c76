"""A chat-completions server on 127.0.0.1 for the tests (tests/models/test_openai_compat.py, and the harness
contract, tests/conftest.py): it answers plausibly, or slowly, with an HTTP error or a malformed body, as scripted."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def ok_body(text: str, prompt_tokens=10, completion_tokens=5) -> dict:
    return {"id": "x", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}


def default_text(payload: dict) -> str:
    """A refine prompt ends with its numbered texts: "Refined: " + the first; anything else: "A person."."""
    content = payload["messages"][-1]["content"]
    if isinstance(content, str) and "\n1. " in content:
        return "Refined: " + content.split("\n1. ", 1)[1].split("\n")[0]
    return "A person stands."


class FakeApi:
    """`script`: actions for the next requests, then plain answers. Actions: ("slow", s), ("status", code,
    headers, body bytes), ("raw", bytes)."""

    def __init__(self):
        self.script: list[tuple] = []
        self.seen: list[dict] = []  # {"path", "headers", "payload", "t"}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                api.seen.append({"path": self.path, "headers": dict(self.headers), "t": time.monotonic(),
                                 "payload": json.loads(body)})
                action = api.script.pop(0) if api.script else ("ok",)
                try:
                    if action[0] == "slow":
                        time.sleep(action[1])
                        action = ("ok",)
                    if action[0] == "ok":
                        self._send(200, {}, json.dumps(ok_body(default_text(api.seen[-1]["payload"]))).encode())
                    elif action[0] == "status":
                        self._send(action[1], action[2], action[3])
                    else:
                        self._send(200, {}, action[1])
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass

            def _send(self, code, headers, data):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
