"""Where each page and data file of the site lives, and relative links between them (file:// has no server root,
so every link is relative to the page it is on).

    index.html
    boards/<board>.html                      one page per leaderboard spec
    tasks/<task>.html                        one page per task: every score of every model, rankings, scatter
    models/<task>/<adapter>--<revision>.html one page per task and model: scores and the samples drill-down
    comparisons/<A>-vs-<B>.html              one page per comparison (RESULTS/comparisons/*.json): paired tests
    data/...                                 CSV beside every figure and table
    assets/site.css, assets/site.js          shared style and script (package data)
    assets/images/<config>/<row id>.<column>.jpg   input images, shared by every model's page
"""

from __future__ import annotations

import posixpath
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str) -> str:
    """A file-name-safe form of a task, board, adapter or revision name ("pose_to_text/embedded" ->
    "pose_to_text__embedded")."""
    out = _UNSAFE.sub("_", text.replace("/", "__").replace(":", "_")).strip("_")
    return "_" if out.strip(".") == "" else out  # "", "." or ".." would name a folder, not a file


INDEX = "index.html"


def board_page(name: str) -> str:
    return f"boards/{slug(name)}.html"


def task_page(task: str) -> str:
    return f"tasks/{slug(task)}.html"


def model_page(task: str, adapter: str, revision: str) -> str:
    return f"models/{slug(task)}/{slug(adapter)}--{slug(revision)}.html"


def comparison_page(name: str) -> str:
    """The page of RESULTS/comparisons/NAME.json."""
    return f"comparisons/{slug(name)}.html"


def image_file(config: str, row_id: str, column: str) -> str:
    return f"assets/images/{slug(config)}/{slug(row_id)}.{slug(column)}.jpg"


def relative(target: str, page: str) -> str:
    """The link from `page` to `target` (both site-relative paths)."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")
