"""The leaderboard site, built by `unipose-bench leaderboard --site` from small result files written here (on a
tiny synthetic world in the Hub layout), checked as files and in a real browser: headless Chromium loads the pages
from file:// (no server), runs each page's own self-test (`#selftest`: every sortable column sorted both ways, the
samples filter, the scatter), sorts a board from the URL, follows a drill-down link and saves screenshots (into
tmp_path, or $UNIPOSE_BENCH_SCREENSHOTS when set; the test prints where).
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.tasks.catalog import EMBEDDED_REPO, embedded_task_names

ADAPTERS = {"alpha": 0.05, "beta": 0.4}  # adapter -> noise of its poses around the ground truth (radians)
_WORDS = "the person raises left right arm leg bends knees forward back torso".split()


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _texts(rng, n):
    return [" ".join(rng.choice(_WORDS, 6)) + "." for _ in range(n)]


def _write_results(world: Path, out: Path, cache_path: Path):
    """Results of two fake adapters on the seven embedded tasks, with per-sample records: `alpha`'s pose outputs
    only in the response cache (results written before records held poses), `beta`'s in its records. Besides the
    declared keys, an undeclared score entry and per-sample numbers (nested, of unknown direction) that the site
    must show as they are."""
    from benchmark.evaluation.cache import ResponseCache
    from benchmark.metrics.specs import METRIC_SPECS
    from benchmark.requests import PoseResponse, TextResponse
    from benchmark.results import AdapterInfo, DatasetInfo, ScoreEntry, TaskResult, environment, result_path
    from benchmark.results import write_jsonl_atomic
    from benchmark.tasks.base import TaskContext
    from benchmark.tasks.catalog import get_task
    from benchmark.tasks.common import reference_texts

    rng = np.random.default_rng(0)
    ctx = TaskContext(dataset_dirs={EMBEDDED_REPO: world}, seed=0)
    with ResponseCache(cache_path) as cache:
        for name in embedded_task_names():
            task = get_task(name, ctx)
            ds, fingerprint, n_rows = task.load()
            requests = task.requests(ds)
            spec = task.spec
            for adapter, noise in ADAPTERS.items():
                records, responses = [], []
                truth_column = {"text_to_pose": "pose", "pose_estimation": "pose", "pose_edit": "pose_b"}.get(
                    spec.task_id)
                for i, request in enumerate(requests):
                    record = {"id": request.row_id}
                    if truth_column:
                        pose = np.asarray(ds[i][truth_column], np.float32) + rng.normal(0, noise, (22, 3))
                        responses.append(PoseResponse(poses=pose[None].astype(np.float32)))
                        if adapter == "beta":
                            record["output_pose"] = pose.round(5).tolist()
                        record.update(mpjpe=float(rng.uniform(50, 400) * noise * 5),
                                      pa_mpjpe=float(rng.uniform(30, 90)),
                                      **{f"mpjpe_part@{p}": float(rng.uniform(0, 100) * noise * 5)
                                         for p in ("arms", "legs")},
                                      errors={"left_arm": float(rng.uniform(0, 100)),
                                              "legs": float(rng.uniform(0, 50))},
                                      **{f"part@{p}": float(rng.uniform(0, 100)) for p in ("arms", "legs", "torso")})
                    else:
                        text = " ".join(_texts(rng, 1))
                        responses.append(TextResponse(text))
                        record.update(prediction=text, references=reference_texts(ds.select([i]), "any")[0],
                                      rouge_l=float(rng.uniform(0, 60)), gt_cosine=float(rng.uniform(-1, 1)))
                    record.update(rank_t2p=int(rng.integers(0, len(requests))), mystery=float(rng.normal()))
                    records.append(record)
                if adapter == "alpha":
                    cache.put_many(adapter, "1", requests[0].kind,
                                   [(r.request_hash, a) for r, a in zip(requests, responses)])
                scores = {}
                for key in spec.metrics:
                    value = float(rng.uniform(1, 90))
                    # an interval inside [0, 100], as a percentage's is (result files are range-checked)
                    scores[key] = ScoreEntry(value=value, ci_low=max(0.0, value - 2), ci_high=value + 2, unit="%",
                                             n=len(ds),
                                             higher_is_better=METRIC_SPECS.get(key).higher_is_better)
                first = spec.metrics[0]
                scores[first] = ScoreEntry.not_computed(first, len(ds), "needs at least 32 rows; the split has 6")
                scores["posecode_agreement"] = ScoreEntry(value=float(rng.uniform(0, 1)), n=len(ds))
                for kind in ("angle", "distance", "onGround"):  # an undeclared family of entries
                    scores[f"agreement@{kind}"] = ScoreEntry(value=float(rng.uniform(0, 1)), n=len(ds))
                result = TaskResult(
                    task=spec.name, task_id=spec.task_id, task_version=spec.version,
                    dataset=DatasetInfo(repo=EMBEDDED_REPO, config=spec.dataset.config, split="test", revision=None,
                                        fingerprint=fingerprint, n_rows=n_rows, n_evaluated=len(ds)),
                    adapter=AdapterInfo(name=adapter, revision="1"), scores=scores, main_metric=spec.main_metric,
                    task_spec=spec.model_dump(mode="json"), seed=0, environment=environment())
                path = result_path(out, adapter, "1", spec.name)
                write_jsonl_atomic(path.with_suffix(".samples.jsonl"), records)
                result.to_disk(path)


def _write_comparisons(out: Path):
    """alpha vs beta as `unipose-bench compare` writes it (few resamples), and a file that is no comparison."""
    from benchmark.evaluation.compare import compare_results, comparison_path, write_comparison

    comparison = compare_results(out, "alpha", "beta", n_resamples=200, n_permutations=20)
    write_comparison(comparison, comparison_path(out, "alpha", "beta"))
    (out / "comparisons" / "broken.json").write_text('{"schema_version": 1, "tasks": []}')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(site folder, results folder) of a site built through the CLI."""
    from datasets_build.hub.card import CardMetadata
    from datasets_build.hub.export import export_to_dir
    from tests.hub.synthetic import make_task_dataset
    from benchmark.tasks.schema import TASKS

    root = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNIPOSE_BENCH_HOME", str(root / "home"))  # no world of the user's: only --dataset-dir
        mp.setenv("HF_DATASETS_CACHE", str(root / "hf-cache"))
        import datasets.config

        mp.setattr(datasets.config, "HF_DATASETS_CACHE", root / "hf-cache")
        meta = CardMetadata(pretty_name="site test world", summary="tiny rows", sources=("embedded-world",),
                            command="pytest", suite_version="0.1.0", seed=0, package_versions={},
                            repo_id="test/site")
        world = export_to_dir({t: make_task_dataset(t, 0, {"test": 6}) for t in TASKS}, root / "world", meta)
        _write_results(world, root / "out", root / "cache.sqlite")
        _write_comparisons(root / "out")
        code = main(["leaderboard", "--results", str(root / "out"), "--out", str(root / "boards"), "--site",
                     str(root / "site"), "--site-samples", "2", "--dataset-dir", f"{EMBEDDED_REPO}={world}",
                     "--cache", str(root / "cache.sqlite")])
    assert code == 0
    return root / "site", root / "out"


