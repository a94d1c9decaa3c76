"""Publishing the task datasets: the Hub layout (one repo per data world, one config per task or task variant:
config name = task id, or task id + "-" + variant such as `pose_to_text-H`), dataset cards and descriptive
statistics.

Modules (imported on use; `datasets`/`huggingface_hub` load lazily):
* `export`: `export_to_dir(datasets_by_config, out_dir, card_metadata)` writes what `push_to_hub` would write;
  `read_layout(dir)` reads it back.
* `card`: `CardMetadata` and `build_card(...)`, the dataset card.
* `stats`: `describe(...)`, `write_stats(...)` / `load_stats(...)`, `compare_stats(...)`.
* `publish`: `publish(from_dir, repo_id)` pushes every config (`config_name=<config>`); `copy_layout(from_dir,
  out_dir)` is the local variant.
The record of published revisions, which the task specs read, is the core's: `benchmark/tasks/revisions.py`.
* `perf`: `run_benchmark(...)`, the timings of this path.
"""
