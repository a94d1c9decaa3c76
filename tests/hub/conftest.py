from __future__ import annotations

import pytest

from datasets_build.hub.card import CardMetadata, NotBuilt


@pytest.fixture(autouse=True)
def _isolated_hf(tmp_path_factory, monkeypatch):
    """Caches under a temporary HF_HOME; local loads never look online; the tests that need offline mode set it."""
    import datasets.config
    from huggingface_hub import constants

    root = tmp_path_factory.getbasetemp() / "hf-home"
    monkeypatch.setenv("HF_HOME", str(root))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(root / "datasets"))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", root / "datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture(scope="session")
def all_datasets():
    from tests.hub.synthetic import make_all

    return make_all(seed=0)


@pytest.fixture(scope="session")
def card_metadata():
    return CardMetadata(
        pretty_name="unipose-bench test world", summary="Tiny synthetic rows for the hub tests.",
        sources=("embedded-world",), command="pytest tests/hub", suite_version="0.1.0", seed=0,
        package_versions={"datasets": "5.2.0"},
        not_built=(NotBuilt(what="-R refined captions", reason="no refiner model was given"),),
        repo_id="test-org/unipose-bench-test")


@pytest.fixture(scope="session")
def exported(all_datasets, card_metadata, tmp_path_factory):
    """The seven configs exported once, for the tests that only read them (export writes no cache)."""
    from datasets_build.hub.export import export_to_dir

    return export_to_dir(all_datasets, tmp_path_factory.mktemp("export") / "world", card_metadata)


@pytest.fixture(scope="session")
def variant_world():
    """Variant configs (pose_to_text-A/-H next to plain pose_to_text, pose_diff-A, pose_estimation-3dpw/-h36m/
    -h36m17), inserted out of order."""
    from tests.hub.synthetic import make_variant_world

    return make_variant_world(seed=0)


@pytest.fixture(scope="session")
def exported_variants(variant_world, card_metadata, tmp_path_factory):
    from datasets_build.hub.export import export_to_dir

    return export_to_dir(variant_world, tmp_path_factory.mktemp("export-variants") / "world", card_metadata)
