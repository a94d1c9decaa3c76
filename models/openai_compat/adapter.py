"""An OpenAI-compatible chat API (GPT-4V style) as a model: image_to_text and image_diff.

    unipose-bench evaluate --model openai_compat:base_url=https://api.openai.com/v1,model=gpt-4o,\
price_prompt=2.5,price_completion=10 --tasks image_to_text/...

The key comes from the environment ($OPENAI_API_KEY, or the variable `api_key_env` names); it is never an argument.
Each request is one chat completion: the task's instruction, then its image(s) as base64 PNG data URLs (image_a
before image_b). The pose tasks need pose inputs or outputs a chat API does not take, so `meta.tasks` refuses them
before anything is loaded. After each batch a summary line (requests, tokens, cost at the given per-million-token
prices) goes to stderr. A malformed reply raises (MalformedReply, naming the request) instead of returning a text,
so the response cache never stores it.
"""

from __future__ import annotations

import base64
import io
import sys

from benchmark.adapters import AdapterMeta, ModelAdapter, UnsupportedRequest
from benchmark.requests import TextResponse
from models.openai_compat.client import DEFAULT_KEY_ENV, ChatClient

IMAGE_KEYS = ("image", "image_a", "image_b")
MESSAGE_FORMAT = "1"  # bump when the request layout changes: it is part of the revision (the cache key)


def image_data_url(image) -> str:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class OpenAICompatAdapter(ModelAdapter):
    SUMMARY = "an OpenAI-compatible chat-completions API (GPT-4V style) on the image text tasks"
    TASKS = ("image_to_text", "image_diff")
    ARGUMENTS = ("base_url", "model", "api_key_env", "timeout", "max_retries", "backoff_base", "backoff_max",
                 "requests_per_minute", "seed", "max_tokens", "price_prompt", "price_completion", "revision",
                 "refine_cache")
    batch_size = 8

    def __init__(self, base_url: str = "", model: str = "", api_key_env: str = DEFAULT_KEY_ENV,
                 timeout: float | str = 60, max_retries: int | str = 5, backoff_base: float | str = 1.0,
                 backoff_max: float | str = 60, requests_per_minute: float | str = 0, seed: int | str = 0,
                 max_tokens: int | str = 300, price_prompt: float | str = 0, price_completion: float | str = 0,
                 revision: str = "", refine_cache: str | None = None):
        self.client = ChatClient(base_url, model, api_key_env=api_key_env, timeout=float(timeout),
                                 max_retries=int(max_retries), backoff_base=float(backoff_base),
                                 backoff_max=float(backoff_max), requests_per_minute=float(requests_per_minute),
                                 seed=int(seed), max_tokens=int(max_tokens), price_prompt=float(price_prompt),
                                 price_completion=float(price_completion))
        self.refine_cache = refine_cache
        c = self.client
        # what decides the answers (not the timeouts, retries or prices): the response-cache key
        self.meta = AdapterMeta(
            name="openai_compat", revision=revision or f"{c.model}-s{c.seed}-t{c.max_tokens}-m{MESSAGE_FORMAT}",
            tasks=self.TASKS, description=f"{c.model} through an OpenAI-compatible API at {c.base_url}",
            license="proprietary (API terms)",
            args={"base_url": c.base_url, "model": c.model, "api_key_env": api_key_env, "seed": c.seed,
                  "max_tokens": c.max_tokens, "temperature": 0, "price_prompt": c.price_prompt,
                  "price_completion": c.price_completion})

    def messages(self, request) -> list[dict]:
        keys = [k for k in IMAGE_KEYS if k in request.inputs]
        if not keys or set(request.inputs) - set(keys):
            raise UnsupportedRequest(f"openai_compat answers image requests only, not {sorted(request.inputs)} "
                                     f"({request.task})")
        content = [{"type": "text", "text": request.instruction}]
        content += [{"type": "image_url", "image_url": {"url": image_data_url(request.inputs[k])}} for k in keys]
        return [{"role": "user", "content": content}]

    def describe(self, requests):
        out = []
        for r in requests:
            what = f"row {r.row_id} of {r.task} (request {r.request_hash[:12]})"
            out.append(TextResponse(self.client.chat(self.messages(r), what)))
        print(f"openai_compat: {self.client.summary()}", file=sys.stderr)
        return out

    def as_refiner(self):
        """The -R text refiner over the same client (datasets_build --refiner openai_compat:...)."""
        from models.openai_compat.refiner import ApiRefiner

        return ApiRefiner(self.client, cache_path=self.refine_cache)
