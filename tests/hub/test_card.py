"""The dataset card of a real-source build: licenses, citations, provenance; metadata validation."""

from __future__ import annotations

import pydantic
import pytest
import yaml

from datasets_build.hub.card import CardMetadata, NotBuilt, build_card, feature_type, size_category
from datasets_build.hub.stats import describe
from tests.hub.synthetic import make_task_dataset


def test_real_source_card_lists_every_license_and_citation():
    datasets_by_task = {"pose_to_text": make_task_dataset("pose_to_text"),
                        "image_to_text": make_task_dataset("image_to_text")}
    meta = CardMetadata(
        pretty_name="PoseScript-derived", summary="Built from the user's licensed files.",
        sources=("posescript", "posefix", "amass", "3dpw", "coco"), command="unipose-bench build --posescript DIR",
        suite_version="0.1.0", seed=1, text_versions={"N2": "our re-run of the N2 settings"},
        not_built=(NotBuilt(what="image_diff", reason="no image pairs source was given"),))
    card = build_card(meta, datasets_by_task, describe(datasets_by_task))
    data = yaml.safe_load(str(card).split("---\n", 2)[1])
    assert data["license"] == ["cc-by-nc-sa-4.0", "other", "cc-by-4.0"]
    assert data["task_categories"] == ["text-generation", "image-to-text"]
    assert data["size_categories"] == ["n<1K"]
    assert "configs" not in data and "dataset_info" not in data  # export adds them with the shards
    assert CardMetadata.model_validate(data["unipose_bench"]) == meta  # provenance survives the YAML
    body = card.text
    for key in ("delmas2022posescript", "delmas2023posefix", "li2024unipose", "AMASS:2019", "vonMarcard2018",
                "lin2014microsoft"):
        assert f"{{{key}," in body
    assert "bregier2025anny" not in body  # the embedded body is not a source of this build
    assert "CC BY-NC-SA 4.0" in body and "AMASS license" in body and "Flickr" in body
    assert "| `N2` |" in body and "our re-run of the N2 settings" in body
    assert "**image_diff**: no image pairs source was given" in body
    assert "unipose-bench build --posescript DIR" in body


def test_metadata_refuses_unknown_sources_and_extra_fields():
    with pytest.raises(pydantic.ValidationError, match="unknown source"):
        CardMetadata(pretty_name="x", summary="x", sources=("imagenet",), command="x", suite_version="0")
    with pytest.raises(pydantic.ValidationError):
        CardMetadata(pretty_name="x", summary="x", sources=("coco",), command="x", suite_version="0", lisence="x")


def test_feature_types_and_size_buckets():
    from benchmark.tasks.schema import features

    f = features("image_diff")
    assert feature_type(f["pose_a"]) == "float32[22, 3]"
    assert feature_type(f["texts"]) == "list[string]"
    assert feature_type(f["camera_a"]) == "struct{K: float32[3, 3], R: float32[3, 3], t: list[float32]}"
    assert feature_type(features("pose_estimation")["joints_3d"]) == "float32[N, 3]"
    assert [size_category(n) for n in (0, 999, 1000, 99_999, 100_000, 2_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M"]


def _section(body: str, heading: str) -> str:
    """The text of the Markdown section that starts at `heading`, up to the next heading of the same or a higher
    level."""
    level = heading.split(" ", 1)[0]
    start = body.index(heading + "\n")
    rest = body[start + len(heading) + 1:]
    ends = [i for i in (rest.find("\n" + "#" * n + " ") for n in range(1, len(level) + 1)) if i >= 0]
    return rest[:min(ends)] if ends else rest


def test_card_has_one_section_per_variant_config(variant_world, card_metadata):
    from tests.hub.synthetic import VARIANT_ORDER

    stats = describe(variant_world)
    card = build_card(card_metadata, variant_world, stats)
    body = card.text
    data = yaml.safe_load(str(card).split("---\n", 2)[1])
    assert data["task_categories"] == ["text-generation", "image-to-3d", "keypoint-detection"]
    assert data["size_categories"] == ["n<1K"]

    tasks = _section(body, "## Tasks")
    headings = [line for line in tasks.splitlines() if line.startswith("### ")]
    assert headings == [f"### `{c}` ({name})" for c, name in zip(VARIANT_ORDER, (
        "Pose-to-Text", "Pose-to-Text", "Pose-to-Text", "Pose-Diff", "Pose Estimation / Image-to-Pose",
        "Pose Estimation / Image-to-Pose", "Pose Estimation / Image-to-Pose"))]
    plain = _section(tasks, "### `pose_to_text` (Pose-to-Text)")
    assert "Variant" not in plain
    h = _section(tasks, "### `pose_to_text-H` (Pose-to-Text)")
    assert "Variant `H` of `pose_to_text`: rows with human-written texts" in h
    assert "Input: one 3D body pose (`pose`). Output: a description of the pose (`texts`)." in h
    assert "Splits: train: 4, test: 2." in h
    assert "Text kinds: `human` 100.0%." in h  # the config's own statistics, not the task's
    a = _section(tasks, "### `pose_to_text-A` (Pose-to-Text)")
    assert "Variant `A` of `pose_to_text`: automatic texts" in a and "Text kinds: `automatic` 100.0%." in a
    assert "Variant `A` of `pose_diff`: automatic texts" in _section(tasks, "### `pose_diff-A` (Pose-Diff)")
    dpw = _section(tasks, "### `pose_estimation-3dpw` (Pose Estimation / Image-to-Pose)")
    assert "Variant `3dpw` of `pose_estimation`: images of 3DPW." in dpw and "Splits: test: 3." in dpw
    assert "| `joints_3d` |" in dpw and "Text kinds" not in dpw
    assert "images of Human3.6M, 17-joint labels" in _section(
        tasks, "### `pose_estimation-h36m17` (Pose Estimation / Image-to-Pose)")

    configs = _section(body, "## Configs")
    rows = [line for line in configs.splitlines() if line.startswith("| `")]
    assert [r.split(" | ")[0] for r in rows] == [f"| `{c}`" for c in VARIANT_ORDER]
    assert rows[2].endswith("| 4 | not built | 2 |")  # pose_to_text-H: train, val, test
    assert rows[4].endswith("| not built | not built | 3 |")  # pose_estimation-3dpw

    described = _section(body, "## Descriptive statistics")
    assert [line for line in described.splitlines() if line.startswith("### ")] == [
        f"### `{c}`" for c in VARIANT_ORDER]
    assert "| rows | 4 | 2 |" in _section(described, "### `pose_to_text-H`")
    assert f'load_dataset("test-org/unipose-bench-test", "{VARIANT_ORDER[0]}"' in body
    assert "`<config>/<split>-NNNNN-of-NNNNN.parquet`" in body


def test_variant_docs():
    from datasets_build.hub.card import variant_doc

    assert variant_doc("pose_edit") is None
    assert variant_doc("image_diff-R").startswith("refined texts")
    assert variant_doc("pose_estimation-mpi-inf-3dhp") == "images of MPI-INF-3DHP"
    assert variant_doc("pose_estimation-lsp") == "images of the `lsp` dataset"
    assert variant_doc("pose_to_text-X") == "variant `X` (not documented by the builder)"
