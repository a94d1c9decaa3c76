"""`add_source_arguments` / `build_from_sources`: the options name the user's files, the right builder runs."""

import argparse

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.tasks.schema import features
from datasets_build.real.cli import add_source_arguments, build_from_sources
from datasets_build.real.common import task_of


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_source_arguments(parser)
    return parser.parse_args([str(a) for a in argv])


def test_options_coexist_with_the_callers_own():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--source", default="embedded")
    add_source_arguments(parser, with_source=False)
    args = parser.parse_args(["--source", "posefix", "--3dpw-dir", "/x", "--imagescript-sizes", "coco=3,mpii=2"])
    assert args.seed == 7 and args.threedpw_dir.name == "x"
    assert args.imagescript_sizes == {"coco": 3, "mpii": 2}
    help_text = parser.format_help()
    for flag in ("--posescript-dir", "--posefix-dir", "--amass-dir", "--3dpw-dir", "--h36m-dir", "--mpii-dir",
                 "--coco-dir", "--mpi-inf-3dhp-dir", "--eft-dir", "--hmr2-eval-dir", "--image-size"):
        assert flag in help_text


def test_posescript_and_posefix_from_the_command_line(sources):
    datasets, info = build_from_sources(parse("--source", "posescript", "--posescript-dir", sources.posescript,
                                              "--amass-dir", sources.posescript_amass,
                                              "--automatic-versions", "N2,N6,N7"), progress=False)
    assert set(datasets) == {"pose_to_text-A", "pose_to_text-H", "text_to_pose-A", "text_to_pose-H"}
    versions = {v for vs in datasets["pose_to_text-A"]["train"]["text_versions"] for v in vs}
    assert versions == {"N2", "N6", "N7", "human"}
    datasets, info = build_from_sources(parse("--source", "posefix", "--posefix-dir", sources.posefix,
                                              "--amass-dir", sources.posefix_amass), progress=False)
    assert set(datasets) == {"pose_diff-A", "pose_diff-H", "pose_edit-A", "pose_edit-H"}
    with pytest.raises(InputError, match="--amass-dir"):
        build_from_sources(parse("--source", "posefix", "--posefix-dir", sources.posefix), progress=False)
    with pytest.raises(InputError, match="folder not found"):
        build_from_sources(parse("--source", "posescript", "--posescript-dir", sources.root / "nope",
                                 "--amass-dir", sources.posescript_amass), progress=False)


def test_pose_estimation_from_the_command_line(sources, tmp_path):
    args = parse("--source", "pose-estimation", "--3dpw-dir", sources.threedpw, "--hmr2-eval-dir", sources.hmr2,
                 "--h36m-dir", sources.h36m, "--h36m-frame-step", 2, "--mpii-dir", sources.mpii, "--coco-dir",
                 sources.coco, "--eft-dir", sources.eft, "--mpi-inf-3dhp-dir", sources.mpi_inf_3dhp,
                 "--unipose-npz-dir", sources.unipose, "--unipose-image-dir", sources.unipose_images,
                 "--image-size", 40, "--work-dir", tmp_path)
    datasets, info = build_from_sources(args, progress=False)
    assert set(datasets) == {f"pose_estimation-{d}" for d in ("3dpw", "h36m", "h36m17", "mpii", "coco",
                                                              "mpi-inf-3dhp")}
    for name, dsd in datasets.items():
        for ds in dsd.values():
            assert ds.features == features(task_of(name))
            assert ds[0]["image"].size == (40, 40)
    assert set(datasets["pose_estimation-3dpw"]["test"]["joint_set"]) == {"hmr2-14"}      # the HMR 2.0 file wins
    assert set(datasets["pose_estimation-h36m"]) == {"train", "test"}                     # UniPose npz + P2
    assert len(datasets["pose_estimation-h36m17"]["test"]) == 3                           # 6 frames, every 2nd
    assert set(datasets["pose_estimation-coco"]) == {"train", "val"}
    assert set(datasets["pose_estimation-mpi-inf-3dhp"]) == {"train", "test"}
    # P2 rows got the Human3.6M calibration through the label pkl
    assert all(np.asarray(c["K"]).any() for c in datasets["pose_estimation-h36m"]["test"]["camera"])
    assert ("pose_estimation-mpii test", "MPII's test annotations are not public") in info.not_built
    with pytest.raises(InputError, match="no image dataset"):
        build_from_sources(parse("--source", "pose-estimation"), progress=False)


def test_imagescript_and_imagediff_from_the_command_line(sources, tmp_path):
    common = ("--3dpw-dir", sources.threedpw, "--mpii-dir", sources.mpii, "--coco-dir", sources.coco,
              "--eft-dir", sources.eft, "--unipose-npz-dir", sources.unipose, "--unipose-image-dir",
              sources.unipose_images, "--imagescript-sizes", "h36m=4,mpi-inf-3dhp=3,coco=2,mpii=2",
              "--test-size", 5, "--refined-train-size", 3, "--image-size", 32, "--work-dir", tmp_path)
    datasets, info = build_from_sources(parse("--source", "imagescript", *common, "--refiner",
                                              "tests.real.helpers:toy_refiner"), progress=False)
    assert set(datasets) == {"image_to_text-A", "image_to_text-R"}
    a = datasets["image_to_text-A"]
    assert len(a["train"]) == 4 + 3 + 2 + 2 and len(a["test"]) == 5
    assert sorted(set(a["train"]["source_dataset"])) == ["coco", "h36m", "mpi-inf-3dhp", "mpii"]
    assert len(datasets["image_to_text-R"]["train"]) == 3
    assert "toy-refiner@1" in info.text_versions
    with pytest.raises(InputError, match="--evaluator-dir"):
        build_from_sources(parse("--source", "imagediff", *common), progress=False)
    with pytest.raises(InputError, match="module:attr"):
        build_from_sources(parse("--source", "imagescript", *common, "--refiner", "nonsense"), progress=False)


def test_image_captions_read_smplh_joints_when_the_file_is_here(tmp_path, monkeypatch):
    """Upstream captions SMPL-H joints; the skeleton body is the fallback, said in the build report (the default
    used to be the skeleton even with SMPL-H files present)."""
    from types import SimpleNamespace

    from benchmark.body.smpl import ENV_VAR
    from datasets_build.real.cli import caption_body_model
    from datasets_build.real.common import BuildInfo
    from tests.metrics.conftest import write_smpl_family_npz

    monkeypatch.delenv(ENV_VAR, raising=False)
    info = BuildInfo()
    body = caption_body_model(SimpleNamespace(caption_body_model="auto", body_models=None), info)
    assert body.name == "skeleton" and any("no SMPL-H model file was found" in n for n in info.notes)
    (tmp_path / "smplh").mkdir()
    write_smpl_family_npz(tmp_path / "smplh" / "SMPLH_NEUTRAL.npz", "smplh", seed=2)
    info = BuildInfo()
    body = caption_body_model(SimpleNamespace(caption_body_model="auto", body_models=tmp_path), info)
    assert body.name == "smplh" and not info.notes
    forced = caption_body_model(SimpleNamespace(caption_body_model="skeleton", body_models=tmp_path), info)
    assert forced.name == "skeleton"
