"""The `chatpose` adapter: a ChatPose-style model (a LLaVA-family model that answers a pose request with a pose
token, whose hidden state a small MLP maps to SMPL rotations) on text_to_pose, pose_estimation and the image text
tasks.

    unipose-bench evaluate --model chatpose:path=/models/chatpose-llava,projector=/models/chatpose/pose_head.safetensors

How a pose is read (ChatPose's model/chatpose.py, LISA-style): generation is greedy and stops at the pose token; the
final-layer hidden state of the step that emitted it (the state whose next-token scores chose the pose token) goes
through the pose head (models.chatpose.projector). A model that does not emit the pose token within max_new_tokens
(ChatPose's upstream code then returns no pose) gets it appended: its pose is read from the state after its
answer, the state that would emit the next token; the response's extras say so and a count goes to stderr, so a
model that never learnt the token is visible instead of silently scored.

Describe requests (image_to_text, image_diff) are answered like `hf_vlm`'s, with the pose token suppressed (it
carries no text). pose_to_text, pose_diff and pose_edit take SMPL poses as input, which ChatPose has no encoder for:
`meta.tasks` refuses them before anything is loaded.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.adapters import AdapterMeta, ModelAdapter, UnsupportedRequest
from benchmark.errors import InputError
from benchmark.requests import PoseResponse, TextResponse
from models.hf_vlm.adapter import PROMPT_FORMAT, encode, greedy_settings, in_batches, positive_int
from models.hf_vlm.loading import load_vlm
from models.hf_vlm.prompts import IMAGE_KEYS

POSE_TOKENS = ("<POSE>", "[POSE]", "[SEG]")  # what `pose_token=auto` looks for, in this order
PROJECTOR_FILE = "pose_projector.safetensors"  # the pose head's default place, next to the base model's weights


@dataclass
class PoseAnswer:
    sequence: list[int]  # the generated token ids (prompt excluded)
    pose: np.ndarray  # float32 [22, 3]
    forced: bool  # the model did not emit the pose token; it was appended


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if file.is_file() and file.suffix in (".safetensors", ".bin", ".pt", ".pth"):
            with open(file, "rb") as f:
                while chunk := f.read(1 << 24):
                    h.update(chunk)
    return h.hexdigest()[:12]


def find_pose_token(tokenizer, wanted: str) -> tuple[str, int]:
    candidates = POSE_TOKENS if wanted == "auto" else (wanted,)
    for token in candidates:
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and \
                tokenizer.convert_ids_to_tokens(token_id) == token:
            return token, token_id
    raise InputError(f"the tokenizer has no pose token ({' / '.join(candidates)} is not one token of its "
                     f"vocabulary)", field="pose_token",
                     hint="pass pose_token=TOKEN, or use the tokenizer saved with the ChatPose weights (ChatPose "
                          "adds '[SEG]' to LLaVA's vocabulary)")


class ChatPoseAdapter(ModelAdapter):
    SUMMARY = "ChatPose-style LLaVA with a pose token and an MLP pose head (CVPR'24), from local weights"
    TASKS = ("text_to_pose", "pose_estimation", "image_to_text", "image_diff")
    ARGUMENTS = ("path", "projector", "pose_token", "max_new_tokens", "batch_size", "device", "dtype", "revision",
                 "name")

    def __init__(self, path: str = "", projector: str = "", pose_token: str = "auto",
                 max_new_tokens: int | str = 64, batch_size: int | str = 4, device: str = "auto",
                 dtype: str = "auto", revision: str = "", name: str = "chatpose"):
        from models.chatpose.projector import load_projector

        if not path:
            raise InputError("chatpose needs path=DIR, the LLaVA-family base model's folder (config.json, "
                             "*.safetensors, tokenizer with the pose token, processor files)",
                             field="chatpose arguments")
        self.max_new_tokens = positive_int(max_new_tokens, "max_new_tokens")
        self.batch_size = positive_int(batch_size, "batch_size")
        self.loaded = load_vlm(path, device=device, dtype=dtype, digest=not revision)
        model = self.loaded.model
        self.pose_token, self.pose_token_id = find_pose_token(self.loaded.processor.tokenizer, pose_token)
        projector_path = Path(projector).expanduser() if projector else Path(path).expanduser() / PROJECTOR_FILE
        hidden = model.config.get_text_config().hidden_size
        self.projector = load_projector(projector_path, hidden).to(self.loaded.device)
        self.n_forced = 0
        dtype_name = str(model.dtype).removeprefix("torch.")
        if not revision:
            revision = (f"{self.loaded.digest}+{_file_digest(projector_path)}-{dtype_name}-n{self.max_new_tokens}"
                        f"-p{PROMPT_FORMAT}")
        self.meta = AdapterMeta(
            name=name, tasks=self.TASKS, revision=revision,
            description=f"ChatPose-style {type(model).__name__} from {path}, pose head from {projector_path} "
                        f"(pose token {self.pose_token}, greedy, at most {self.max_new_tokens} new tokens)",
            n_parameters=sum(p.numel() for p in model.parameters()) + sum(
                p.numel() for p in self.projector.parameters()),
            citation="Feng et al., ChatPose: Chatting about 3D Human Pose, CVPR 2024",
            args={"path": str(path), "projector": str(projector_path), "pose_token": self.pose_token,
                  "max_new_tokens": self.max_new_tokens, "dtype": dtype_name, "decoding": "greedy"})

    # --- poses ----------------------------------------------------------------------------------------------
    def _stop_ids(self) -> list[int]:
        eos = self.loaded.model.generation_config.eos_token_id
        eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
        return [*eos, self.pose_token_id]

    def _state_after(self, request, generated: list[int]):
        """The final-layer hidden state after the prompt and `generated`: the one that would emit the next token."""
        import torch

        single = encode(self.loaded, [request])
        ids = single["input_ids"]
        extra = torch.tensor([generated], dtype=ids.dtype, device=ids.device)
        inputs = {}
        for key, value in single.items():
            if torch.is_tensor(value) and value.shape == ids.shape:  # per-token rows: ids, mask, token types
                fill = extra if key == "input_ids" else (torch.ones_like(extra) if key == "attention_mask"
                                                         else torch.zeros_like(extra))
                value = torch.cat([value, fill.to(value.dtype)], dim=1)
            inputs[key] = value
        out = self.loaded.model(**inputs, output_hidden_states=True)
        return out.hidden_states[-1][0, -1]

    def answer_poses(self, requests) -> list[PoseAnswer]:
        import torch

        inputs = encode(self.loaded, requests)
        settings = greedy_settings(self.loaded, self.max_new_tokens)
        with torch.inference_mode():
            out = self.loaded.model.generate(**inputs, **settings, eos_token_id=self._stop_ids(),
                                             output_hidden_states=True, return_dict_in_generate=True)
            new = out.sequences[:, inputs["input_ids"].shape[1]:].tolist()
            states, answers = [], []
            stops = set(self._stop_ids()) | {settings["pad_token_id"]}
            for row, (request, ids) in enumerate(zip(requests, new)):
                if self.pose_token_id in ids:
                    step = ids.index(self.pose_token_id)
                    # step 0's states cover the prompt (its last position emitted the first new token); each
                    # later step's cover the one token fed in
                    states.append(out.hidden_states[step][-1][row, -1])
                    answers.append((ids[:step + 1], False))
                else:
                    kept = [t for t in ids if t not in stops]
                    states.append(self._state_after(request, kept))
                    answers.append((kept + [self.pose_token_id], True))
            poses = self.projector.poses(torch.stack(states).to(self.loaded.device)).cpu().numpy()
        return [PoseAnswer(seq, pose.astype(np.float32), forced) for (seq, forced), pose in zip(answers, poses)]

    def generate_pose(self, requests):
        for r in requests:
            if set(r.inputs) not in ({"text"}, {"image"}):
                raise UnsupportedRequest(f"chatpose takes a text or an image, not {sorted(r.inputs)} ({r.task})")
        answers = in_batches(requests, self.batch_size, self.answer_poses)
        forced = sum(a.forced for a in answers)
        if forced:
            self.n_forced += forced
            print(f"chatpose: {forced} of {len(answers)} answers had no {self.pose_token} token within "
                  f"{self.max_new_tokens} new tokens; it was appended ({self.n_forced} so far)", file=sys.stderr)
        tokenizer = self.loaded.processor.tokenizer
        return [PoseResponse(poses=np.repeat(a.pose[None], r.n_samples, axis=0),
                             extras={"answer": tokenizer.decode(a.sequence), "forced_pose_token": a.forced})
                for a, r in zip(answers, requests)]

    # --- texts ----------------------------------------------------------------------------------------------
    def _describe_batch(self, requests) -> list[TextResponse]:
        import torch

        inputs = encode(self.loaded, requests)
        suppressed = list(self.loaded.model.generation_config.suppress_tokens or []) + [self.pose_token_id]
        with torch.inference_mode():
            out = self.loaded.model.generate(**inputs, **greedy_settings(self.loaded, self.max_new_tokens),
                                             suppress_tokens=suppressed)
        texts = self.loaded.processor.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return [TextResponse(t.replace(self.pose_token, "").strip()) for t in texts]

    def describe(self, requests):
        for r in requests:
            if not any(k in r.inputs for k in IMAGE_KEYS) or set(r.inputs) - set(IMAGE_KEYS):
                raise UnsupportedRequest(f"chatpose describes images only, not {sorted(r.inputs)} ({r.task})")
        return in_batches(requests, self.batch_size, self._describe_batch)
