"""The OpenAI-compatible adapter and -R refiner against a chat-completions server on 127.0.0.1 that answers
slowly, fails transiently or sends malformed replies. The API key is "sk-test-SECRET": no written file, output or
error may contain it."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from benchmark.adapters import ADAPTERS, UnsupportedRequest, load_adapter, registered_tasks
from benchmark.evaluation.cache import ResponseCache
from benchmark.evaluation.runner import collect_responses
from benchmark.requests import DescribeRequest
from models.openai_compat.adapter import OpenAICompatAdapter
from models.openai_compat.client import ApiError, MalformedReply
from tests.fake_openai_api import FakeApi, ok_body

SECRET = "SECRET"
KEY = "sk-test-SECRET"
FAST = dict(timeout="0.3", backoff_base="0.005", backoff_max="0.02", max_retries="2")


@pytest.fixture
def api():
    server = FakeApi()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def secret_env(monkeypatch, tmp_path, capfd):
    """Every test runs with the key in the environment and the suite's home in tmp_path; afterwards no file there
    and no captured output holds the key."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    yield
    out, err = capfd.readouterr()
    assert SECRET not in out + err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def adapter_for(api, **args) -> OpenAICompatAdapter:
    return OpenAICompatAdapter(base_url=api.url, model="gpt-test", **{**FAST, **args})


def image(seed=0, size=(16, 12)) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def image_request(row="r0", seed=0):
    return DescribeRequest(task="image_to_text/test", row_id=row, inputs={"image": image(seed)},
                           instruction="Describe the pose of the person in the image.")


