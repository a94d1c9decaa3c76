"""ChatPose's pose head: the language model's last hidden state at the pose token -> SMPL joint rotations.

ChatPose (Feng et al., CVPR 2024; github.com/yfeng95/PoseGPT, model/chatpose.py) follows LISA: the LLM emits one
added token (`[SEG]` in its code, shown as `[POSE]`), and the final-layer hidden state that emitted it goes through
`text_hidden_fcs[0]` = Linear(h, h) -> ReLU -> Linear(h, 144) (-> Dropout(0)); the 144 outputs are 24 joints x 6D
(root + 23 SMPL body joints), turned into rotation matrices with HMR2's 6D convention (the first three numbers are
the first column, the next three the second; model/smpl/rotation_converter.py `rot6d_to_rotmat`). This suite's
poses are root + 21 body joints, so the two SMPL hand joints (22, 23) are dropped; a head trained for 22 joints
(132 outputs) is taken as is.

State dicts in ChatPose's naming (`model.text_hidden_fcs.0.0.weight`, `...0.2.bias`, with any prefix such as the
PEFT wrapper's `base_model.model.`) or in this module's (`layers.0.weight`, ...) load through `load_projector_state`:
safetensors files, or torch files read with weights_only=True (never an arbitrary unpickle).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from benchmark.errors import InputError, MissingModelFiles

N_JOINTS = 22
UPSTREAM_JOINTS = 24  # ChatPose's release: out_dim 144 = 24 x 6 (scripts/main_inference.sh --out_dim 144)
PARAMETERS = ("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias")
_UPSTREAM_KEY = re.compile(r"(?:^|\.)text_hidden_fcs\.0\.([02])\.(weight|bias)$")
_OWN_KEY = re.compile(r"^layers\.([02])\.(weight|bias)$")


class PoseProjector(nn.Module):
    def __init__(self, hidden_size: int, out_dim: int = 6 * UPSTREAM_JOINTS):
        super().__init__()
        if out_dim % 6 or out_dim // 6 < N_JOINTS:
            raise InputError(f"the pose head's output size {out_dim} is not 6 x (22 or more joints)",
                             field="out_dim")
        self.layers = nn.Sequential(nn.Linear(hidden_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, out_dim))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.layers(hidden)

    def poses(self, hidden: torch.Tensor) -> torch.Tensor:
        """Hidden states [B, h] -> axis-angle float32 [B, 22, 3] (root + 21 body joints)."""
        out = self(hidden.to(self.layers[0].weight.dtype)).float()
        return rot6d_to_axis_angle(out.reshape(out.shape[0], -1, 6))[:, :N_JOINTS]


def rot6d_to_axis_angle(x: torch.Tensor) -> torch.Tensor:
    """6D rotations [..., 6] in HMR2's layout (column 1 then column 2 of the matrix) -> axis-angle [..., 3]:
    Gram-Schmidt on the two columns (roma.special_gramschmidt takes them as a [..., 3, 2] matrix)."""
    import roma

    columns = x.reshape(*x.shape[:-1], 2, 3).transpose(-1, -2)
    return roma.rotmat_to_rotvec(roma.special_gramschmidt(columns))


def _read_tensors(path: Path) -> dict:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # an unpickling refusal or a corrupt file: either way not a usable state dict
        raise InputError(f"not a torch state dict that loads with weights_only=True ({type(err).__name__}: "
                         f"{str(err).splitlines()[0][:200]})", file=str(path),
                         hint="save the pose head as safetensors or as a plain state dict of tensors") from None
    for key in ("state_dict", "model"):  # checkpoints that wrap the state dict
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise InputError(f"holds a {type(obj).__name__}, not a state dict", file=str(path))
    return obj


def projector_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.safetensors")) or sorted([*path.glob("*.bin"), *path.glob("*.pt"),
                                                              *path.glob("*.pth")])
        if not files:
            raise MissingModelFiles(f"{path} has no *.safetensors (or *.bin / *.pt) file holding the pose head")
        return files
    if not path.is_file():
        raise MissingModelFiles(f"pose head file {path} does not exist (projector=FILE: a safetensors or torch "
                                f"state dict with ChatPose's text_hidden_fcs weights)")
    return [path]


def load_projector_state(path: str | Path) -> tuple[dict[str, torch.Tensor], str]:
    """The pose head's four tensors under this module's names, from a file or a folder of checkpoint shards
    (other keys, e.g. the language model's, are skipped), and where they came from."""
    path = Path(path).expanduser()
    found: dict[str, torch.Tensor] = {}
    for file in projector_files(path):
        for key, value in _read_tensors(file).items():
            match = _UPSTREAM_KEY.search(key) or _OWN_KEY.search(key)
            if match and isinstance(value, torch.Tensor):
                name = f"layers.{match.group(1)}.{match.group(2)}"
                if name in found:
                    raise InputError(f"two tensors map to {name} (the second is {key})", file=str(file),
                                     field=key, hint="keep one pose head in the file")
                found[name] = value
    missing = [p for p in PARAMETERS if p not in found]
    if missing:
        raise InputError(f"no pose-head tensor for {', '.join(missing)} (looked for ChatPose's "
                         f"'text_hidden_fcs.0.0/2.weight/bias' or 'layers.0/2.weight/bias')", file=str(path),
                         field=missing[0])
    return found, str(path)


def load_projector(path: str | Path, hidden_size: int) -> PoseProjector:
    state, where = load_projector_state(path)
    out_dim = state["layers.2.weight"].shape[0]
    projector = PoseProjector(hidden_size, out_dim)
    expected = {k: tuple(v.shape) for k, v in projector.state_dict().items()}
    for key, shape in expected.items():
        if tuple(state[key].shape) != shape:
            raise InputError(f"shape {list(state[key].shape)} does not fit a language model of hidden size "
                             f"{hidden_size} (expected {list(shape)})", file=where, field=key,
                             hint="the pose head belongs to another base model")
    projector.load_state_dict({k: v.float() for k, v in state.items()})
    return projector.eval()
