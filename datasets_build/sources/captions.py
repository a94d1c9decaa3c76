"""Caption files of PoseScript and PoseFix, and the texts attached to one pose or pair.

A caption file is a JSON object "<id>" -> str | [str, ...] (naver/posescript `data.load_posescript` /
`load_posefix` accept both forms). Every text keeps its kind ("human",
"automatic", "paraphrase") and a version: "human" / "paraphrase" for those, and for automatic texts the pipeline
version given by the caller or, by default, "auto-<position in the list>" (the release does not document which of
the versions N2/N6/N7 (PoseScript) sits at which position).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from benchmark.errors import InputError
from datasets_build.sources.files import read_json

KINDS = ("human", "automatic", "paraphrase")


@dataclass(frozen=True)
class Texts:
    """Parallel tuples: the texts, their kinds and their versions."""

    texts: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()

    def __add__(self, other: "Texts") -> "Texts":
        return Texts(self.texts + other.texts, self.kinds + other.kinds, self.versions + other.versions)

    def __len__(self) -> int:
        return len(self.texts)

    def only(self, kinds) -> "Texts":
        keep = [i for i, k in enumerate(self.kinds) if k in kinds]
        return Texts(tuple(self.texts[i] for i in keep), tuple(self.kinds[i] for i in keep),
                     tuple(self.versions[i] for i in keep))


def read_caption_file(path: str | Path, *, kind: str, id_name: str, known_ids, versions: tuple[str, ...] | None = None,
                      skipped: dict[str, list[int]] | None = None) -> dict[int, Texts]:
    """id -> Texts of one caption file.

    Captions of ids outside `known_ids` (a container: the ids of the split files) are skipped, as PoseScript's and
    PoseFix's loaders skip them (they read captions by the split files' ids); their ids are appended to
    `skipped[file name]` when given, for the build report. `versions`, when given, is the
    version of each position in an automatic caption list; every entry must then have exactly that many texts.
    Whitespace-only texts are dropped with a warning (they carry nothing and would break tokenisers downstream).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown text kind {kind!r}; one of {KINDS}")
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise InputError(f"expected a JSON object mapping {id_name}s to a caption or a list of captions, got "
                         f"{type(raw).__name__}", file=str(path))
    out: dict[int, Texts] = {}
    empty = []
    for key, value in raw.items():
        try:
            item_id = int(key)
        except ValueError:
            raise InputError(f"{id_name} {key!r} is not an integer", file=str(path), row=key) from None
        if item_id not in known_ids:
            if skipped is not None:
                skipped.setdefault(Path(path).name, []).append(item_id)
            continue
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise InputError(f"expected a caption or a list of captions, got {value!r:.80}", file=str(path), row=key)
        if versions is not None and len(texts) != len(versions):
            raise InputError(f"{len(texts)} captions, but {len(versions)} versions were given ({versions})",
                             file=str(path), row=key)
        if kind == "automatic":
            names = versions or tuple(f"auto-{i}" for i in range(len(texts)))
        else:
            names = (kind,) * len(texts)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        if len(keep) < len(texts):
            empty.append(item_id)
        if keep:
            out[item_id] = Texts(tuple(texts[i] for i in keep), (kind,) * len(keep), tuple(names[i] for i in keep))
    if empty:
        warnings.warn(f"{path}: dropped empty captions of {len(empty)} {id_name}s (first: {empty[:5]})", stacklevel=2)
    return out


def read_id_list(path: str | Path, *, id_name: str) -> tuple[int, ...]:
    """A split file: a JSON list of distinct integer ids."""
    raw = read_json(path)
    if not isinstance(raw, list):
        raise InputError(f"expected a JSON list of {id_name}s, got {type(raw).__name__}", file=str(path))
    for i, value in enumerate(raw):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(f"{id_name} {value!r} is not an integer", file=str(path), row=i)
    if len(set(raw)) != len(raw):
        seen: set[int] = set()
        dup = next(v for v in raw if v in seen or seen.add(v))
        raise InputError(f"{id_name} {dup} is listed twice", file=str(path), row=raw.index(dup))
    return tuple(raw)


def merge_texts(*sources: dict[int, Texts]) -> dict[int, Texts]:
    """Per id, the texts of all sources in the order the sources are given."""
    merged: dict[int, Texts] = {}
    for source in sources:
        for item_id, texts in source.items():
            merged[item_id] = merged.get(item_id, Texts()) + texts
    return merged
