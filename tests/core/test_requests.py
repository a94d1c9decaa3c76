import numpy as np
import pytest
from PIL import Image

from benchmark.errors import InputError
from benchmark.evaluation.cache import ResponseCache
from benchmark.requests import (DescribeRequest, PoseRequest, PoseResponse, TextResponse, response_from_bytes,
                                response_to_bytes)

POSE = np.zeros((22, 3), np.float32)


def test_inputs_are_validated_when_the_request_is_made():
    with pytest.raises(InputError, match="are not one of"):
        DescribeRequest("t", "r1", {"text": "hello"}, "x")
    with pytest.raises(InputError, match=r"float32 \[22, 3\]"):
        DescribeRequest("t", "r1", {"pose": np.zeros((21, 3), np.float32)}, "x")
    bad = POSE.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="row r2, field 'pose'"):
        DescribeRequest("t", "r2", {"pose": bad}, "x")
    with pytest.raises(InputError, match="non-empty"):
        PoseRequest("t", "r3", {"text": "  "}, "x")
    with pytest.raises(InputError, match="n_samples"):
        PoseRequest("t", "r4", {"text": "a pose"}, "x", n_samples=0)


def test_inputs_are_frozen_copies():
    pose = POSE.copy()
    request = DescribeRequest("t", "r", {"pose": pose}, "Describe <pose>.")
    pose[0, 0] = 1.0
    assert request.inputs["pose"][0, 0] == 0.0
    with pytest.raises(ValueError):
        request.inputs["pose"][0, 0] = 2.0


def test_hash_is_content_addressed():
    a = DescribeRequest("task-a", "row-1", {"pose": POSE}, "Describe <pose>.")
    b = DescribeRequest("task-b", "row-9", {"pose": POSE.copy()}, "Describe <pose>.")
    assert a.request_hash == b.request_hash  # task and row id are not content
    assert a.request_hash != DescribeRequest("t", "r", {"pose": POSE}, "Describe the pose <pose>.").request_hash
    moved = POSE.copy()
    moved[5, 0] = 1e-3
    assert a.request_hash != DescribeRequest("t", "r", {"pose": moved}, "Describe <pose>.").request_hash
    p1 = PoseRequest("t", "r", {"text": "arms up"}, "Generate: arms up", seed=1)
    assert p1.request_hash != PoseRequest("t", "r", {"text": "arms up"}, "Generate: arms up", seed=2).request_hash
    assert p1.request_hash != PoseRequest("t", "r", {"text": "arms up"}, "Generate: arms up", seed=1,
                                          n_samples=2).request_hash
    img = Image.new("RGB", (4, 4), (10, 20, 30))
    img2 = Image.new("RGB", (4, 4), (10, 20, 31))
    assert DescribeRequest("t", "r", {"image": img}, "x").request_hash != DescribeRequest(
        "t", "r", {"image": img2}, "x").request_hash


def test_responses_round_trip_without_pickle():
    text = TextResponse("Raise the left arm. ünïcode")
    assert response_from_bytes(response_to_bytes(text)) == text
    poses = np.random.default_rng(0).normal(size=(3, 22, 3)).astype(np.float32)
    back = response_from_bytes(response_to_bytes(PoseResponse(poses=poses)))
    np.testing.assert_array_equal(back.poses, poses)
    joints = response_from_bytes(response_to_bytes(PoseResponse(joints=poses[:, :17], joint_set="h36m-17")))
    assert joints.joint_set == "h36m-17" and joints.poses is None


def test_cache_is_keyed_by_adapter_and_revision(tmp_path):
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        cache.put_many("m", "v1", "describe", [("h1", TextResponse("one")), ("h2", TextResponse("two"))])
        assert cache.get_many("m", "v1", ["h1", "h2", "h3"]) == {"h1": TextResponse("one"), "h2": TextResponse("two")}
        assert cache.get_many("m", "v2", ["h1"]) == {}
        assert cache.get_many("other", "v1", ["h1"]) == {}
    with ResponseCache(tmp_path / "c.sqlite") as again:  # persisted
        assert again.count("m") == 2
