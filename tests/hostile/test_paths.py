"""Output, cache and leaderboard paths are checked before any work starts: a file where a folder belongs, a folder
where a file belongs, a read-only folder: exit 2 with one line, before the predictions are even read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))


@pytest.fixture
def bad_predictions(tmp_path) -> Path:
    """Refused when read: a message about it would mean the paths were checked too late."""
    path = tmp_path / "preds.jsonl"
    path.write_text('{"task": "pose_to_text/embedded", "id": "a", "text": 5}\n')
    return path


def cli(capsys, *argv) -> tuple[int, str]:
    from benchmark.cli.main import main

    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def evaluate(capsys, predictions, output, cache):
    return cli(capsys, "evaluate", "--model", f"predictions_file:path={predictions}", "--tasks",
               "pose_to_text/embedded", "--output", output, "--cache", cache)


def test_an_output_folder_that_is_a_file(tmp_path, capsys, bad_predictions):
    (tmp_path / "out").write_text("occupied")
    code, err = evaluate(capsys, bad_predictions, tmp_path / "out", tmp_path / "c.sqlite")
    assert code == 2 and f"output folder (--output) {tmp_path / 'out'} is a file" in err
    assert "preds.jsonl" not in err and not (tmp_path / "c.sqlite").exists()


def test_an_output_folder_below_a_file(tmp_path, capsys, bad_predictions):
    (tmp_path / "occupied").write_text("x")
    code, err = evaluate(capsys, bad_predictions, tmp_path / "occupied" / "out", tmp_path / "c.sqlite")
    assert code == 2 and f"{tmp_path / 'occupied'} is a file, not a folder" in err


def test_a_cache_that_is_a_directory(tmp_path, capsys, bad_predictions):
    (tmp_path / "cache").mkdir()
    code, err = evaluate(capsys, bad_predictions, tmp_path / "out", tmp_path / "cache")
    assert code == 2 and f"response cache (--cache) {tmp_path / 'cache'} is a directory, not a file" in err
    assert not (tmp_path / "out").exists()


def test_a_cache_below_a_file(tmp_path, capsys, bad_predictions):
    (tmp_path / "occupied").write_text("x")
    code, err = evaluate(capsys, bad_predictions, tmp_path / "out", tmp_path / "occupied" / "c.sqlite")
    assert code == 2 and "is a file, not a folder" in err and "--cache" in err


def test_a_predictions_path_that_is_a_directory_is_not_called_missing(tmp_path, capsys):
    code, err = evaluate(capsys, tmp_path, tmp_path / "out", tmp_path / "c.sqlite")
    assert code == 2 and "is a directory" in err and "not found" not in err


def test_a_dataset_dir_without_a_folder_is_a_message(tmp_path, capsys, bad_predictions):
    code, err = cli(capsys, "evaluate", "--model", f"predictions_file:path={bad_predictions}", "--tasks",
                    "pose_to_text/embedded", "--output", tmp_path / "out", "--dataset-dir", "just-a-name")
    assert code == 2 and "--dataset-dir 'just-a-name' is not KEY=DIR" in err


def test_leaderboard_on_a_missing_results_folder_exits_2(tmp_path, capsys):
    code, err = cli(capsys, "leaderboard", "--results", tmp_path / "nonexistent")
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize("option", ["--out", "--site"])
def test_leaderboard_folders_that_are_files(tmp_path, capsys, option):
    (tmp_path / "results").mkdir()
    (tmp_path / "occupied").write_text("x")
    code, err = cli(capsys, "leaderboard", "--results", tmp_path, option, tmp_path / "occupied")
    assert code == 2 and "is a file, not a folder" in err and option in err
    assert not (tmp_path / "leaderboards").exists()


def test_writable_paths_pass(tmp_path):
    from benchmark.writable import check_dir, check_file

    assert check_dir(tmp_path / "new" / "deeper", "out") == tmp_path / "new" / "deeper"
    assert check_file(tmp_path / "new" / "c.sqlite", "cache") == tmp_path / "new" / "c.sqlite"
    assert not (tmp_path / "new").exists()  # a check creates nothing
    assert list(tmp_path.iterdir()) == []  # ... and leaves no probe behind


def _as_nobody(code: str) -> subprocess.CompletedProcess | None:
    """`code` run by the unprivileged user `nobody` (the tests run as root here, and root writes anywhere)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return None
    return subprocess.run([setpriv, "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", sys.executable,
                           "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize("what", ["folder", "file"])
def test_read_only_targets_are_refused(what):
    import tempfile

    # not under pytest's tmp_path: its parents are private to root, and `nobody` must reach the folder to be refused
    # for the right reason
    top = Path(tempfile.mkdtemp(prefix="unipose-ro-"))
    request_cleanup = lambda: (os.chmod(top / "ro", 0o755), shutil.rmtree(top))  # noqa: E731
    folder = top / "ro"
    folder.mkdir()
    (folder / "c.sqlite").write_text("")
    os.chmod(folder / "c.sqlite", 0o444)
    os.chmod(folder, 0o555)
    os.chmod(top, 0o755)
    try:
        _read_only_case(folder, what)
    finally:
        request_cleanup()


def _read_only_case(folder: Path, what: str):
    call = f"check_dir({str(folder / 'out')!r}, 'out')" if what == "folder" else \
        f"check_file({str(folder / 'c.sqlite')!r}, 'cache')"
    code = ("import sys\nfrom benchmark.writable import NotWritable, check_dir, check_file\ntry:\n    " + call +
            "\nexcept NotWritable as exc:\n    print(exc)\n    sys.exit(2)\n")
    if os.geteuid() != 0:
        with pytest.raises(Exception, match="not writable|read-only"):
            exec(code.replace("sys.exit(2)", "raise"))
        return
    proc = _as_nobody(code)
    if proc is None or "Operation not permitted" in proc.stderr or "No module named" in proc.stderr:
        pytest.skip("running as root without a working `setpriv --reuid nobody`: root may write anywhere")
    assert proc.returncode == 2, proc.stderr
    assert ("is not writable" if what == "folder" else "is read-only") in proc.stdout


def test_the_main_job_checks_its_output_before_building_anything(tmp_path, capsys):
    (tmp_path / "occupied").write_text("x")
    code, err = cli(capsys, "run", "--output", tmp_path / "occupied")
    assert code == 2 and "output folder (--output)" in err and "is a file" in err
    assert not (tmp_path / "home").exists()  # no world was built, no cache opened
