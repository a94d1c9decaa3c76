"""The documented limits of a predictions file (README "Limits of a predictions file").

A submission is untrusted input: each limit is checked before the costly step it protects (the file size before
reading, a line's length and bracket nesting before `json.loads`, a text's length before it is tokenised for BLEU /
METEOR / the retrieval evaluators). The numbers are generous for any real split (the largest test split the suite
knows, Human3.6M protocol 2, has ~110k rows) and small enough that a refused file costs seconds, not gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PredictionLimits:
    file_bytes: int = 1 << 30  # 1 GiB: the whole file (JSONL, parquet or safetensors)
    records: int = 1_000_000  # records (lines / rows / tensors) in one file
    line_bytes: int = 4 << 20  # 4 MiB: one JSONL line (a [1000][200][3] joints record is ~3.6 MB as JSON)
    text_chars: int = 10_000  # one generated text (the longest PoseScript/PoseFix captions are < 1,000)
    id_chars: int = 512  # a task name or a row id
    samples: int = 1000  # pose samples per row (text_to_pose asks for a handful)
    joints: int = 200  # joints per sample (SMPL-X has 127 with the face)
    abs_value: float = 1e4  # |axis-angle| in radians or |joint| in metres; far beyond any real pose, well inside
    # float32 (its products and squares in the metrics stay finite: 1e4**2 * 200 joints << 3.4e38)
    nesting: int = 8  # bracket depth of one JSON line (the deepest valid field, poses, has 3)


LIMITS = PredictionLimits()