def test_image_requests_are_deterministic_chat_completions_with_data_urls(api, tmp_path, capfd):
    adapter = adapter_for(api, seed="7", price_prompt="1000", price_completion="2000")
    pair = DescribeRequest(task="image_diff/test", row_id="p0", inputs={"image_a": image(1), "image_b": image(2)},
                           instruction="How should the person in image A move to match image B?")
    with ResponseCache(tmp_path / "responses.sqlite") as cache:
        responses, n_cached = collect_responses(adapter, [image_request(), pair], cache, progress=False)
        assert [r.text for r in responses] == ["A person stands."] * 2 and n_cached == 0
        assert cache.count("openai_compat") == 2
    assert [s["path"] for s in api.seen] == ["/v1/chat/completions"] * 2
    assert api.seen[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    payload = api.seen[1]["payload"]
    assert payload["model"] == "gpt-test" and payload["temperature"] == 0 and payload["seed"] == 7
    content = payload["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": pair.instruction}
    urls = [c["image_url"]["url"] for c in content[1:]]
    assert len(urls) == 2 and all(u.startswith("data:image/png;base64,") for u in urls)
    decoded = Image.open(io.BytesIO(base64.b64decode(urls[0].split(",", 1)[1])))
    np.testing.assert_array_equal(np.asarray(decoded), np.asarray(image(1)))
    # cost counter: 2 replies x (10 prompt, 5 completion) tokens at 1000 / 2000 per million
    client = adapter.client
    assert (client.usage.requests, client.usage.prompt_tokens, client.usage.completion_tokens) == (2, 20, 10)
    assert client.cost() == pytest.approx((20 * 1000 + 10 * 2000) / 1e6)
    err = capfd.readouterr().err
    assert "20 prompt + 10 completion tokens, cost 0.0400" in err and SECRET not in err
    assert SECRET not in repr(client) + adapter.meta.model_dump_json()


def test_registered_and_refuses_pose_tasks(api):
    assert "openai_compat" in ADAPTERS
    assert registered_tasks("openai_compat") == ("image_to_text", "image_diff")
    adapter = load_adapter(f"openai_compat:base_url={api.url},model=gpt-test,timeout=5")
    assert adapter.meta.supports("image_diff") and not adapter.meta.supports("pose_to_text")
    assert not adapter.meta.supports("text_to_pose") and not adapter.meta.supports("pose_estimation")
    with pytest.raises(ValueError, match="does not take"):
        load_adapter(f"openai_compat:base_url={api.url},model=m,api_key=sk-x")
    pose = DescribeRequest(task="pose_to_text/test", row_id="r", inputs={"pose": np.zeros((22, 3), np.float32)},
                           instruction="Describe the pose.")
    with pytest.raises(UnsupportedRequest):
        adapter.describe([pose])
    with pytest.raises(UnsupportedRequest):
        adapter.generate_pose([])
    assert api.seen == []


def test_a_slow_reply_is_retried_then_succeeds(api, tmp_path):
    api.script = [("slow", 0.6)]
    adapter = adapter_for(api)
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        responses, _ = collect_responses(adapter, [image_request()], cache, progress=False)
        assert responses[0].text == "A person stands." and cache.count() == 1
    assert len(api.seen) == 2


def test_always_slow_fails_after_the_retries_and_caches_nothing(api, tmp_path):
    api.script = [("slow", 0.6)] * 3
    adapter = adapter_for(api)
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(ApiError, match=r"row r0 .* failed after 3 attempts; last: no reply within 0.3 s"):
            collect_responses(adapter, [image_request()], cache, progress=False)
        assert cache.count() == 0
    assert len(api.seen) == 3


def test_500_then_200_and_seeded_exponential_backoff(api):
    api.script = [("status", 500, {}, b"oops"), ("status", 503, {}, b"")]
    adapter = adapter_for(api, backoff_base="0.01", backoff_max="10", max_retries="3")
    sleeps = []
    adapter.client.sleep = sleeps.append
    assert adapter.describe([image_request()])[0].text == "A person stands."
    assert len(api.seen) == 3 and len(sleeps) == 2
    assert 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02  # base * 2**k * [0.5, 1]
    again = adapter_for(api, backoff_base="0.01", backoff_max="10")
    assert [again.client._backoff(k, None) for k in range(2)] == sleeps  # the jitter is seeded


def test_429_honours_retry_after(api):
    api.script = [("status", 429, {"Retry-After": "7"}, b'{"error": "slow down"}')]
    adapter = adapter_for(api)
    sleeps = []
    adapter.client.sleep = sleeps.append
    assert adapter.describe([image_request()])[0].text == "A person stands."
    assert sleeps == [7.0] and len(api.seen) == 2


def test_a_client_error_is_not_retried_and_the_key_is_scrubbed(api):
    api.script = [("status", 401, {}, f"bad key {KEY}".encode())]
    with pytest.raises(ApiError, match=r"HTTP 401: bad key \*\*\* \(set \$OPENAI_API_KEY\)") as info:
        adapter_for(api).describe([image_request()])
    assert SECRET not in str(info.value) and len(api.seen) == 1


def test_the_rate_limit_spaces_requests(api):
    adapter = adapter_for(api, requests_per_minute="600")  # one every 0.1 s
    adapter.describe([image_request(f"r{i}", i) for i in range(3)])
    starts = [s["t"] for s in api.seen]
    assert all(b - a >= 0.09 for a, b in zip(starts, starts[1:]))


MALFORMED = {
    "not JSON": (b"<html>gateway</html>", "body", "not JSON"),
    "a JSON list": (b"[1, 2]", "body", "not an object"),
    "no choices": (json.dumps({"usage": {}}).encode(), "choices", "no choices"),
    "empty choices": (json.dumps({"choices": []}).encode(), "choices", "no choices"),
    "message not an object": (json.dumps({"choices": [{"message": "hi"}]}).encode(), "choices[0].message",
                              "not an object"),
    "null content": (json.dumps(ok_body(None)).encode(), "choices[0].message.content", "NoneType, not text"),
    "list content": (json.dumps(ok_body([{"type": "text"}])).encode(), "choices[0].message.content", "not text"),
    "empty content": (json.dumps(ok_body("  \n")).encode(), "choices[0].message.content", "is empty"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_reply_raises_naming_the_request_and_nothing_is_cached(api, tmp_path, case):
    body, field, message = MALFORMED[case]
    adapter = adapter_for(api)
    good, bad = image_request("good", 1), image_request("bad", 2)
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        collect_responses(adapter, [good], cache, progress=False)
        api.script = [("raw", body)]
        with pytest.raises(MalformedReply, match=message) as info:
            collect_responses(adapter, [bad], cache, progress=False)
        assert "row bad" in str(info.value) and info.value.field == field
        assert cache.count() == 1 and cache.get_many("openai_compat", adapter.meta.revision,
                                                     [bad.request_hash]) == {}
        n_before = len(api.seen)
        responses, _ = collect_responses(adapter, [bad], cache, progress=False)  # asked again, answered now
        assert responses[0].text == "A person stands." and len(api.seen) == n_before + 1


# ------------------------------------------------------------------------------------------------ the -R refiner
def test_refiner_caches_texts_and_never_a_failure(api, tmp_path):
    refiner = adapter_for(api, refine_cache=str(tmp_path / "refined.sqlite")).as_refiner()
    rows = [["the left arm is up", "left arm raised"], ["knees bent", "the knees are bent"]]
    api.script = [("raw", json.dumps(ok_body("")).encode())]
    with pytest.raises(MalformedReply, match="refine description"):
        refiner.refine(rows, "description")
    assert refiner.cache.count() == 0
    assert refiner.refine(rows, "description") == ["Refined: the left arm is up", "Refined: knees bent"]
    n = len(api.seen)
    assert refiner.refine(rows, "description") == ["Refined: the left arm is up", "Refined: knees bent"]
    assert len(api.seen) == n and refiner.cache.count() == 2
    prompt = api.seen[-1]["payload"]["messages"][-1]["content"]
    assert "descriptions of the same human body pose" in prompt and "\n2. the knees are bent" in prompt
    assert refiner.refine([rows[0]], "instruction") == ["Refined: the left arm is up"]  # another prompt: asked
    assert len(api.seen) == n + 1 and "from pose A to pose B" in api.seen[-1]["payload"]["messages"][-1]["content"]


def test_imagescript_r_built_through_the_api_and_rebuilt_from_the_cache(api, tmp_path):
    from datasets_build.real.cli import build_from_sources
    from tests.real.helpers import write_sources
    from tests.real.test_cli import parse

    sources = write_sources(tmp_path / "sources")
    spec = f"openai_compat:base_url={api.url},model=gpt-test,timeout=5"
    argv = ("--source", "imagescript", "--3dpw-dir", sources.threedpw, "--unipose-npz-dir", sources.unipose,
            "--unipose-image-dir", sources.unipose_images, "--imagescript-sizes", "h36m=3,mpi-inf-3dhp=2",
            "--test-size", 3, "--refined-train-size", 2, "--image-size", 32, "--refiner", spec)
    datasets, info = build_from_sources(parse(*argv, "--work-dir", tmp_path / "w1"), progress=False)
    r = datasets["image_to_text-R"]
    assert len(r["train"]) == 2 and len(r["test"]) == 3
    for split in ("train", "test"):
        for row in r[split]:
            assert row["text_kinds"][0] == "refined"
            assert row["texts"][0] == "Refined: " + row["texts"][1]  # the server's text, first
            assert row["text_versions"][0] == "gpt-test@openai_compat-refine-p1"
    assert "gpt-test" in info.text_versions["gpt-test@openai_compat-refine-p1"]
    assert len(api.seen) == 5 and (tmp_path / "home" / "cache" / "refined.sqlite").is_file()
    again, _ = build_from_sources(parse(*argv, "--work-dir", tmp_path / "w2"), progress=False)
    assert len(api.seen) == 5  # every refined text came from the cache
    assert again["image_to_text-R"]["test"]["texts"] == r["test"]["texts"]