class _Links(html.parser.HTMLParser):
    """Local href/src targets of a page, and the rows of its tables (each cell's data-sort) by table id."""

    def __init__(self):
        super().__init__()
        self.targets: list[str] = []
        self.external: list[str] = []
        self.tables: dict[str, list[list[str | None]]] = {}
        self._table: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            value = a.get(key)
            if value and re.match(r"^[a-z]+:", value):
                if tag in ("script", "link", "img") or not value.startswith(("http://", "https://")):
                    self.external.append(value)
            elif value and not value.startswith("#"):
                self.targets.append(value.split("#")[0].split("?")[0])
        if tag == "table":
            self._table.append(a.get("id") or "")
            self.tables.setdefault(self._table[-1], [])
        elif tag == "tr" and self._table:
            self.tables[self._table[-1]].append([])
        elif tag == "td" and self._table and self.tables[self._table[-1]]:
            self.tables[self._table[-1]][-1].append(a.get("data-sort"))

    def handle_endtag(self, tag):
        if tag == "table" and self._table:
            self._table.pop()


def _parse(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    return parser


def test_every_page_links_only_to_files_of_the_site(site):
    folder, _ = site
    pages = sorted(folder.rglob("*.html"))
    assert (folder / "index.html") in pages and any("boards/" in str(p) for p in pages)
    for task in embedded_task_names():
        slug = task.replace("/", "__")
        assert (folder / "tasks" / f"{slug}.html").is_file()
        for adapter in ADAPTERS:
            assert (folder / "models" / slug / f"{adapter}--1.html").is_file()
    for page in pages:
        parsed = _parse(page.read_text(encoding="utf-8"))
        assert parsed.external == [], page  # nothing fetched from the network, no other scheme
        missing = [t for t in parsed.targets if not (page.parent / t).resolve().is_file()]
        assert missing == [], (page, missing)
    assert (folder / "assets" / "site.js").is_file() and list((folder / "assets" / "images").rglob("*.jpg"))


def test_pages_show_what_the_results_hold(site):
    folder, _ = site
    board = (folder / "boards" / "embedded.html").read_text(encoding="utf-8")
    assert "needs at least 32 rows; the split has 6" in board  # a missing cell says why
    assert "[" in board and 'class="ci"' in board  # intervals
    paper = (folder / "boards" / "paper-table-2-comprehension.html").read_text(encoding="utf-8")
    assert 'class="reported"' in paper and 'class="badge reported"' in paper  # the paper's rows, marked
    task = (folder / "tasks" / "text_to_pose__embedded.html").read_text(encoding="utf-8")
    assert "posecode_agreement" in task  # a score entry no spec declares still appears
    assert "Score families" in task and 'id="family-' in task and "onGround" in task  # ... and a family of them
    model = (folder / "models" / "text_to_pose__embedded" / "alpha--1.html").read_text(encoding="utf-8")
    # per-sample numbers as the records hold them: nested ones flattened, undeclared ones with an unknown direction
    assert "errors.left_arm" in model and "mystery ↕" in model
    assert "part (3)</summary>" in model  # a family of per-sample numbers, folded in each card
    # alpha's poses come from the response cache, beta's from its records: both drawn over the target
    for adapter in ADAPTERS:
        page = (folder / "models" / "pose_edit__embedded" / f"{adapter}--1.html").read_text(encoding="utf-8")
        assert page.count("output (colour) over the target (grey)") >= 2 and "not stored" not in page
    image_page = (folder / "models" / "image_to_text__embedded" / "alpha--1.html").read_text(encoding="utf-8")
    assert "<img src=" in image_page and "reference texts" in image_page
    csv_text = (folder / "data" / "tasks" / "pose_edit__embedded.samples.csv").read_text()
    assert csv_text.splitlines()[0].startswith("adapter,revision,id,") and "errors.legs" in csv_text


def _dump(browser: str, url: str, tmp: Path) -> str:
    out = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
                          f"--user-data-dir={tmp / 'profile'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def _screenshot(browser: str, url: str, path: Path, tmp: Path) -> Path:
    subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={tmp / 'profile'}", f"--screenshot={path}", "--window-size=1400,1000", url],
                   capture_output=True, timeout=120, check=True)
    assert path.is_file() and path.stat().st_size > 10_000, path
    return path


