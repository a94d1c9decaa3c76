"""Timing of the retrieval evaluators on this machine: training time per epoch, validation, encoding, checkpoint size.

`run_benchmark()` trains each evaluator kind for one epoch per stage of the chosen recipe on synthetic items
(benchmark.retrieval.synthetic: texts as long as PoseScript's automatic captions, 40-60 tokens), with the default
architecture, and reports seconds per training epoch (validation excluded), the validation pass, encoding
throughput (float64 inference, beside the float32 weights' own), and the checkpoint size. Side by side, it times
one forward + backward pass of the text encoder through the padded BiGRU used in training (the fast path) and
through upstream's packed BiGRU (the reference), on batches of the synthetic texts and of texts three times as long,
and prints the ratio. Run it with

    python -m benchmark.retrieval.perf --items 5000

Numbers depend on the load of the machine; `threads` pins torch's intra-op thread count for the run (restored after).
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
import torch

from benchmark.timing import best_time


def text_encoder_fast_vs_packed(batch_sizes=(32, 128), repeats=(1, 3), seed: int = 0, verbose: bool = True) -> list:
    """[{batch, tokens, fast_s, packed_s, ratio}]: forward + backward of the default text encoder, both paths."""
    from benchmark.retrieval.backbone import load_backbone
    from benchmark.retrieval.config import ArchitectureConfig
    from benchmark.retrieval.evaluator import tokenize
    from benchmark.retrieval.models import build_model
    from benchmark.retrieval.synthetic import pose_text_columns
    from benchmark.retrieval.training import seeded_torch

    backbone = load_backbone()
    with seeded_torch(seed):
        encoder = build_model(ArchitectureConfig(kind="pose-text"), backbone.word_embeddings).text_encoder.train()
    columns = pose_text_columns(max(batch_sizes), seed)
    rows = []
    for batch in batch_sizes:
        for repeat in repeats:
            texts = [" ".join(t[:repeat]) for t in columns["texts"][:batch]]  # automatic texts joined: longer
            ids, lengths = tokenize(backbone, texts, 196)
            fast = best_time(lambda: encoder(ids, lengths).sum().backward())
            packed = best_time(lambda: encoder.encode_packed(ids, lengths).sum().backward())
            rows.append({"batch": batch, "tokens": int(ids.shape[1]), "fast_s": fast, "packed_s": packed,
                         "ratio": packed / fast})
            if verbose:
                print(f"text encoder forward+backward, batch {batch} x {ids.shape[1]} tokens: padded BiGRU "
                      f"{fast * 1e3:.0f} ms, packed BiGRU (upstream) {packed * 1e3:.0f} ms, ratio {packed / fast:.2f}")
    return rows


@torch.no_grad()
def _encode_texts_float32(evaluator, texts, batch_size: int = 256):
    """The evaluator's text encoding on its float32 weights: what the float64 inference costs, side by side."""
    return evaluator._encode_texts(evaluator.model, list(texts), batch_size)


@torch.no_grad()
def _encode_texts_float64(evaluator, texts, batch_size: int = 256):
    """`encode_texts` without its memo of recent lists (a repeated timing would measure the memo)."""
    return evaluator._encode_texts(evaluator._model64, list(texts), batch_size)


def run_benchmark(n_items: int = 5000, n_val: int = 1000, kinds=("pose-text", "pair-text"), recipe_name: str = "cpu",
                  threads: int | None = None, seed: int = 0, verbose: bool = True) -> dict:
    """Figures per evaluator kind: {kind: {"<stage>_epoch_s", "validation_s", "encode_inputs_per_s",
    "encode_texts_per_s", "checkpoint_mb", "batch_sizes", "threads"}}, and "text_encoder": the fast/packed rows."""
    from benchmark.retrieval.checkpoint import checkpoint_size_bytes
    from benchmark.retrieval.config import recipe
    from benchmark.retrieval.synthetic import random_poses, synthetic_splits
    from benchmark.retrieval.training import train_retrieval, validation_metrics
    from benchmark.retrieval.data import extract_items

    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    figures = {}
    try:
        figures["text_encoder"] = text_encoder_fast_vs_packed(seed=seed, verbose=verbose)
        for kind in kinds:
            splits = synthetic_splits(kind, n_items, n_val, seed=seed)
            config = recipe(kind, recipe_name).with_epochs(1)
            with tempfile.TemporaryDirectory() as out:
                result = train_retrieval(kind, splits, config=config, seed=seed, output_dir=out, progress=False)
                size_mb = checkpoint_size_bytes(result.checkpoint_dir) / 1e6
            row = {"threads": torch.get_num_threads(), "checkpoint_mb": size_mb, "batch_sizes": {}}
            for stage in result.stages:
                row[f"{stage.name}_epoch_s"] = stage.history[0]["seconds"]
                row["batch_sizes"][stage.name] = getattr(config, stage.name).batch_size
            evaluator = result.evaluator
            val = extract_items(splits["val"], kind, ("human",))
            row["validation_s"] = best_time(
                lambda: validation_metrics(evaluator.model, evaluator.backbone, val, 512), 1)
            poses = random_poses(n_val, np.random.default_rng(seed))
            texts = list(val.texts_at(val.validation_text_indices()))
            if kind == "pose-text":
                row["encode_inputs_per_s"] = n_val / best_time(lambda: evaluator.encode_poses(poses))
            else:
                row["encode_inputs_per_s"] = n_val / best_time(lambda: evaluator.encode_pairs(poses, poses[::-1]))
            row["encode_texts_per_s"] = len(texts) / best_time(lambda: _encode_texts_float64(evaluator, texts))
            row["encode_texts_float32_per_s"] = len(texts) / best_time(lambda: _encode_texts_float32(evaluator, texts))
            figures[kind] = row
            if verbose:
                stages = ", ".join(f"{name} epoch (batch {bs}) {row[f'{name}_epoch_s']:.1f} s"
                                   for name, bs in row["batch_sizes"].items())
                print(f"{kind}: {n_items} items, {row['threads']} thread(s): {stages}; validation of {n_val} items "
                      f"{row['validation_s']:.1f} s; encode {row['encode_inputs_per_s']:.0f} inputs/s, "
                      f"{row['encode_texts_per_s']:.0f} texts/s (float64; float32 would do "
                      f"{row['encode_texts_float32_per_s']:.0f}/s, ratio "
                      f"{row['encode_texts_float32_per_s'] / row['encode_texts_per_s']:.2f}); "
                      f"checkpoint {size_mb:.1f} MB")
    finally:
        torch.set_num_threads(previous_threads)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--val", type=int, default=1000)
    parser.add_argument("--kinds", nargs="+", default=["pose-text", "pair-text"])
    parser.add_argument("--recipe", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    run_benchmark(args.items, args.val, tuple(args.kinds), args.recipe, args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
