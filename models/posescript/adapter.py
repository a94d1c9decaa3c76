"""The `posescript` and `posefix` adapters: the PoseScript / PoseFix baselines answer their two tasks each.

    posescript:preset=tiny                  train the preset on the world's train splits first (cached under the
                                            suite's home), as the main job does
    posescript:checkpoint=DIR               a folder of this suite (DIR/text_to_pose, DIR/pose_to_text)
    posescript:generator=FILE,captioner=FILE,vocabulary=WORDS,text_model=DIR
                                            upstream's released .pth files (either or both), the word list of
                                            their vocabulary and, for DistilBERT text encoders, a local
                                            distilbert-base-uncased folder for its tokenizer
    posefix:...                             the same for pose_edit (generator) and pose_diff (captioner)

`sampling`: "sample" (default; upstream's evaluation: z drawn from the text-side distribution, seeded per
request) or "mean" (the first pose is decoded from that distribution's mean, further ones are drawn). Texts are
decoded greedily, with repeated `no_repeat_ngram`-grams barred (default 4; 0: upstream's plain greedy, which loops
on small decoders; models/posescript/modules.py TextDecoder.generate_greedy) and <end> barred before `min_tokens`
tokens (default 0: the model's own minimum, 10 upstream). Everything is deterministic for a seed, whatever the
batching.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from benchmark import workspace
from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.errors import InputError
from benchmark.requests import PoseResponse, TextResponse
from models.baselines.seeding import request_rng

# the files whose code decides what a preset trains to: their content is part of the cache key of trained weights
_CODE = ("posescript/modules.py", "posescript/models.py", "posescript/training.py", "posescript/vocab.py",
         "posescript/presets.py", "posefix/models.py")


def training_key(data, tasks: tuple[str, ...], preset, seed: int) -> str:
    """Code + data + recipe + seed: a change of any retrains."""
    from models.baselines.training_data import training_key as key

    models_dir = Path(__file__).resolve().parents[1]
    return key((models_dir / c for c in _CODE), data.files(tasks), preset.to_dict(), seed)


def trained_family(family: str, tasks: tuple[str, ...], train: str | Path, preset_name: str, seed: int,
                   log=print, slices: int | None = None) -> Path:
    """The folder with one trained model per task of `family`, trained on `train` once and cached. Under a launcher
    every process calls this (e.g. each process of a launched evaluation builds the adapter): they train together
    (models/posescript/training.py), the main process alone logs and writes, and all return once it has."""
    from benchmark.processes import Processes
    from models.baselines.training_data import TrainingData
    from models.posescript.checkpoint import CONFIG, save_model
    from models.posescript.presets import get_preset
    from models.posescript.training import family_vocabulary, train_model

    preset = get_preset(preset_name)
    data = TrainingData(train)
    processes = Processes()
    slices = processes.world if slices is None else slices
    key = training_key(data, tasks, preset, seed) + ("" if slices == 1 else f"-s{slices}")
    output = workspace.home() / "models" / family / f"{preset_name}-{key}"
    missing = [t for t in tasks if not (output / t / CONFIG).is_file()]
    processes.wait()  # every process decided what to train before the main one writes
    log = log if processes.is_main else None
    if missing:
        vocab = family_vocabulary(data, tasks)
        for task in missing:
            if log:
                log(f"[{family}] training the {preset_name} {task} model on {data.root} (cached in {output})")
            model, report = train_model(task, data, preset, vocab, seed=seed, log=log, slices=slices)
            if not processes.is_main:
                continue
            if log:
                log(f"[{family}] {task}: {report['steps']} steps in {report['seconds']} s, loss "
                    f"{report['loss_first']['total']:.3f} -> {report['loss_last']['total']:.3f}")
            save_model(output / task, task, model, vocab, preset_name, {**report, "train": str(data.root)})
        processes.wait()
    return output


class _HFTokenizer:
    """A Hugging Face tokenizer (upstream's DistilBERT ones) behind the vocabulary's `batch` interface."""

    def __init__(self, path: str):
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)

    def batch(self, texts, max_len=None):
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=max_len or 512,
                             return_tensors="pt")
        return enc["input_ids"], enc["attention_mask"].sum(1)


class PoseTextBaselineAdapter(ModelAdapter):
    """One family: a pose-output model (`POSE_TASK`) and a text-output model (`TEXT_TASK`)."""

    FAMILY = ""
    POSE_TASK = ""
    TEXT_TASK = ""
    CITATION = ""
    ARGUMENTS = ("train", "preset", "seed", "checkpoint", "generator", "captioner", "vocabulary", "text_model",
                 "sampling", "no_repeat_ngram", "min_tokens", "batch_size")

    def __init__(self, train: str | None = None, preset: str = "tiny", seed: str = "0", checkpoint: str | None = None,
                 generator: str | None = None, captioner: str | None = None, vocabulary: str | None = None,
                 text_model: str | None = None, sampling: str = "sample", no_repeat_ngram: str = "4",
                 min_tokens: str = "0", batch_size: str = "64"):
        from models.posescript.checkpoint import load_model, load_released

        try:
            self.seed, self.batch_size = int(seed), int(batch_size)
            self.no_repeat_ngram, self.min_tokens = int(no_repeat_ngram), int(min_tokens)
        except ValueError:
            raise InputError(f"seed, batch_size, no_repeat_ngram and min_tokens must be integers, got {seed!r} / "
                             f"{batch_size!r} / {no_repeat_ngram!r} / {min_tokens!r}",
                             field=f"{self.FAMILY} arguments") from None
        if sampling not in ("sample", "mean"):
            raise InputError(f"sampling must be 'sample' or 'mean', got {sampling!r}", field="sampling")
        self.sampling = sampling
        self.models: dict[str, tuple] = {}  # task -> (model, tokenizer/vocabulary, info)
        released = {t: p for t, p in ((self.POSE_TASK, generator), (self.TEXT_TASK, captioner)) if p}
        if released:
            for task, path in released.items():
                model, vocab, info = load_released(path, vocabulary)
                if info["task"] != task:
                    raise InputError(f"this is a {info['class']} checkpoint, not one for {task}", file=str(path),
                                     field="generator" if task == self.POSE_TASK else "captioner")
                if vocab is None:  # a DistilBERT text encoder: its own tokenizer
                    if text_model is None:
                        raise InputError("a DistilBERT text encoder needs its tokenizer", field="text_model",
                                         hint="pass text_model=DIR, a local distilbert-base-uncased folder")
                    vocab = _HFTokenizer(text_model)
                self.models[task] = (model, vocab, info)
            source = {t: str(p) for t, p in released.items()}
        else:
            if checkpoint is None:
                if train is None:
                    raise InputError(f"{self.FAMILY} needs checkpoint=DIR, released files (generator=, captioner=) "
                                     "or train=DIR to train the preset on", field=f"{self.FAMILY} arguments")
                checkpoint = str(trained_family(self.FAMILY, self.TASKS, train, preset, self.seed))
            for task in self.TASKS:
                self.models[task] = load_model(Path(checkpoint) / task)
            source = {"checkpoint": str(checkpoint)}
        tasks = tuple(t for t in self.TASKS if t in self.models)
        first = self.models[tasks[0]][2]
        name = self.FAMILY if first["preset"] == "released" else f"{self.FAMILY}-{first['preset']}"
        n_params = sum(p.numel() for m, _, _ in self.models.values() for p in m.parameters())
        self.meta = AdapterMeta(
            name=name, revision=self._revision(), tasks=tasks,
            description=f"{self.SUMMARY} ({first['preset']} preset; poses: {sampling} of the text-side "
                        "distribution; texts: greedy)",
            license="CC-BY-NC-SA-4.0" if first["preset"] == "released" else "Apache-2.0",
            n_parameters=n_params,
            training_data=tuple({str(i["report"]["train"]) for _, _, i in self.models.values() if "report" in i}),
            citation=self.CITATION,
            args={**source, **({"train": str(train)} if train and not released else {}), "preset": preset,
                  "seed": self.seed, "sampling": sampling, "no_repeat_ngram": self.no_repeat_ngram,
                  "min_tokens": self.min_tokens})

    def _revision(self) -> str:
        h = hashlib.sha256()
        for task in sorted(self.models):
            for key, value in sorted(self.models[task][0].state_dict().items()):
                h.update(key.encode() + np.ascontiguousarray(value.detach().float().numpy()).tobytes())
        return f"{h.hexdigest()[:12]}-{self.sampling}-nr{self.no_repeat_ngram}-min{self.min_tokens}"

    # ---- helpers ----
    def _batches(self, requests):
        for start in range(0, len(requests), self.batch_size):
            yield requests[start:start + self.batch_size]

    @staticmethod
    def _poses(requests, key) -> torch.Tensor:
        return torch.tensor(np.stack([r.inputs[key] for r in requests]), dtype=torch.float32)

    def _noise(self, requests, latent_d: int) -> torch.Tensor:
        """[B, n, latent] per-request draws (its seed and content): the same poses whatever the batching."""
        n = max(r.n_samples for r in requests)
        out = np.zeros((len(requests), n, latent_d), np.float32)
        for i, r in enumerate(requests):
            out[i] = request_rng(self.seed * 1_000_003 + r.seed, r.request_hash).standard_normal((n, latent_d))
            if self.sampling == "mean":
                out[i, 0] = 0.0
        return torch.from_numpy(out)

    def _tokens(self, vocab, requests, model):
        return vocab.batch([r.inputs["text"] for r in requests], model.arch.max_text_tokens)

    # ---- the two request kinds ----
    def generate_pose(self, requests):
        from models.posescript.models import to_axis_angle

        if self.POSE_TASK not in self.models:
            raise InputError(f"this {self.FAMILY} adapter has no pose generator", field="generator")
        model, vocab, _ = self.models[self.POSE_TASK]
        out = []
        with torch.no_grad():
            for batch in self._batches(list(requests)):
                tokens, lengths = self._tokens(vocab, batch, model)
                noise = self._noise(batch, model.arch.latent_d)
                if self.POSE_TASK == "pose_edit":
                    rotmats = model.generate(self._poses(batch, "pose"), tokens, lengths, noise)
                else:
                    rotmats = model.generate(tokens, lengths, noise)
                B, n = rotmats.shape[:2]
                poses = to_axis_angle(rotmats.reshape(B * n, *rotmats.shape[2:])).reshape(B, n, 22, 3)
                for r, p in zip(batch, poses.numpy().astype(np.float32)):
                    out.append(PoseResponse(poses=np.ascontiguousarray(p[:r.n_samples])))
        return out

    def describe(self, requests):
        if self.TEXT_TASK not in self.models:
            raise InputError(f"this {self.FAMILY} adapter has no text generator", field="captioner")
        model, vocab, _ = self.models[self.TEXT_TASK]
        out = []
        with torch.no_grad():
            for batch in self._batches(list(requests)):
                if self.TEXT_TASK == "pose_diff":
                    memory = model.memory(self._poses(batch, "pose_a"), self._poses(batch, "pose_b"))
                else:
                    memory = model.memory(self._poses(batch, "pose"))
                ids = model.text_decoder.generate_greedy(
                    memory, bos=vocab.start, eos=vocab.end, pad=vocab.pad,
                    min_len=self.min_tokens or model.arch.min_generated_tokens,
                    max_len=model.arch.max_generated_tokens, no_repeat_ngram=self.no_repeat_ngram)
                # an empty decode is still an answer; the validator wants a non-empty string
                out += [TextResponse(vocab.decode(x) or ".") for x in ids]
        return out


class PoseScriptAdapter(PoseTextBaselineAdapter):
    SUMMARY = "PoseScript baselines: text-conditioned pose VAE and description generator"
    FAMILY = "posescript"
    POSE_TASK, TEXT_TASK = "text_to_pose", "pose_to_text"
    TASKS = ("text_to_pose", "pose_to_text")
    CITATION = ("Delmas et al., PoseScript: 3D Human Poses from Natural Language, ECCV 2022 (and PoseScript: "
                "Linking 3D Human Poses and Natural Language, T-PAMI 2024)")
