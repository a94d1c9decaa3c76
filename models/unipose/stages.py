"""UniPose's four training stages (paper §3.3, App. Tables 1 and 3), each resumable from the previous one's folder:

1. `tokenizer`: the pose VQ-VAE (models.unipose.tokenizer_training).
2. `alignment`: pose-text alignment: LoRA on every linear layer of the language model, embeddings and output head
   trained fully (upstream's LLaVA training does both), on pose-to-text, pose-diff, text-to-pose and pose-edit.
3. `projector`: the visual projector alone, on image-to-text, image-diff and pose estimation.
4. `instruction`: LoRA + projector on all seven tasks with the instruction-tuning templates.

Before stage 2 the language model and the visual towers are set up: a pretrained LM is loaded (small, paper); the
tiny preset builds a Llama and pre-trains it on the world's texts (a stand-in for the pretraining a real LM had).
The tiny and small presets pre-train their pose ViT on pose estimation (upstream loads TokenHMR's, trained so).
Every stage writes OUTPUT/<n>-<stage>/ with its report; `train_unipose` runs the missing ones and returns the final
checkpoint (OUTPUT/4-instruction).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from benchmark.errors import InputError
from models.baselines.training_data import TrainingData
from models.unipose.presets import ALL_TASKS, StageRecipe, UniPosePreset

STAGES = ("tokenizer", "alignment", "projector", "instruction")


def stage_dir(output: Path, stage: str) -> Path:
    return Path(output) / f"{STAGES.index(stage) + 1}-{stage}"


def world_texts(data: TrainingData) -> list[str]:
    return [str(t) for task in ("pose_to_text", "pose_diff") for texts in data.table(task)["texts"] for t in texts]


# ---- stage 1 ----
def train_tokenizer_stage(data: TrainingData, preset: UniPosePreset, output: Path, *, seed: int, log=print) -> Path:
    """The pose tokenizer on every distinct train pose; selected on the val poses, measured on val and test."""
    from dataclasses import replace

    from models.unipose.tokenizer_training import (reconstruction_metrics, tokenizer_recipe, train_tokenizer,
                                                   world_poses)
    from models.unipose.vqvae import preset_config

    folder = stage_dir(output, "tokenizer")
    train, val, test = (world_poses(data.root, split) for split in ("train", "val", "test"))
    recipe = tokenizer_recipe(preset.tokenizer_preset)
    if preset.tokenizer_steps is not None:
        recipe = replace(recipe, steps=preset.tokenizer_steps, epochs=None)
    model, report = train_tokenizer(train, val, preset_config(preset.tokenizer_preset),
                                    steps=recipe.steps_for(len(train)), seed=seed, batch_size=recipe.batch_size,
                                    log=log, options=recipe.options)
    report = {**report, "val": reconstruction_metrics(model, val), "test": reconstruction_metrics(model, test)}
    if not _processes().is_main_process:  # under a launcher every process trained the same weights; one writes
        return folder
    log(f"[tokenizer] reconstruction MPJPE / PA-MPJPE (mm): val {report['val']['mpjpe']:.1f} / "
        f"{report['val']['pa_mpjpe']:.1f}, test {report['test']['mpjpe']:.1f} / {report['test']['pa_mpjpe']:.1f}")
    model.save(folder / "pose_vqvae")
    _write_report(folder, report)
    return folder


# ---- set-up of the language model and the visual processor ----
def _language_model(preset: UniPosePreset, data: TrainingData, *, seed: int, language_model: str | None, log):
    from models.unipose.language_model import build_tiny_language_model, load_language_model, smollm2_path

    if preset.language_model == "tiny":
        # the tokenizer also learns the instruction templates' words, which the captions may lack
        templates = [t for task in ALL_TASKS for t in _template_texts(task)]
        lm, tokenizer = build_tiny_language_model(world_texts(data) + templates, seed=seed, **preset.tiny_lm)
        return lm, tokenizer, "base_model"
    source = language_model or (str(smollm2_path()) if preset.language_model == "smollm2" else None)
    if source is None:
        raise InputError(f"the {preset.name} preset needs the local path of {preset.language_model}",
                         field="language_model", hint="pass --language-model PATH")
    lm, tokenizer = load_language_model(source)
    return lm, tokenizer, str(source)


def _template_texts(task_id: str) -> list[str]:
    from benchmark.tasks.templates import load_templates

    data = load_templates(task_id)
    return [data["pretrain"], *data["finetune"]]


def pretrain_tiny_lm(lm, tokenizer, texts: list[str], *, steps: int, seed: int, batch_size: int = 32,
                     max_length: int = 128, lr: float = 2e-3, log=print) -> dict:
    """Causal-LM pre-training of the from-scratch tiny model on the world's texts (full weights)."""
    from transformers import get_cosine_schedule_with_warmup

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    eos = tokenizer.eos_token_id
    encoded = [ids[:max_length - 1] + [eos] for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    optimizer = torch.optim.AdamW(lm.parameters(), lr=lr, weight_decay=0.0)
    scheduler = get_cosine_schedule_with_warmup(optimizer, max(1, steps // 30), steps)
    lm.train()
    losses, start = [], time.perf_counter()
    for step in range(steps):
        batch = [encoded[i] for i in rng.integers(len(encoded), size=batch_size)]
        length = max(map(len, batch))
        ids = torch.full((batch_size, length), tokenizer.pad_token_id)
        labels = torch.full((batch_size, length), -100)
        mask = torch.zeros((batch_size, length), dtype=torch.long)
        for i, seq in enumerate(batch):
            ids[i, :len(seq)] = labels[i, :len(seq)] = torch.tensor(seq)
            mask[i, :len(seq)] = 1
        loss = lm(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if log is not None and (step % 50 == 0 or step == steps - 1):
            log(f"[lm-pretrain] step {step + 1}/{steps} loss {np.mean(losses[-50:]):.3f} "
                f"({time.perf_counter() - start:.0f} s)")
    lm.eval()
    return {"stage": "lm-pretrain", "steps": steps, "seconds": round(time.perf_counter() - start, 1),
            "loss_first": float(np.mean(losses[:10])), "loss_last": float(np.mean(losses[-10:]))}


def _visual(preset: UniPosePreset, data: TrainingData, hidden: int, *, seed: int, log):
    from models.unipose.vision import VisualProcessor, vision_preset

    config = vision_preset(preset.vision_preset)
    report = None
    pose_vit = None
    if preset.pose_vit_steps:
        from models.unipose.pose_vit_training import train_pose_vit

        rows = data.table("pose_estimation")
        pose_vit, report = train_pose_vit(rows["image"], data.poses("pose_estimation"), config,
                                          steps=preset.pose_vit_steps, seed=seed, log=log)
    torch.manual_seed(seed)
    visual = VisualProcessor(config, hidden, pose_vit=pose_vit)
    return visual, report


def _attach_lora(lm, preset: UniPosePreset, seed: int):
    """LoRA on every linear layer of the language model but its output head (the vision towers, projector and
    pose tokenizer live outside it, as upstream excludes them); embeddings and output head train fully."""
    from peft import LoraConfig, get_peft_model

    names = sorted({n.rsplit(".", 1)[-1] for n, m in lm.named_modules() if isinstance(m, torch.nn.Linear)}
                   - {"lm_head"})
    torch.manual_seed(seed)
    config = LoraConfig(r=preset.lora_r, lora_alpha=preset.lora_alpha, lora_dropout=preset.lora_dropout,
                        target_modules=names, task_type="CAUSAL_LM")
    return get_peft_model(lm, config)


def use_gradient_checkpointing(lm, preset: UniPosePreset) -> None:
    """Turn on the preset's gradient checkpointing in the (peft-wrapped) language model; non-reentrant, the variant
    that works when the inputs (UniPose passes embeddings) need no gradient of their own."""
    if preset.gradient_checkpointing:
        lm.get_base_model().activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})


def _set_trainable(model, trains: str) -> None:
    model.requires_grad_(False)
    base = model.lm.get_base_model()
    if "lora" in trains:
        for name, p in model.lm.named_parameters():
            if "lora_" in name:
                p.requires_grad_(True)
        base.get_input_embeddings().weight.requires_grad_(True)
        base.get_output_embeddings().weight.requires_grad_(True)
    if "projector" in trains:
        model.visual.projector.requires_grad_(True)


def _with_tower_features(model, examples) -> None:
    """Replace each example's images by the frozen towers' fused features (computed once; only the projector
    trains, so this is what every step would compute)."""
    cache: dict[int, torch.Tensor] = {}
    images = {id(im): im for e in examples for k, im in e.inputs.items() if k.startswith("image")}
    keys = list(images)
    for i in range(0, len(keys), 64):
        chunk = keys[i:i + 64]
        for k, f in zip(chunk, model.tower_features([images[k] for k in chunk])):
            cache[k] = f
    for e in examples:
        for k in [k for k in e.inputs if k.startswith("image")]:
            e.inputs[k] = cache[id(e.inputs[k])]


class _PoseCodes:
    """The frozen tokenizer's codes of pose arrays, each array encoded once per training run: pose-to-text and
    text-to-pose share their poses, as pose-diff and pose-edit share their pairs, and stages 3-4 tokenize the poses
    stage 2 did with the same tokenizer (frozen after stage 1, carried by every stage's checkpoint)."""

    def __init__(self):
        self._codes: dict[tuple, np.ndarray] = {}

    def of(self, model):
        """`codes_of(poses [N, 22, 3]) -> codes [N, 80]` through `model`'s tokenizer, remembered."""
        def codes_of(poses: np.ndarray) -> np.ndarray:
            poses = np.ascontiguousarray(poses, dtype=np.float32)
            key = (poses.shape, poses.tobytes())  # a few MB for a run's arrays; equal content, not a digest
            if key not in self._codes:
                self._codes[key] = model.pose_codes(poses)
            return self._codes[key]
        return codes_of


def _stage_examples(model, data: TrainingData, recipe: StageRecipe, seed: int, codes: _PoseCodes):
    from models.unipose.data import stage_examples

    examples = stage_examples(data, recipe.tasks, codes.of(model), template_set=recipe.template_set, seed=seed,
                              limit_per_task=recipe.limit_per_task)
    if model.visual is not None and any(t in recipe.tasks for t in ("image_to_text", "image_diff",
                                                                    "pose_estimation")):
        _with_tower_features(model, examples)
    return examples


def _processes():
    """The launched processes (`accelerate launch`, torchrun) this one is part of; one process when not launched.
    Every process runs every stage (the LM stages split each batch among them); only the main one writes."""
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def _write_report(folder: Path, report: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n")


def train_unipose(train: str | Path, preset: UniPosePreset, output: str | Path, *, seed: int = 0,
                  stages: tuple[str, ...] = STAGES, language_model: str | None = None, log=print) -> Path:
    """Run the stages of `preset` that `output` lacks, on the train split of dataset folder `train`; returns the
    final checkpoint folder. A stage's folder, once complete, is reused."""
    from models.unipose.checkpoint import load_unipose, save_unipose
    from models.unipose.model import UniPose
    from models.unipose.training import train_stage
    from models.unipose.vocab import PoseVocabulary
    from models.unipose.vqvae import PoseVQVAE

    processes = _processes()
    main = processes.is_main_process
    log = log if log and main else (lambda *_: None)
    output = Path(output)
    data = TrainingData(train)
    tok_dir = stage_dir(output, "tokenizer")
    # which stages are done is decided before any process writes, so that all of them run the same stages
    done = {stage: (stage_dir(output, stage) / "report.json").is_file() for stage in STAGES}
    processes.wait_for_everyone()
    if "tokenizer" in stages and not done["tokenizer"]:
        log(f"[unipose] stage 1/4: pose tokenizer ({preset.tokenizer_preset})")
        train_tokenizer_stage(data, preset, output, seed=seed, log=log)
        processes.wait_for_everyone()
    if not (tok_dir / "pose_vqvae").is_dir():
        raise InputError("stage 1 (the pose tokenizer) has not been trained here", file=str(tok_dir),
                         hint="run the tokenizer stage first")
    previous = None
    codes = _PoseCodes()
    for number, stage in enumerate(STAGES[1:], start=2):
        folder = stage_dir(output, stage)
        if done[stage]:
            previous = folder
            continue
        if stage not in stages:
            break
        recipe: StageRecipe = getattr(preset, stage)
        info_reports = []
        if previous is None:  # set up the model from the pieces
            vqvae = PoseVQVAE.load(tok_dir / "pose_vqvae").eval().requires_grad_(False)
            lm, tokenizer, lm_source = _language_model(preset, data, seed=seed, language_model=language_model,
                                                       log=log)
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
            if preset.lm_pretrain_steps:
                info_reports.append(pretrain_tiny_lm(lm, tokenizer, world_texts(data),
                                                     steps=preset.lm_pretrain_steps, seed=seed, log=log))
            if lm_source == "base_model" and main:  # built here: it travels with the checkpoints, with its tokenizer
                lm.save_pretrained(folder.with_name(folder.name + ".base"))
                tokenizer.save_pretrained(folder.with_name(folder.name + ".base"))
            vocab = PoseVocabulary.add_to(tokenizer, vqvae.config.codebook_size, vqvae.config.n_latents)
            lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
            visual, vit_report = _visual(preset, data, lm.config.hidden_size, seed=seed, log=log)
            if vit_report is not None:
                info_reports.append({"stage": "pose-vit", **vit_report.as_dict()})
            model = UniPose(_attach_lora(lm, preset, seed), tokenizer, vqvae, vocab, visual,
                            mixed=preset.attention == "mixed", max_answer_tokens=preset.max_answer_tokens)
            info = {"preset": preset.name, "attention": preset.attention, "n_queries": vocab.n_queries,
                    "language_model": lm_source, "max_answer_tokens": preset.max_answer_tokens,
                    "preset_config": preset.to_dict(), "seed": seed, "train": str(train)}
        else:
            model = load_unipose(previous, merge=False)
            info = model.info
            _enable_lora_training(model)
        log(f"[unipose] stage {number}/4: {stage} ({', '.join(recipe.tasks)})")
        _set_trainable(model, recipe.trains)
        use_gradient_checkpointing(model.lm, preset)
        examples = _stage_examples(model, data, recipe, seed + number, codes)
        report = train_stage(model, examples, steps=recipe.n_steps(len(examples)), batch_size=recipe.batch_size,
                             lr=recipe.lr, seed=seed + number, mixed_precision=preset.mixed_precision, log=log,
                             name=stage)
        info = {**info, "stages": [*info.get("stages", []), *info_reports, report]}
        if main:
            save_unipose(model, folder, info)
            if info["language_model"] == "base_model":  # a model built here travels with every stage's checkpoint
                base = folder.with_name(folder.name + ".base") if previous is None else previous / "base_model"
                shutil.copytree(base, folder / "base_model")
                if previous is None:
                    shutil.rmtree(base)
            _write_report(folder, report)
        processes.wait_for_everyone()  # the next stage starts from this folder
        previous = folder
    if previous is None or previous.name != stage_dir(output, "instruction").name:
        return previous or tok_dir
    return previous


def _enable_lora_training(model) -> None:
    """A checkpoint loaded with merge=False has its adapter frozen; make its LoRA weights trainable again."""
    for name, p in model.lm.named_parameters():
        if "lora_" in name:
            p.requires_grad_(True)
