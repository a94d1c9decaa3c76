"""The model-adapter protocol: how any model is scored the same way.

An adapter has metadata (`AdapterMeta`) and one batch method per request kind: `describe` (text out) and
`generate_pose` (poses out). It never sees the task: prompts, templates, evaluators and metrics belong to the task,
so every model gets identical requests. An adapter declares the task ids it supports; the evaluator refuses an
unsupported task before loading any data.

Adapters are found through the `unipose_bench.adapters` entry points of installed packages (benchmark.plugins): the
suite's baselines and a third party's model alike, never imported by the core. They are built from a spec string
"NAME[:key=value,...]", e.g. `nearest_neighbour:train=/data/world,k=1`.
"""

from __future__ import annotations

import difflib
import typing
from abc import ABC
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from benchmark.errors import BenchmarkError
from benchmark.registry import Registry
from benchmark.requests import DescribeRequest, PoseRequest, PoseResponse, RequestKind, TextResponse


class UnsupportedRequest(Exception):
    """The adapter cannot answer this kind of request."""


class AdapterMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    revision: str = Field(description="version of the weights/code; part of the response-cache key")
    tasks: tuple[str, ...] = Field(description="task ids this adapter answers")
    description: str = ""
    license: str = "unknown"
    n_parameters: int | None = None
    training_data: tuple[str, ...] = ()
    reference: bool = Field(False, description="a labelled reference row (e.g. ground truth through a pipeline), "
                                               "not a model")
    citation: str = ""
    args: dict[str, Any] = Field(default_factory=dict, description="constructor arguments it was built with")

    def supports(self, task_id: str) -> bool:
        return task_id in self.tasks


class ModelAdapter(ABC):
    """Subclasses set `meta` and override the batch method(s) of the kinds they answer. A class whose task list is
    fixed also declares it as `TASKS`, so what it does is known without building it (listings, leaderboards)."""

    meta: AdapterMeta
    batch_size: int = 32
    TASKS: tuple[str, ...] | None = None
    SUMMARY: str = ""  # one line for `unipose-bench ls models`

    def describe(self, requests: Sequence[DescribeRequest]) -> list[TextResponse]:
        raise UnsupportedRequest(f"{self.meta.name} does not produce text")

    def generate_pose(self, requests: Sequence[PoseRequest]) -> list[PoseResponse]:
        raise UnsupportedRequest(f"{self.meta.name} does not produce poses")

    def check_requests(self, requests_by_task: Mapping[str, Sequence], *, partial: bool = False) -> None:
        """Called once before anything is evaluated, with every request of the run by task name (`partial`: the run
        covers only part of each split, e.g. --limit). An adapter that answers from a fixed set (a predictions file)
        refuses an incomplete run here, before any result is written. The default accepts everything."""

    def answer(self, kind: RequestKind, requests: Sequence) -> list:
        return self.describe(requests) if kind == "describe" else self.generate_pose(requests)


def registered_tasks(name: str) -> tuple[str, ...] | None:
    """The task ids the registered adapter `name` does (its class's TASKS), or None if unknown."""
    if name not in ADAPTERS:
        return None
    try:
        return getattr(ADAPTERS.get(name), "TASKS", None)
    except ImportError:
        return None


class AdapterSpecError(BenchmarkError, ValueError):
    """An adapter spec string that cannot be parsed, or names arguments the adapter does not take."""


def _split_arguments(arg_string: str, spec: str) -> list[str]:
    """Split at the commas outside quotes: `path="runs/a,b.jsonl",name=x` keeps the comma of the quoted path. A
    quote opens only at the start of a value (after '='), so an apostrophe inside a name is an ordinary character."""
    items, current, quote, at_value_start = [], [], None, False
    for char in arg_string:
        if quote:
            if char == quote:
                quote = None
            else:
                current.append(char)
            continue
        if char in "\"'" and at_value_start:
            quote = char
        elif char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
        at_value_start = char == "="
    if quote:
        raise AdapterSpecError(f"adapter spec '{spec}' opens a {quote} quote it never closes")
    items.append("".join(current))
    return [item for item in items if item.strip()]


