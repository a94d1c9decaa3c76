"""A third party adds a model to the suite without editing this repo: its own package declares the adapter as a
`unipose_bench.adapters` entry point, pip installs it, and `unipose-bench evaluate --model THEIRS` finds it."""

import json
import os
import subprocess
import sys
import textwrap

PYPROJECT = """
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-pose-captioner"
version = "0.3.0"

[project.entry-points."unipose_bench.adapters"]
acme_captioner = "acme_captioner:AcmeCaptioner"

# a command whose module does not exist: it is skipped with a warning, the other commands keep working
[project.entry-points."unipose_bench.commands"]
acme-broken = "acme_missing_module"

[tool.setuptools]
py-modules = ["acme_captioner"]
"""

MODULE = '''
"""A third party's adapter: describes every pose with the same sentence."""
from benchmark.adapters import AdapterMeta, ModelAdapter
from benchmark.requests import TextResponse


class AcmeCaptioner(ModelAdapter):
    SUMMARY = "ACME's constant captioner (a plugin test)"
    ARGUMENTS = ("sentence",)
    TASKS = ("pose_to_text",)

    def __init__(self, sentence="The person stands upright with the arms down."):
        self.sentence = sentence
        self.meta = AdapterMeta(name="acme_captioner", revision="0.3.0", tasks=self.TASKS, license="MIT")

    def describe(self, requests):
        return [TextResponse(self.sentence) for _ in requests]
'''


def _cli(*args, env):
    return subprocess.run([sys.executable, "-m", "benchmark.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_an_installed_third_party_adapter_is_found_and_scored(small_world, tmp_path):
    package = tmp_path / "acme"
    package.mkdir()
    (package / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (package / "acme_captioner.py").write_text(textwrap.dedent(MODULE))
    target = tmp_path / "site"
    # offline: the build backend is the one installed with the suite's test extras
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "--target", str(target), str(package)], check=True, timeout=600)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}

    before = _cli("ls", "models", env={k: v for k, v in env.items() if k != "PYTHONPATH"})
    assert before.returncode == 0 and "acme_captioner" not in before.stdout
    listed = _cli("ls", "models", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "acme_captioner     ACME's constant captioner (a plugin test)" in listed.stdout
    assert "arguments: sentence" in listed.stdout
    assert "skipping the command 'acme-broken' of a plugin (acme_missing_module): ModuleNotFoundError" in listed.stderr

    out = tmp_path / "out"
    run = _cli("evaluate", "--model", "acme_captioner:sentence=The person is sitting.", "--tasks",
               "pose_to_text/embedded", "--bootstrap", "0", "--output", str(out), env=env)
    assert run.returncode == 0, run.stderr
    # too few rows for R-precision's 32 candidates: said, not crashed on
    few = _cli("evaluate", "--model", "acme_captioner", "--tasks", "pose_to_text/embedded", "--limit", "12",
               "--bootstrap", "0", "--output", str(tmp_path / "few"), env=env)
    assert few.returncode == 0, few.stderr
    assert "r_precision@1 = not computed (" in few.stdout
    results = list((out / "results").rglob("*.json"))
    assert len(results) == 1
    result = json.loads(results[0].read_text())
    assert result["adapter"]["name"] == "acme_captioner" and result["adapter"]["revision"] == "0.3.0"
    n_test = small_world.info["rows"]["pose_to_text"]["test"]
    assert result["n_requests"] == n_test and 0.0 <= result["scores"]["r_precision@1"]["value"] <= 100.0
    samples = [json.loads(line) for line in next((out / "results").rglob("*.jsonl")).read_text().splitlines()]
    assert {s["prediction"] for s in samples} == {"The person is sitting."}
