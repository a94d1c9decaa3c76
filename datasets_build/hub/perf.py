"""Timings of the publishing path, measured side by side in one run.

    python -m datasets_build.hub.perf --rows 20000

Measures, on a synthetic pose_to_text split of `n_rows` rows (3 texts of 12 words per row):
* reading the pose column: `columns.fixed_shape_array` (Arrow storage) vs `ds.with_format("numpy")["pose"]`
  (datasets' formatter, the reference), with the ratio and an equality check;
* `stats.describe`, `export.validate_datasets` and `export.export_to_dir` on that split.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmark.timing import best_time_and_result


def _synthetic_split(n_rows: int, seed: int):
    import datasets

    from benchmark.tasks.schema import features

    rng = np.random.default_rng(seed)
    words = np.array("the person raises left arm bends knees slightly right leg forward torso".split())
    return datasets.Dataset.from_dict({
        "id": [f"row-{i}" for i in range(n_rows)], "source_dataset": ["perf"] * n_rows,
        "source_id": [str(i) for i in range(n_rows)],
        "pose": list(rng.normal(0.0, 0.3, (n_rows, 22, 3)).astype(np.float32)),
        "texts": [[" ".join(rng.choice(words, 12)) for _ in range(3)] for _ in range(n_rows)],
        "text_kinds": [["automatic"] * 3] * n_rows, "text_versions": [["N2", "N6", "N7"]] * n_rows,
    }, features=features("pose_to_text"))


def run_benchmark(n_rows: int = 20_000, seed: int = 0, include_reference: bool = True) -> dict:
    """Run every measurement once (the fast column read: best of 3) and print a summary; returns the figures."""
    from datasets_build.hub.card import CardMetadata
    from benchmark.columns import fixed_shape_array
    from datasets_build.hub.export import export_to_dir, validate_datasets
    from datasets_build.hub.stats import describe

    ds = _synthetic_split(n_rows, seed)
    by_task = {"pose_to_text": {"train": ds}}
    figures: dict = {"rows": n_rows}
    figures["pose_column_arrow_s"], fast = best_time_and_result(lambda: fixed_shape_array(ds, "pose"), repeats=3)
    if include_reference:
        figures["pose_column_datasets_numpy_s"], ref = best_time_and_result(
            lambda: np.asarray(ds.with_format("numpy", columns=["pose"])["pose"]))
        figures["pose_column_speedup"] = figures["pose_column_datasets_numpy_s"] / figures["pose_column_arrow_s"]
        figures["pose_column_equal"] = bool(np.array_equal(fast, ref))
    describe(by_task)  # warm-up: imports torch and the skeleton body once
    figures["describe_s"], _ = best_time_and_result(lambda: describe(by_task))
    figures["validate_s"], _ = best_time_and_result(lambda: validate_datasets(by_task))
    meta = CardMetadata(pretty_name="perf", summary="perf", sources=("embedded-world",),
                        command="python -m datasets_build.hub.perf", suite_version="perf")
    with tempfile.TemporaryDirectory() as tmp:
        figures["export_s"], out = best_time_and_result(lambda: export_to_dir(by_task, Path(tmp) / "out", meta))
        size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    figures["export_mb"] = size / 1e6
    figures["export_rows_per_s"] = n_rows / figures["export_s"]

    print(f"rows: {n_rows}")
    print(f"pose column, Arrow storage:          {figures['pose_column_arrow_s'] * 1e3:9.2f} ms")
    if include_reference:
        print(f"pose column, datasets numpy format:  {figures['pose_column_datasets_numpy_s'] * 1e3:9.2f} ms "
              f"(x{figures['pose_column_speedup']:.0f} slower; equal: {figures['pose_column_equal']})")
    print(f"describe:                            {figures['describe_s']:9.2f} s")
    print(f"validate_datasets:                   {figures['validate_s']:9.2f} s")
    print(f"export_to_dir:                       {figures['export_s']:9.2f} s "
          f"({figures['export_rows_per_s']:.0f} rows/s, {figures['export_mb']:.1f} MB of parquet)")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-reference", action="store_true", help="skip the slow datasets numpy formatter")
    args = parser.parse_args(argv)
    run_benchmark(args.rows, args.seed, include_reference=not args.no_reference)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
