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
    from datasets_build.features import features

    f = features("image_diff")
    assert feature_type(f["pose_a"]) == "float32[22, 3]"
    assert feature_type(f["texts"]) == "list[string]"
    assert feature_type(f["camera_a"]) == "struct{K: float32[3, 3], R: float32[3, 3], t: list[float32]}"
    assert feature_type(features("pose_estimation")["joints_3d"]) == "float32[N, 3]"
    assert [size_category(n) for n in (0, 999, 1000, 99_999, 100_000, 2_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M"]
