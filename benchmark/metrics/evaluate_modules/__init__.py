"""Local Hugging Face `evaluate` modules of the suite's metrics, one folder per metric (`<name>/<name>.py`).

    import evaluate
    from benchmark.metrics.evaluate_modules import module_path
    bleu = evaluate.load(module_path("bleu"))   # a local folder: the Hub is never contacted

Each module's `_compute` delegates to the functions in `benchmark.metrics`, so both routes give the same numbers.
Text modules return HF's keys and 0..1 fractions (drop-in for evaluate's "bleu", "rouge", "meteor"); the others
return the suite's units (% for retrieval, mm for joint errors). Every result has a "protocol" entry. Set
HF_HUB_OFFLINE=1 (and a writable HF_HOME) on machines without network: `evaluate.load` copies the script into
$HF_HOME/modules before importing it.
"""

from __future__ import annotations

from pathlib import Path

MODULES = ("bleu", "rouge_l", "meteor", "coco_caption", "r_precision", "recall_at_k", "cross_modal_recall", "mpjpe",
           "pa_mpjpe", "frechet_distance")


def module_path(name: str) -> str:
    """Absolute path of the folder of the local evaluate module `name` (for `evaluate.load`)."""
    if name not in MODULES:
        raise KeyError(f"no local evaluate module '{name}' (known: {', '.join(MODULES)})")
    return str(Path(__file__).resolve().parent / name)


def numbers(scores) -> dict:
    """{score name: value} of a Scores plus its protocol: the plain result an evaluate module returns."""
    return {**scores.numbers(), "protocol": scores.protocol}
