"""The -R variants of ImageScript / ImageDiff: automatic texts rewritten by a text model (UniPose used GPT-4).

UniPose's refined rows carry the three automatic texts and one refined text (its image pickles keep items with
exactly 4 captions, the refined one last; `posegpt/datasets/posegpt.py` @14de673). Here a `Refiner` turns the automatic
texts of each row into one refined text; the -R row holds the refined text first (kind "refined", version
"<name>@<version>" of the refiner) and then its automatic texts. Which text model sits behind the protocol is the
user's choice (an adapter around an API or a local model); without one the -R configs are not built, and the build
report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from benchmark.errors import InputError
from datasets_build.real.common import TEXT_COLUMNS

REFINED_KIND = "refined"
TEXT_KINDS = ("description", "instruction")  # what the texts say: a pose description / an A-to-B instruction


@runtime_checkable
class Refiner(Protocol):
    """A text model behind an adapter. `refine(texts, kind)` gets, per row, that row's automatic texts and returns
    one refined text per row; `kind` is "description" (ImageScript) or "instruction" (ImageDiff)."""

    name: str
    version: str

    def refine(self, texts: Sequence[Sequence[str]], kind: str) -> list[str]: ...


def named_refiner(spec: str) -> Refiner | None:
    """The refiner a `unipose_bench.refiners` entry point registers under the name of `spec` ("NAME" or
    "NAME:key=value,..."; e.g. smollm2, local_lm:path=DIR), built with those arguments; None for another name."""
    from benchmark.adapters import parse_adapter_spec
    from benchmark.registry import Registry

    name, args = parse_adapter_spec(spec)
    registry = Registry.from_plugins("refiner", "unipose_bench.refiners")
    if name not in registry:
        return None
    try:
        return registry.get(name)(**args)
    except TypeError as exc:  # an argument the factory does not take
        raise InputError(f"--refiner {spec!r}: {exc}", field="--refiner") from None


def refiner_version(refiner: Refiner) -> str:
    return f"{refiner.name}@{refiner.version}"


def refine_texts(refiner: Refiner, texts: Sequence[Sequence[str]], kind: str, batch_size: int = 64) -> list[str]:
    """The refiner's text for every row, validated (one non-empty string per row), asked in batches."""
    if kind not in TEXT_KINDS:
        raise ValueError(f"kind {kind!r}: one of {TEXT_KINDS}")
    for attr in ("name", "version"):
        if not isinstance(getattr(refiner, attr, None), str) or not getattr(refiner, attr):
            raise InputError(f"the refiner has no {attr} string", field=attr,
                             hint="a Refiner names itself (name, version): they are recorded in text_versions")
    out: list[str] = []
    for start in range(0, len(texts), batch_size):
        batch = [list(t) for t in texts[start:start + batch_size]]
        got = refiner.refine(batch, kind)
        if not isinstance(got, (list, tuple)) or len(got) != len(batch):
            count = len(got) if hasattr(got, "__len__") else repr(got)
            raise InputError(f"refiner {refiner_version(refiner)} returned {count} texts for {len(batch)} rows",
                             row=start, field="texts",
                             hint="refine() returns one text per row")
        for k, text in enumerate(got):
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"refiner {refiner_version(refiner)} returned {text!r:.60} (not a non-empty text)",
                                 row=start + k, field="texts")
        out.extend(t.strip() for t in got)
    return out


def refined_dataset(ds, refiner: Refiner, kind: str, rows=None):
    """The rows `rows` (all by default) of an -A Dataset with their refined text prepended (same Features)."""
    sub = ds if rows is None else ds.select(np.asarray(rows, dtype=np.int64))
    texts, kinds, versions = (sub[c] for c in TEXT_COLUMNS)
    automatic = [[t for t, k in zip(ts, ks) if k == "automatic"] for ts, ks in zip(texts, kinds)]
    refined = refine_texts(refiner, automatic, kind)
    version = refiner_version(refiner)
    new = {"texts": [[r] + list(t) for r, t in zip(refined, texts)],
           "text_kinds": [[REFINED_KIND] + list(k) for k in kinds],
           "text_versions": [[version] + list(v) for v in versions]}
    schema = ds.features
    order = list(schema)
    sub = sub.remove_columns(list(TEXT_COLUMNS))
    for column in TEXT_COLUMNS:
        sub = sub.add_column(column, new[column], feature=schema[column])
    sub = sub.select_columns(order)
    if sub.features != schema:  # a broken invariant of ours, not bad input
        raise RuntimeError("refined rows lost the schema of the automatic rows")
    return sub
