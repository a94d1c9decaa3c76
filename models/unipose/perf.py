"""UniPose pose decoding: the 80 pose queries in one forward pass (mixed attention) against one code per step
(autoregressive, the causal ablation's decoding), on the same model, side by side in one run.

UniPose (CVPR'25) Table 7 reports 0.2 s against 2.5 s per pose (12.5x) for its 7B model on a GPU. Here: the tiny
preset (the main job's trained checkpoint when one is cached, else the same architecture untrained: decoding time
does not depend on the weights) and the small preset (SmolLM2-135M, when `make smollm2` has fetched it). Both paths
prefill the same text-to-pose prompt and decode 80 codes; the figures are the best of a few repeats.

    unipose-bench perf unipose
"""

from __future__ import annotations

import torch

from benchmark.tasks.templates import fill, load_templates
from benchmark.timing import best_time


def _prompt_examples(batch: int):
    from models.unipose.sequences import Example

    caption = ("The person stands with the left arm raised above the head, the right elbow bent and both knees "
               "slightly bent; the torso leans a little forward.")
    template = load_templates("text_to_pose")["pretrain"]
    return [Example(instruction=fill(template, caption), inputs={}, output_pose=True)] * batch


def _untrained(preset_name: str, seed: int, n_texts: int = 2000):
    """A UniPose of the preset's architecture (random pose tokenizer; the preset's language model; the tiny
    preset's tokenizer trained on the texts of `n_texts` synthetic poses)."""
    from benchmark.retrieval.synthetic import pose_text_columns
    from models.unipose.language_model import build_tiny_language_model, load_language_model, smollm2_path
    from models.unipose.model import UniPose
    from models.unipose.presets import get_preset
    from models.unipose.vocab import PoseVocabulary
    from models.unipose.vqvae import PoseVQVAE, preset_config

    preset = get_preset(preset_name)
    if preset.language_model == "tiny":
        texts = [t for row in pose_text_columns(n_texts, seed)["texts"] for t in row]
        lm, tokenizer = build_tiny_language_model(texts, seed=seed, **preset.tiny_lm)
    else:
        lm, tokenizer = load_language_model(smollm2_path())
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    torch.manual_seed(seed)
    vqvae = PoseVQVAE(preset_config(preset.tokenizer_preset)).eval()
    vocab = PoseVocabulary.add_to(tokenizer, vqvae.config.codebook_size, vqvae.config.n_latents)
    lm.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    return UniPose(lm.eval(), tokenizer, vqvae, vocab, mixed=True)


def _cached_tiny():
    from benchmark import workspace
    from models.unipose.checkpoint import load_unipose

    root = workspace.home() / "models" / "unipose"
    found = sorted(root.glob("tiny-*/4-instruction/unipose.json"), key=lambda p: p.stat().st_mtime)
    return load_unipose(found[-1].parent) if found else None


def decoding_times(model, batch: int = 1, repeats: int = 3) -> dict:
    examples = _prompt_examples(batch)
    with torch.inference_mode():
        model.generate_codes(examples, parallel=True)  # warm-up
        parallel = best_time(lambda: model.generate_codes(examples, parallel=True), repeats)
        autoregressive = best_time(lambda: model.generate_codes(examples, parallel=False), repeats)
    return {"batch": batch, "parallel_s": parallel, "autoregressive_s": autoregressive,
            "ratio": autoregressive / parallel}


def run_benchmark(seed: int = 0, batches: tuple[int, ...] = (1, 16), repeats: int = 3) -> list[dict]:
    from benchmark.errors import InputError

    rows = []
    for preset in ("tiny", "small"):
        try:
            model = (_cached_tiny() if preset == "tiny" else None) or _untrained(preset, seed)
        except InputError as e:
            print(f"  {preset}: skipped ({e})")
            continue
        # decoding time depends on the architecture only; say which weights were timed
        weights = ("trained checkpoint" if getattr(model, "info", None) else
                   "untrained" if preset == "tiny" else "pretrained LM, untrained pose rows")
        n_params = sum(p.numel() for p in model.lm.parameters())
        for batch in batches:
            row = {"preset": preset, "weights": weights, "lm_parameters": n_params,
                   **decoding_times(model, batch, repeats)}
            rows.append(row)
    print(f"UniPose pose decoding, 80 codes per pose, torch threads {torch.get_num_threads()}:")
    print("| preset | LM parameters | weights | batch | parallel (s) | autoregressive (s) | speed-up |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['preset']} | {r['lm_parameters'] / 1e6:.1f} M | {r['weights']} | {r['batch']} | "
              f"{r['parallel_s']:.3f} | {r['autoregressive_s']:.3f} | {r['ratio']:.1f}x |")
    print("(UniPose Table 7: 0.2 s vs 2.5 s, 12.5x, 7B model on a GPU)")
    return rows


def perf_table(size: str = "full", seed: int = 0) -> list:
    """The `unipose-bench perf` rows: parallel against autoregressive decoding of one prompt batch, per preset
    (small: skipped, with the reason, when SmolLM2 has not been fetched). The two decoders are different methods,
    so their codes need not match; what must hold is the form of both: [batch, 80] codes inside the codebook (the
    gap counts the codes that are not)."""
    from benchmark.errors import InputError
    from benchmark.perf_table import pick, side_by_side, skipped

    rows = []
    for preset in ("tiny", "small"):
        # the small preset's autoregressive pass is tens of seconds a batch on two CPU cores: batch 1 when quick
        batch = pick(size, 1, 4 if preset == "tiny" else 1, 16)
        measured = f"pose decoding, {preset} preset, 80 codes per pose"
        try:
            model = (_cached_tiny() if preset == "tiny" else None) or _untrained(
                preset, seed, n_texts=pick(size, 200, 2000, 2000))
        except InputError as e:
            rows.append(skipped("unipose", measured, f"skipped: {e}"))
            continue
        examples = _prompt_examples(batch)
        codebook = model.vqvae.config.codebook_size
        n_queries = model.vocab.n_queries

        def malformed(a, b, batch=batch, codebook=codebook, n_queries=n_queries):
            bad = 0
            for codes in (a, b):
                if tuple(codes.shape) != (batch, n_queries):
                    return float(batch * n_queries)
                bad += int(((codes < 0) | (codes >= codebook)).sum())
            return float(bad)

        def run(parallel, model=model, examples=examples):
            with torch.inference_mode():
                return model.generate_codes(examples, parallel=parallel)

        weights = ("trained checkpoint" if getattr(model, "info", None) else
                   "untrained" if preset == "tiny" else "pretrained SmolLM2, untrained pose rows")
        row = side_by_side(
            "unipose", measured, f"batch {batch}", fast=lambda run=run: run(True),
            reference=lambda run=run: run(False), gap=malformed, gap_unit="malformed codes", tolerance=0.0,
            fast_label="parallel (mixed attention)", reference_label="autoregressive", repeats=pick(size, 1, 2, 3),
            peak="rss", notes=f"{weights}; {sum(p.numel() for p in model.lm.parameters()) / 1e6:.1f} M LM "
                              "parameters; UniPose Table 7: 12.5x (7B, GPU)")
        rows.append(row)
    return rows
