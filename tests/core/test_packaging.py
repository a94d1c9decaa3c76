"""What an installed wheel holds: the package data the suite reads at run time (leaderboard specs, prompt templates,
pinned revisions, the skeleton, the frozen evaluators and committed fingerprints) and the plugin declarations. An
editable install finds files in the source tree whatever the packaging says; a wheel does not."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("benchmark/tasks/__init__.py", "benchmark/tasks/templates/pose_to_text.json",
          "benchmark/tasks/revisions.json",
          "benchmark/leaderboard/specs/embedded.yaml", "benchmark/leaderboard/specs/paper_table2_comprehension.yaml",
          "benchmark/leaderboard/site/templates/page.html", "benchmark/leaderboard/site/assets/site.js",
          "benchmark/leaderboard/site/assets/site.css",
          "benchmark/body/data/skeleton_22.json", "datasets_build/world/fingerprints.json",
          "datasets_build/world/stats/pose_to_text.json", "datasets_build/world/evaluators/pose-text/model.safetensors",
          "datasets_build/world/evaluators/pair-text/SHA256SUMS", "models/predictions_file.py")


def test_the_wheel_ships_the_package_data_and_the_plugin_declarations(tmp_path):
    source = tmp_path / "src"  # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build",
                                                                "outputs", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, timeout=600)
    wheel = next((tmp_path / "dist").glob("unipose_bench-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert [n for n in NEEDED if n not in names] == []
    for group in ("unipose_bench.adapters", "unipose_bench.commands", "unipose_bench.worlds", "unipose_bench.perf"):
        assert f"[{group}]" in entry_points
    assert "predictions_file = models.predictions_file:PredictionsFileAdapter" in entry_points
