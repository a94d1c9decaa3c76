"""`train-unipose --steps`: one number sets the three LM stages' steps, three set them stage by stage (a GPU run
sized to its time budget); anything else is refused before any training."""

from pathlib import Path

import pytest


@pytest.fixture
def trained(monkeypatch, tmp_path):
    """Runs the command with train_unipose replaced by a recorder of the preset it was given."""
    import models.unipose.stages as stages

    seen = {}

    def fake_train(train, preset, output, **kwargs):
        seen["preset"] = preset
        return Path(output) / "4-instruction"

    monkeypatch.setattr(stages, "train_unipose", fake_train)

    def run(*steps):
        from benchmark.cli.main import main

        seen.clear()
        code = main(["train-unipose", "--preset", "small", "--train", str(tmp_path), "--output",
                     str(tmp_path / "out"), *(["--steps", *map(str, steps)] if steps else [])])
        return code, seen.get("preset")

    return run


def test_steps_per_stage(trained):
    from models.unipose.presets import get_preset

    code, preset = trained()
    assert code == 0 and preset == get_preset("small")  # the recipe's epochs
    code, preset = trained(40)
    assert code == 0 and [getattr(preset, s).steps for s in ("alignment", "projector", "instruction")] == [40] * 3
    assert preset.alignment.epochs is None and preset.alignment.n_steps(10_000) == 40
    code, preset = trained(900, 250, 700)
    assert code == 0
    assert [getattr(preset, s).n_steps(10_000) for s in ("alignment", "projector", "instruction")] == [900, 250, 700]
    # the rest of each stage's recipe stays the preset's
    assert preset.projector.batch_size == get_preset("small").projector.batch_size


@pytest.mark.parametrize("steps", [(900, 250), (10, 0, 10), (1, 2, 3, 4)])
def test_other_step_counts_are_refused(trained, steps, capsys):
    code, preset = trained(*steps)
    assert code == 2 and preset is None
    assert "--steps takes one positive number or three" in capsys.readouterr().err
