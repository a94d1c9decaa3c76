"""Baselines draw training data from any Hub-layout build: the embedded world's task-id configs, or a real-source
build's variant configs (they used to hard-code the embedded config names)."""

import numpy as np
import pytest

from benchmark.errors import BenchmarkError
from models.baselines.mean_pose import MeanPoseAdapter
from models.baselines.training_data import TrainingData


@pytest.fixture(scope="module")
def posescript_like(tmp_path_factory):
    """Configs as a PoseScript build names them: pose_to_text-A / -H, text_to_pose-H (no plain task ids)."""
    from datasets_build.hub.card import CardMetadata
    from datasets_build.hub.export import export_to_dir
    from tests.hub.synthetic import make_task_dataset

    card_metadata = CardMetadata(pretty_name="a PoseScript-like build", summary="synthetic rows", command="pytest",
                                 suite_version="0.1.0", seed=0, package_versions={}, sources=("posescript",))
    configs = {c: make_task_dataset(c, 0, {"train": 5, "test": 2}, text_kind=k)
               for c, k in (("pose_to_text-A", "automatic"), ("pose_to_text-H", "human"),
                            ("text_to_pose-H", "human"))}
    return export_to_dir(configs, tmp_path_factory.mktemp("ps") / "posescript", card_metadata), configs


def test_task_ids_resolve_to_the_builds_configs(posescript_like):
    root, configs = posescript_like
    data = TrainingData(root)
    assert data.config_for("pose_to_text") == "pose_to_text-H"  # human texts before automatic ones
    assert data.config_for("text_to_pose") == "text_to_pose-H"
    assert data.config_for("pose_to_text-A") == "pose_to_text-A"  # a config name is taken as is
    assert data.descriptions == [texts[0] for texts in configs["pose_to_text-H"]["train"]["texts"]]
    with pytest.raises(BenchmarkError, match="no train split of task pose_diff"):
        data.table("pose_diff")


def test_mean_pose_trains_on_a_real_build(posescript_like):
    root, configs = posescript_like
    adapter = MeanPoseAdapter(train=str(root))
    poses = np.asarray(configs["text_to_pose-H"]["train"]["pose"], dtype=np.float32)
    assert adapter._mean("text_to_pose", "pose").shape == (22, 3)
    np.testing.assert_array_equal(adapter.data.poses("text_to_pose"), poses)


def test_the_training_key_follows_code_data_and_recipe_not_the_folder(tmp_path):
    """A trained model is found again exactly when its code, data and recipe are the same."""
    from models.baselines.training_data import training_key

    def key(folder, recipe=None, seed=0):
        return training_key([tmp_path / folder / "model.py"], [tmp_path / folder / "train-00000.parquet"],
                            recipe or {"steps": 8}, seed)

    for folder in ("a", "b", "code", "data"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "model.py").write_text("LAYERS = 4\n")
        (tmp_path / folder / "train-00000.parquet").write_bytes(b"rows")
    first = key("a")
    assert len(first) == 12 and key("b") == first  # the same files in another folder: the same model
    (tmp_path / "code" / "model.py").write_text("LAYERS = 5\n")
    (tmp_path / "data" / "train-00000.parquet").write_bytes(b"other rows")
    others = [key("code"), key("data"), key("a", {"steps": 9}), key("a", seed=1)]
    assert len({first, *others}) == 5


def test_files_lists_the_split_of_each_config_asked_for(posescript_like):
    root, _ = posescript_like
    files = TrainingData(root).files(["pose_to_text", "text_to_pose"])
    assert [f.parent.name for f in files] == ["pose_to_text-H", "text_to_pose-H"]
    assert all(f.name.startswith("train-") and f.suffix == ".parquet" for f in files)
