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

from abc import ABC
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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

    def check_requests(self, requests_by_task: Mapping[str, Sequence]) -> None:
        """Called once before anything is evaluated, with every request of the run by task name. An adapter that
        answers from a fixed set (a predictions file) refuses an incomplete run here, before any result is written.
        The default accepts everything."""

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


def parse_adapter_spec(spec: str) -> tuple[str, dict[str, str]]:
    """'name:key=value,key2=value2' -> ('name', {...})."""
    name, _, arg_string = spec.partition(":")
    args: dict[str, str] = {}
    for item in filter(None, arg_string.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"adapter argument '{item}' in '{spec}' is not key=value")
        args[key.strip()] = value.strip()
    return name.strip(), args


def load_adapter(spec: str, **defaults) -> ModelAdapter:
    """Build the adapter of `spec`; `defaults` fill arguments the spec does not give (e.g. the embedded world)."""
    name, args = parse_adapter_spec(spec)
    factory = ADAPTERS.get(name)
    accepted = getattr(factory, "ARGUMENTS", None)
    merged = {**{k: v for k, v in defaults.items() if accepted is None or k in accepted}, **args}
    if accepted is not None:
        unknown = set(args) - set(accepted)
        if unknown:
            raise ValueError(f"adapter '{name}' does not take {sorted(unknown)}; it takes {sorted(accepted)}")
    return factory(**merged)


# Every installed package's adapters, this repo's included (pyproject.toml), as `unipose_bench.adapters` entry points:
# lazy, so listing their names imports no model code.
ADAPTERS: Registry[type[ModelAdapter]] = Registry.from_plugins("adapter", "unipose_bench.adapters")
