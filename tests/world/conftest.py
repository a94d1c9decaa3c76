"""The default embedded world, built once per test session (about 40 s on 2 cores): the committed fingerprints and
the shipped evaluators are checked against it."""

import pytest


@pytest.fixture(scope="session")
def default_world():
    from datasets_build.world.build import WorldConfig, build_world

    return build_world(WorldConfig(), progress=False, log=lambda *_: None)
