"""Shared by the world tests: the default embedded world, built once per test session (about 40 s on 2 cores), and
a way to run code with the numeric kernels of another CPU."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def other_cpu_env() -> dict[str, str]:
    """Environment variables that make this machine's libraries take other CPUs' code paths: torch's kernels without
    SIMD, numpy without its AVX2 / AVX-512 loops (only the ones this numpy dispatches at run time: its baseline cannot
    be switched off), OpenBLAS's and MKL's kernels for older x86 cores. Each of them alone changed float32 results of
    the former world build."""
    env = {"ATEN_CPU_CAPABILITY": "default"}
    if platform.machine().lower() in ("x86_64", "amd64"):
        from numpy._core import _multiarray_umath as umath

        dispatched = [f for f in ("X86_V3", "X86_V4", "AVX512_ICL") if f in umath.__cpu_dispatch__]
        if dispatched:
            env["NPY_DISABLE_CPU_FEATURES"] = " ".join(dispatched)
        env.update(OPENBLAS_CORETYPE="Nehalem", MKL_ENABLE_INSTRUCTIONS="SSE4_2")
    return env


def run_as_other_cpu(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run a Python script in a fresh interpreter with `other_cpu_env()`, from the repository root."""
    env = {**os.environ, **other_cpu_env()}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, "-c", script, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="session")
def default_world():
    from datasets_build.world.build import WorldConfig, build_world

    return build_world(WorldConfig(), progress=False, log=lambda *_: None)
