"""Build report, config names, text order, the streamed Arrow writer and refiner validation."""

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.tasks.schema import features
from datasets_build.hub.card import CardMetadata
from datasets_build.real.common import (ArrowRowWriter, BuildInfo, check_unique_ids, config_name, dataset_dict,
                                        ordered_texts, task_of)
from datasets_build.real.refine import refine_texts
from datasets_build.sources.captions import Texts


def test_config_names():
    assert config_name("pose_to_text", "H") == "pose_to_text-H"
    assert task_of("pose_estimation-mpi-inf-3dhp") == "pose_estimation"
    with pytest.raises(ValueError):
        task_of("posescript-H")
    with pytest.raises(ValueError):
        config_name("pose2text", "A")


def test_ordered_texts_groups_kinds_in_order():
    texts = Texts(("a1", "h1", "a2", "p1", "h2"), ("automatic", "human", "automatic", "paraphrase", "human"),
                  ("auto-0", "human", "auto-1", "paraphrase", "human"))
    got = ordered_texts(texts, ("human", "automatic"))
    assert got.texts == ("h1", "h2", "a1", "a2")
    assert got.kinds == ("human", "human", "automatic", "automatic")
    assert got.versions == ("human", "human", "auto-0", "auto-1")


def test_build_info_merge_and_card_fields():
    a, b = BuildInfo(), BuildInfo()
    a.add_source("posescript", "amass")
    a.skip("x", "because")
    a.count("missing", 2)
    b.add_source("amass", "3dpw")
    b.skip("x", "because")
    b.skip("y", "other")
    b.count("missing", 3)
    b.text_versions["N2"] = "simplified"
    merged = a.merge(b)
    assert merged.sources == ["posescript", "amass", "3dpw"]
    assert merged.not_built == [("x", "because"), ("y", "other")]
    assert merged.counts == {"missing": 5}
    card = CardMetadata(pretty_name="t", summary="s", command="c", suite_version="0", **merged.card_fields())
    assert [n.what for n in card.not_built] == ["x", "y"]
    assert "missing: 5" in card.notes
    assert "x (because)" in merged.summary()


def test_arrow_row_writer_streams_rows_with_the_schema(tmp_path):
    writer = ArrowRowWriter("pose_to_text", tmp_path / "rows.arrow", batch_size=2)
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(5, 22, 3)).astype(np.float32)
    for i in range(5):
        writer.add({"id": f"r{i}", "source_dataset": "s", "source_id": str(i), "pose": poses[i], "texts": ["t"],
                    "text_kinds": ["automatic"], "text_versions": ["N2"]})
    with pytest.raises(ValueError, match="schema"):
        writer.add({"id": "bad"})
    ds = writer.finish()
    assert ds.features == features("pose_to_text") and len(ds) == 5
    np.testing.assert_array_equal(np.asarray(ds.with_format("numpy")["pose"]), poses)
    assert list(dataset_dict({"train": ds, "test": ds.select([])})) == ["train"]   # empty splits are left out


def test_unique_ids_across_splits():
    check_unique_ids("c", {"train": ["a", "b"], "test": ["c"]})
    with pytest.raises(InputError, match="both the train and the test split"):
        check_unique_ids("c", {"train": ["a", "b"], "test": ["b"]})


class _Refiner:
    name, version = "r", "0"

    def __init__(self, answer):
        self.answer = answer

    def refine(self, texts, kind):
        return self.answer(texts)


def test_refiner_answers_are_validated():
    rows = [["a b", "a"], ["c"]]
    assert refine_texts(_Refiner(lambda t: [" x ", "y"]), rows, "description") == ["x", "y"]
    with pytest.raises(InputError, match="1 texts for 2 rows"):
        refine_texts(_Refiner(lambda t: ["x"]), rows, "description")
    with pytest.raises(InputError, match="not a non-empty text") as err:
        refine_texts(_Refiner(lambda t: ["x", "  "]), rows, "instruction")
    assert "row 1" in str(err.value)
    nameless = _Refiner(lambda t: ["x", "y"])
    nameless.name = ""
    with pytest.raises(InputError, match="no name"):
        refine_texts(nameless, rows, "description")
    with pytest.raises(ValueError):
        refine_texts(_Refiner(lambda t: t), rows, "caption")