def parse_adapter_spec(spec: str) -> tuple[str, dict[str, str]]:
    """'name:key=value,key2=value2' -> ('name', {...}); a value holding a comma is quoted: path="a,b.jsonl"."""
    name, _, arg_string = spec.partition(":")
    if not name.strip():
        raise AdapterSpecError(f"adapter spec '{spec}' names no adapter (NAME[:key=value,...], see `ls models`)")
    args: dict[str, str] = {}
    for item in _split_arguments(arg_string, spec):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AdapterSpecError(f"adapter argument '{item}' in '{spec}' is not key=value (quote a value that "
                                   "holds a comma: path=\"a,b.jsonl\")")
        if key.strip() in args:
            raise AdapterSpecError(f"adapter argument '{key.strip()}' is given twice in '{spec}'")
        args[key.strip()] = value.strip()
    return name.strip(), args


def _convert(factory, name: str, args: dict[str, str]) -> dict:
    """String arguments -> the types the adapter's constructor annotates as int, float or bool (also when it takes
    a string as well, e.g. `seed: int | str`), with a message for a value that is not one (`random:seed=abc`)."""
    try:
        hints = typing.get_type_hints(factory.__init__)
    except Exception:  # noqa: BLE001 - unresolvable annotations: pass the strings through
        return args
    out = dict(args)
    for key, value in args.items():
        hint = hints.get(key)
        options = set(typing.get_args(hint)) | {hint}
        if not options & {int, float, bool} or not isinstance(value, str):
            continue  # a string (or path) argument: the adapter takes it as given
        for kind in (int, float):
            if kind in options:
                try:
                    out[key] = kind(value)
                except ValueError:
                    raise AdapterSpecError(f"adapter '{name}': argument {key}={value!r} is not "
                                           f"{'an integer' if kind is int else 'a number'}") from None
                break
        else:
            if bool in options:
                if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise AdapterSpecError(f"adapter '{name}': argument {key}={value!r} is not true or false")
                out[key] = value.lower() in ("1", "true", "yes")
    return out


def load_adapter(spec: str, **defaults) -> ModelAdapter:
    """Build the adapter of `spec`; `defaults` fill arguments the spec does not give (e.g. the embedded world)."""
    name, args = parse_adapter_spec(spec)
    factory = ADAPTERS.get(name)
    accepted = getattr(factory, "ARGUMENTS", None)
    if accepted is not None:
        unknown = set(args) - set(accepted)
        if unknown:
            guesses = {u: difflib.get_close_matches(u, accepted, n=1) for u in sorted(unknown)}
            did_you_mean = "; ".join(f"'{u}': did you mean '{g[0]}'?" for u, g in guesses.items() if g)
            raise AdapterSpecError(f"adapter '{name}' does not take {sorted(unknown)}; it takes {sorted(accepted)}"
                                   + (f" ({did_you_mean})" if did_you_mean else ""))
    merged = {**{k: v for k, v in defaults.items() if accepted is None or k in accepted}, **_convert(factory, name,
                                                                                                      args)}
    try:
        return factory(**merged)
    except BenchmarkError:
        raise
    except (TypeError, ValueError) as exc:  # an argument the adapter's own checks refuse
        # the arguments the caller fills in (`defaults`: the embedded world's train splits and evaluators) are absent
        # when no world was built yet: say where they come from rather than only which are missing
        hint = ("; they come from the embedded world, which is not built in this suite home yet: run "
                "`unipose-bench run` (or `unipose-bench build`) first, or give them in the spec "
                f"({name}:KEY=DIR,...)") if "missing" in str(exc) and not defaults else ""
        raise AdapterSpecError(f"adapter '{name}' cannot be built from '{spec}': {exc}{hint}") from None


# Every installed package's adapters, this repo's included (pyproject.toml), as `unipose_bench.adapters` entry points:
# lazy, so listing their names imports no model code.
ADAPTERS: Registry[type[ModelAdapter]] = Registry.from_plugins("adapter", "unipose_bench.adapters")
