"""The ChatPose-style adapter on a tiny random LLaVA with a <POSE> token and a pose head saved in ChatPose's naming
(tests/models/tiny_vlm.py): the answer holds the pose token, and the pose is the head applied to the hidden state
that emitted it, recomputed here independently (numpy MLP, Gram-Schmidt in HMR2's 6D layout, scipy rotations)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.spatial.transform import Rotation

from benchmark.adapters import ADAPTERS, UnsupportedRequest, load_adapter, registered_tasks
from benchmark.errors import InputError, MissingModelFiles
from benchmark.requests import DescribeRequest, PoseRequest
from models.chatpose.projector import load_projector, load_projector_state, rot6d_to_axis_angle
from tests.models.tiny_vlm import CHATPOSE_KEYS, HIDDEN, POSE_TOKEN, chatpose_head


@pytest.fixture(scope="module")
def adapter(tiny_vlms):
    from models.chatpose.adapter import ChatPoseAdapter

    return ChatPoseAdapter(path=str(tiny_vlms["chatpose"]), max_new_tokens="6", batch_size="2")


def image(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (48, 40, 3), dtype=np.uint8))


def requests():
    return [PoseRequest(task="text_to_pose/x", row_id="t", inputs={"text": "the person raises both arms"},
                        instruction="Generate the pose: the person raises both arms", n_samples=3),
            PoseRequest(task="pose_estimation/x", row_id="i", inputs={"image": image(1)},
                        instruction="Estimate the pose of the person in <image>.")]


def head_numpy(hidden: np.ndarray) -> np.ndarray:
    """ChatPose's head by hand: Linear, ReLU, Linear -> 24 x 6D -> rotation matrices [24, 3, 3] (HMR2's layout:
    numbers 0-2 are the first column, 3-5 the second; Gram-Schmidt; third column = cross product)."""
    w = {k: v.double().numpy() for k, v in chatpose_head().items()}
    h = np.maximum(w[CHATPOSE_KEYS[0]] @ hidden + w[CHATPOSE_KEYS[1]], 0)
    out = (w[CHATPOSE_KEYS[2]] @ h + w[CHATPOSE_KEYS[3]]).reshape(24, 6)
    a1, a2 = out[:, :3], out[:, 3:]
    b1 = a1 / np.linalg.norm(a1, axis=1, keepdims=True)
    b2 = a2 - (b1 * a2).sum(1, keepdims=True) * b1
    b2 /= np.linalg.norm(b2, axis=1, keepdims=True)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-1)


def final_state(adapter, request, generated=()):
    from models.hf_vlm.adapter import encode

    inputs = encode(adapter.loaded, [request])
    ids = torch.cat([inputs["input_ids"], torch.tensor([list(generated)], dtype=torch.long)], dim=1)
    mask = torch.ones_like(ids)
    rest = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
    with torch.inference_mode():
        out = adapter.loaded.model(input_ids=ids, attention_mask=mask, output_hidden_states=True, **rest)
    return out.hidden_states[-1][0, -1].double().numpy()


def test_the_answer_holds_the_pose_token_and_the_pose_is_the_head_on_its_state(adapter):
    assert adapter.pose_token == POSE_TOKEN
    reqs = requests()
    answers = adapter.answer_poses(reqs)
    for request, answer in zip(reqs, answers):
        assert adapter.pose_token_id in answer.sequence and not answer.forced
        assert answer.pose.dtype == np.float32 and answer.pose.shape == (22, 3) and np.isfinite(answer.pose).all()
        # the tiny model emits the pose token first: the state that emitted it is the prompt's last
        expected = head_numpy(final_state(adapter, request))[:22]
        got = Rotation.from_rotvec(answer.pose.astype(np.float64)).as_matrix()
        np.testing.assert_allclose(got, expected, atol=1e-4)
    responses = adapter.generate_pose(reqs)
    assert responses[0].poses.shape == (3, 22, 3) and responses[1].poses.shape == (1, 22, 3)
    np.testing.assert_array_equal(responses[0].poses[2], answers[0].pose)
    assert responses[1].extras["answer"] == POSE_TOKEN and responses[1].extras["forced_pose_token"] is False


def test_a_model_that_never_emits_the_token_gets_it_appended(adapter, capsys):
    config = adapter.loaded.model.generation_config
    saved = list(config.suppress_tokens)
    config.suppress_tokens = saved + [adapter.pose_token_id]
    try:
        reqs = requests()
        answers = adapter.answer_poses(reqs)
        responses = adapter.generate_pose(reqs)
    finally:
        config.suppress_tokens = saved
    assert "2 of 2 answers had no <POSE> token" in capsys.readouterr().err
    for request, answer, response in zip(reqs, answers, responses):
        assert answer.forced and len(answer.sequence) == 7 and answer.sequence[-1] == adapter.pose_token_id
        assert response.extras["forced_pose_token"] is True and response.extras["answer"].endswith(POSE_TOKEN)
        # the pose is read from the state after the six words: the one that would emit the next token
        expected = head_numpy(final_state(adapter, request, answer.sequence[:-1]))[:22]
        np.testing.assert_allclose(Rotation.from_rotvec(answer.pose.astype(np.float64)).as_matrix(), expected,
                                   atol=1e-4)


def test_the_world_s_pose_and_image_requests(adapter, small_world):
    from benchmark.pipeline import latest_context
    from benchmark.tasks.catalog import get_task

    context = latest_context(seed=0, bootstrap=200)
    for name in ("text_to_pose/embedded", "pose_estimation/embedded", "image_to_text/embedded"):
        task = get_task(name, context)
        reqs = task.requests(task.load(limit=3)[0])
        if name == "image_to_text/embedded":
            texts = adapter.describe(reqs)
            assert all(t.text and POSE_TOKEN not in t.text for t in texts)
            continue
        for r, response in zip(reqs, adapter.generate_pose(reqs)):
            assert response.poses.shape == (r.n_samples, 22, 3) and response.poses.dtype == np.float32
            assert np.isfinite(response.poses).all() and response.extras["forced_pose_token"] is False


def test_rot6d_in_hmr2_layout_gives_back_the_rotation():
    rotations = Rotation.random(50, random_state=0)
    matrices = rotations.as_matrix()
    six = np.concatenate([matrices[:, :, 0], matrices[:, :, 1]], axis=1) * 2.5  # any positive scale
    got = rot6d_to_axis_angle(torch.tensor(six)).numpy()
    np.testing.assert_allclose(Rotation.from_rotvec(got).as_matrix(), matrices, atol=1e-9)
    np.testing.assert_allclose(rot6d_to_axis_angle(torch.tensor([[1.0, 0, 0, 0, 1, 0]])).numpy(), 0, atol=1e-7)


@pytest.mark.parametrize("prefix", ["model.", "base_model.model.model.", ""])
def test_pose_heads_in_chatpose_naming_load_from_safetensors_and_torch_files(tmp_path, prefix):
    from safetensors.torch import save_file

    head = {k.replace("model.", prefix, 1): v for k, v in chatpose_head().items()}
    other = {f"{prefix}layers.0.self_attn.q_proj.weight": torch.zeros(2, 2)}  # a language model's tensor: skipped
    save_file({**head, **other}, tmp_path / "shard.safetensors")
    torch.save({"state_dict": head}, tmp_path / "head.bin")
    for path in (tmp_path / "shard.safetensors", tmp_path / "head.bin", tmp_path):
        projector = load_projector(path, HIDDEN)
        for ours, theirs in zip(("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"),
                                CHATPOSE_KEYS):
            torch.testing.assert_close(projector.state_dict()[ours], chatpose_head()[theirs])


def test_bad_pose_heads_are_refused_with_the_file_and_field(tmp_path):
    from safetensors.torch import save_file

    head = chatpose_head()
    save_file({k: v for k, v in head.items() if not k.endswith("2.bias")}, tmp_path / "missing.safetensors")
    with pytest.raises(InputError, match="no pose-head tensor") as err:
        load_projector_state(tmp_path / "missing.safetensors")
    assert err.value.file.endswith("missing.safetensors") and err.value.field == "layers.2.bias"
    save_file(head, tmp_path / "head.safetensors")
    with pytest.raises(InputError, match="hidden size 64") as err:
        load_projector(tmp_path / "head.safetensors", 64)
    assert err.value.field == "layers.0.weight"
    torch.save({"head": Rotation.identity()}, tmp_path / "pickle.bin")  # not tensors: weights_only refuses it
    with pytest.raises(InputError, match="weights_only=True") as err:
        load_projector_state(tmp_path / "pickle.bin")
    assert err.value.file.endswith("pickle.bin")
    with pytest.raises(MissingModelFiles, match="does not exist"):
        load_projector_state(tmp_path / "nowhere.safetensors")


def test_arguments_tasks_and_refusals(adapter, tiny_vlms):
    assert "chatpose" in ADAPTERS.names()
    assert registered_tasks("chatpose") == ("text_to_pose", "pose_estimation", "image_to_text", "image_diff")
    assert "+" in adapter.meta.revision and adapter.meta.args["pose_token"] == POSE_TOKEN
    edit = PoseRequest(task="pose_edit/x", row_id="e", inputs={"pose": np.zeros((22, 3), np.float32),
                                                              "text": "raise the arm"}, instruction="Edit <pose>.")
    with pytest.raises(UnsupportedRequest, match="a text or an image"):
        adapter.generate_pose([edit])
    pose = DescribeRequest(task="pose_to_text/x", row_id="p", inputs={"pose": np.zeros((22, 3), np.float32)},
                           instruction="Describe <pose>.")
    with pytest.raises(UnsupportedRequest, match="images only"):
        adapter.describe([pose])
    with pytest.raises(InputError, match="path=DIR"):
        load_adapter("chatpose")
    # the plain LLaVA has no pose token
    with pytest.raises(InputError, match="no pose token") as err:
        load_adapter(f"chatpose:path={tiny_vlms['llava']},projector={tiny_vlms['chatpose']}")
    assert err.value.field == "pose_token"
    with pytest.raises(MissingModelFiles, match="pose head file"):
        load_adapter(f"chatpose:path={tiny_vlms['chatpose']},projector={tiny_vlms['chatpose'] / 'none.pt'}")


def test_in_the_harness_contract(scored):
    rows = {task for (name, task) in scored if name == "chatpose"}
    assert rows == {"text_to_pose", "pose_estimation", "image_to_text", "image_diff"}
    assert scored[("chatpose", "pose_estimation")].scores["mpjpe"].value > 0