@pytest.mark.skipif(_chromium() is None, reason="no chromium binary on PATH (Debian: apt-get install chromium; "
                                                ".ci/run installs it)")
def test_the_site_works_in_a_browser(site, tmp_path):
    browser = _chromium()
    folder, _ = site
    pages = ["index.html", "boards/embedded.html", "boards/paper-table-2-comprehension.html",
             "tasks/pose_edit__embedded.html", "models/pose_edit__embedded/alpha--1.html",
             "models/image_diff__embedded/beta--1.html", "comparisons/alpha-vs-beta.html"]
    for page in pages:
        dom = _dump(browser, (folder / page).as_uri() + "#selftest", tmp_path)
        status = re.search(r'<output id="selftest-result"[^>]*data-status="(\w+)"[^>]*>([^<]*)<', dom)
        assert status is not None, f"{page}: the self-test did not run"
        assert status.group(1) == "pass", f"{page}: {status.group(2)}"
        assert int(re.search(r"(\d+) checks", status.group(2)).group(1)) > 0, page

    # a board sorted from the URL: the first section's first column, ascending, missing cells last
    dom = _dump(browser, (folder / "boards" / "embedded.html").as_uri() + "?sort=board-c2&dir=asc", tmp_path)
    rows = _parse(dom).tables["board"][2:]  # after the two header rows
    column = [r[2] for r in rows if len(r) > 2]
    values = [float(v) for v in column if v]
    assert values == sorted(values) and len(values) >= 2
    assert all(not v for v in column[len(values):])

    # a drill-down link from the board leads to a model page with sample cards
    links = [t for t in _parse(dom).targets if t.startswith("../models/")]
    assert links
    target = (folder / "boards" / links[0]).resolve()
    assert target.is_file()
    drill = _dump(browser, target.as_uri(), tmp_path)
    assert '<article class="sample"' in drill and "Ground truth" in drill

    # the index lists the comparisons; a comparison page has a table per task, a row per compared metric with its
    # p-value, the significant differences marked
    index = _dump(browser, (folder / "index.html").as_uri(), tmp_path)
    assert 'id="comparisons"' in index and 'href="comparisons/alpha-vs-beta.html"' in index and "broken.json" in index
    dom = _dump(browser, (folder / "comparisons" / "alpha-vs-beta.html").as_uri(), tmp_path)
    tables = {k: [r for r in rows if r] for k, rows in _parse(dom).tables.items() if re.fullmatch(r"cmp\d+", k)}
    assert len(tables) == len(embedded_task_names()) and all(tables.values())
    for rows in tables.values():
        for row in rows:  # metric, A, B, A - B, interval, p, test
            assert len(row) == 7 and 0 < float(row[5]) <= 1 and float(row[3]) == pytest.approx(
                float(row[1]) - float(row[2]))
    p_cells = re.findall(r'<td class="p" data-sort="([^"]+)">([^<]+)</td>', dom)
    assert p_cells and all(float(text) == pytest.approx(float(value), abs=6e-4) for value, text in p_cells)
    assert re.search(r'<tr class="significant sig-a" data-metric="mpjpe">', dom)  # alpha's poses are closer
    assert '<details class="about diagnostics" data-group="body parts">' in dom

    shots = Path(os.environ.get("UNIPOSE_BENCH_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    for name, page in (("index", "index.html"), ("board", "boards/embedded.html"),
                       ("drilldown", "models/pose_edit__embedded/alpha--1.html"),
                       ("comparison", "comparisons/alpha-vs-beta.html")):
        _screenshot(browser, (folder / page).as_uri(), shots / f"{name}.png", tmp_path)
    print(f"screenshots of the site: {shots}")


def test_a_comparison_page_shows_the_paired_tests_per_task(site):
    """The page builder on the comparison the fixture wrote with compare_results: a table per task with the
    headline rows first and the diagnostics folded, significant differences marked, p-values and the tests, the
    comparison's JSON and CSV beside it; a comparison of other data than the site's results is flagged, and a file
    that is no comparison is listed on the index with the reason."""
    from benchmark.leaderboard.site.comparison_pages import comparison_page, index_section, read_comparisons
    from benchmark.leaderboard.site.markup import SiteMeta

    _, out = site
    items = {c.name: c for c in read_comparisons(out)}
    assert set(items) == {"alpha-vs-beta", "broken"}
    assert items["broken"].data is None and "'a' names no adapter" in items["broken"].error
    item = items["alpha-vs-beta"]
    tasks = item.data["tasks"]
    assert [t["task"] for t in tasks] == sorted(embedded_task_names())
    current = {(t["task"], side, "1"): t["dataset_fingerprint"] for t in tasks for side in ADAPTERS}
    current[("pose_edit/embedded", "beta", "1")] = "0" * 16  # beta's result is now on other data
    del current[("pose_estimation/embedded", "alpha", "1")]  # ... and alpha has none
    model_page = "models/text_to_pose__embedded/alpha--1.html"
    page, text, data = comparison_page(item, {("text_to_pose/embedded", "alpha", "1"): model_page},
                                       {"text_to_pose/embedded"}, current, SiteMeta("0", "now", str(out)))
    assert page == "comparisons/alpha-vs-beta.html"
    assert text.count('<table class="data sortable comparison" id="cmp') == len(tasks) + text.count(
        '<details class="about diagnostics"')

    def section(task: str) -> str:
        start = text.index(f'<h2 id="task-{[t["task"] for t in tasks].index(task)}">')
        return text[start:text.index("<h2", start + 1)]

    t2p = section("text_to_pose/embedded")
    assert 'href="../tasks/text_to_pose__embedded.html"' in t2p  # the task's page
    assert 'href="../models/text_to_pose__embedded/alpha--1.html"' in t2p  # A's column opens its samples
    # headline rows first, then the body parts folded; alpha (A) is significantly better on MPJPE
    assert t2p.index('data-metric="mpjpe"') < t2p.index('data-group="body parts"') < t2p.index(
        'data-metric="mpjpe_part@arms"')
    assert '<tr class="significant sig-a" data-metric="mpjpe">' in t2p and '<span class="sig a"' in t2p
    assert "Out of date?" not in t2p and "Out of date?" in section("pose_edit/embedded")
    assert "the results the site was built from hold no result of alpha" in section("pose_estimation/embedded")
    p_values = [float(v) for v in re.findall(r'<td class="p" data-sort="([^"]+)"', text)]
    assert len(p_values) == sum(len(t["comparisons"]) for t in tasks) and all(0 < p <= 1 for p in p_values)
    assert "paired bootstrap" in text and "Not compared: " in text and text.count("Out of date?") == 2
    json_target, csv_target = "data/comparisons/alpha-vs-beta.json", "data/comparisons/alpha-vs-beta.csv"
    assert f'href="../{json_target}"' in text and f'href="../{csv_target}"' in text
    assert json.loads(data[json_target]) == item.data
    csv_rows = data[csv_target].splitlines()
    assert csv_rows[0].startswith("task,metric,group,unit,") and any(",mpjpe_part@arms,body parts," in r
                                                                     for r in csv_rows)
    index = index_section(list(items.values()))
    assert 'href="comparisons/alpha-vs-beta.html"' in index and "broken.json" in index


def test_clear_errors_without_results_or_a_writable_folder(tmp_path, capsys):
    assert main(["leaderboard", "--results", str(tmp_path / "nowhere"), "--site", str(tmp_path / "site")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    code = main(["leaderboard", "--results", str(tmp_path / "empty"), "--out", str(tmp_path / "boards"), "--site",
                 str(tmp_path / "site")])
    err = capsys.readouterr().err
    assert code == 2 and "no result files under" in err and "Traceback" not in err
    assert not (tmp_path / "site").exists()


def test_the_site_never_replaces_a_folder_it_did_not_write_and_names_one_it_cannot(site, tmp_path, capsys):
    folder, results = site
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main(["leaderboard", "--results", str(results), "--out", str(tmp_path / "b"), "--site", str(mine)]) == 2
    assert "is not a site written by unipose-bench" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "keep me"
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["leaderboard", "--results", str(results), "--out", str(tmp_path / "b"), "--site",
                 str(blocker / "site")]) == 2
    err = capsys.readouterr().err
    # refused before any work by the write-target check (benchmark/writable.py), which names the blocking file
    assert "(--site)" in err and f"{blocker} is a file, not a folder" in err and "Traceback" not in err
