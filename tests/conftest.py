"""A small embedded world built once per test session in a temporary suite home (about half a minute on 2 cores)."""

import os

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
    # the harness tests check the plumbing, not the evaluators' quality: a few epochs suffice
    provide_evaluators(world, progress=False, log=lambda *_: None, quick={"recipe": "smoke", "caption_draws": 0})
    return world


@pytest.fixture
def context(small_world):
    from benchmark.cli.evaluate import default_context

    return default_context(seed=0, bootstrap=200)
