"""The `unipose` adapter through the harness: trained on the small world (smoke preset: the plumbing of all four
stages), it answers all seven tasks, and its results name the weights they came from."""

import pytest

from benchmark.errors import InputError


def test_unipose_answers_all_seven_tasks(scored):
    from benchmark.tasks.schema import TASKS

    rows = {task for (name, task) in scored if name == "unipose-smoke"}
    assert rows == set(TASKS)
    result = scored[("unipose-smoke", "text_to_pose")]
    assert len(result.adapter.revision) == 12 and result.scores["mpjpe"].value > 0


def test_the_trained_checkpoint_is_cached_and_reused(small_world, world_home):
    from models.unipose.adapter import trained_checkpoint

    first = trained_checkpoint(small_world.hub_dir, "smoke", 0, log=None)
    stamp = (first / "report.json").stat().st_mtime_ns
    again = trained_checkpoint(small_world.hub_dir, "smoke", 0, log=None)
    assert again == first and (again / "report.json").stat().st_mtime_ns == stamp
    assert first.is_relative_to(world_home)


def test_arguments_are_checked():
    from models.unipose.adapter import UniPoseAdapter

    with pytest.raises(InputError, match="checkpoint=DIR"):
        UniPoseAdapter()
    with pytest.raises(InputError, match="integers"):
        UniPoseAdapter(checkpoint="x", seed="abc")
    with pytest.raises(InputError, match="integers"):
        UniPoseAdapter(checkpoint="x", no_repeat_ngram="four")
    with pytest.raises(InputError, match="min_tokens >= 1"):
        UniPoseAdapter(checkpoint="x", min_tokens="0")


def test_the_decoding_settings_are_part_of_the_revision(small_world, world_home):
    from models.unipose.adapter import UniPoseAdapter, trained_checkpoint

    folder = trained_checkpoint(small_world.hub_dir, "smoke", 0, log=None)
    plain = UniPoseAdapter(checkpoint=str(folder))
    held = UniPoseAdapter(checkpoint=str(folder), no_repeat_ngram="4", min_tokens="30")
    # cached responses follow the revision: texts decoded otherwise must not be served from the plain ones' cache
    assert held.meta.revision == plain.meta.revision + "-nr4-min30"
    assert (held.meta.args["no_repeat_ngram"], held.meta.args["min_tokens"]) == (4, 30)


def test_the_device_argument_is_checked_before_anything_is_loaded():
    import torch

    from models.unipose.adapter import UniPoseAdapter, _device

    assert _device("cpu") == torch.device("cpu")
    assert _device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    # the checkpoint folder does not exist: the device is refused first
    with pytest.raises(InputError, match="not a torch device"):
        UniPoseAdapter(checkpoint="no-such-folder", device="gpu0")
    with pytest.raises(InputError, match="not supported"):
        UniPoseAdapter(checkpoint="no-such-folder", device="meta")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="sees no GPU"):
            UniPoseAdapter(checkpoint="no-such-folder", device="cuda")


def test_every_training_module_is_in_the_cache_key():
    """A module that decides what a preset trains to and is left out of the key would let a changed model reuse
    weights trained by the old code: each module of the package is either in the key or an entry point."""
    from pathlib import Path

    from models.unipose import adapter

    modules = {p.name for p in Path(adapter.__file__).parent.glob("*.py")}
    entry_points = {"__init__.py", "adapter.py", "cli_train.py", "cli_train_tokenizer.py", "perf.py"}
    assert set(adapter._CODE) == modules - entry_points
