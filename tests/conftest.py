"""A small embedded world built once per test session in a temporary suite home (about half a minute on 2 cores)."""

import os
import tomllib
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def world_home(tmp_path_factory):
    from benchmark import workspace

    home = tmp_path_factory.mktemp("unipose_home")
    saved = {k: os.environ.get(k) for k in ("UNIPOSE_BENCH_HOME", "NLTK_DATA")}
    wordnet = workspace.home() / "nltk_data"  # keep finding the user's WordNet for METEOR
    if not saved["NLTK_DATA"] and wordnet.is_dir():
        os.environ["NLTK_DATA"] = str(wordnet)
    os.environ["UNIPOSE_BENCH_HOME"] = str(home)
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def small_world(world_home):
    """The SMALL preset world and its evaluators (trained quickly for it: the shipped ones are the default world's)."""
    from datasets_build.world.build import SMALL
    from datasets_build.world.ensure import ensure_world
    from datasets_build.world.evaluators import provide_evaluators

    world = ensure_world(SMALL, progress=False, log=lambda *_: None)
    # the evaluation tests check the plumbing, not the evaluators' quality: a few epochs suffice
    provide_evaluators(world, progress=False, log=lambda *_: None, quick={"recipe": "smoke", "caption_draws": 0})
    return world


@pytest.fixture
def context(small_world):
    from benchmark.pipeline import latest_context

    return latest_context(seed=0, bootstrap=200)


def defaults(world):
    from benchmark import workspace

    return {"train": str(world.hub_dir), "dataset": str(world.hub_dir),
            "pose_text": str(workspace.current_evaluator(world.build_id, "pose-text")),
            "pair_text": str(workspace.current_evaluator(world.build_id, "pair-text"))}


@pytest.fixture(scope="session")
def tiny_vlms(tmp_path_factory):
    """Tiny random LLaVA / LLaVA-NeXT / Qwen2-VL folders and a ChatPose-style one (tests/models/tiny_vlm.py)."""
    from tests.models.tiny_vlm import build_all

    return build_all(tmp_path_factory.mktemp("tiny_vlms"))


@pytest.fixture(scope="session")
def scored(small_world, tiny_vlms, tmp_path_factory):
    """Results of every shipped adapter (and a ground-truth predictions file) on all embedded tasks."""
    from contextlib import closing

    from benchmark.adapters import ADAPTERS, load_adapter
    from benchmark.errors import MissingExtra
    from benchmark.evaluation.cache import ResponseCache
    from tests.fake_openai_api import FakeApi
    from benchmark.evaluation.ground_truth import write_ground_truth
    from benchmark.evaluation.runner import evaluate
    from benchmark.pipeline import latest_context
    from benchmark.tasks.catalog import embedded_task_names, get_task

    ctx = latest_context(seed=0, bootstrap=200)
    out = tmp_path_factory.mktemp("contract")
    tasks = [get_task(name, ctx) for name in embedded_task_names()]
    results = {}
    gt_path = out / "ground_truth.jsonl"
    write_ground_truth(tasks, gt_path)
    # every adapter this repo declares (pyproject.toml), not whatever other plugins the environment has
    with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as f:
        declared = tomllib.load(f)["project"]["entry-points"]["unipose_bench.adapters"]
    assert set(declared) <= set(ADAPTERS.names())
    # UniPose trains on the small world first: the smoke preset runs every stage in seconds (plumbing, not quality);
    # the API adapter talks to a chat-completions server on loopback (tests/fake_openai_api.py)
    api = FakeApi()
    with_args = {"unipose": "unipose:preset=smoke", "posescript": "posescript:preset=smoke",
                 "posefix": "posefix:preset=smoke",
                 "metapose": "metapose:preset=smoke",
                 "openai_compat": f"openai_compat:base_url={api.url},model=fake-vlm,timeout=10",
                 "hf_vlm": f"hf_vlm:path={tiny_vlms['llava']},max_new_tokens=8",
                 "chatpose": f"chatpose:path={tiny_vlms['chatpose']},max_new_tokens=4"}
    specs = [with_args.get(n, n) for n in declared if n != "predictions_file"]
    specs.append(f"predictions_file:path={gt_path},name=ground_truth,revision=1")
    with ResponseCache(out / "cache.sqlite") as cache, closing(api):
        for spec in specs:
            try:
                adapter = load_adapter(spec, **defaults(small_world))
            except MissingExtra:  # an optional extra not installed (blazepose): its tests skip
                continue
            supported = [t for t in tasks if adapter.meta.supports(t.spec.task_id)]
            assert supported, spec
            for r in evaluate(adapter, supported, out, cache, progress=False):
                results[(adapter.meta.name, r.task_id)] = r
    return results
