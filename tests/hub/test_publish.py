"""publish / --to-dir / revisions: offline failures record nothing; a push (to an in-memory Hub) keeps the configs
and records the revision. No test touches the network."""

from __future__ import annotations

import json

import pytest

from benchmark.cli.main import main
from benchmark.errors import InputError
from benchmark.tasks.schema import TASKS
from benchmark.tasks import revisions
from datasets_build.hub.export import split_fingerprints
from datasets_build.hub.publish import HubUnreachable, PublishError, _update_card, publish
from tests.hub.fake_hub import FakeHub
from tests.hub.test_export import files_of, front_matter

REPO = "test-org/unipose-bench-test"


@pytest.fixture
def no_push(monkeypatch):
    """Fail the test if anything tries to push."""
    import datasets

    def refuse(*args, **kwargs):
        raise AssertionError("push_to_hub was called")

    monkeypatch.setattr(datasets.DatasetDict, "push_to_hub", refuse)


def test_offline_publish_fails_clearly_and_records_nothing(exported, tmp_path, monkeypatch, no_push):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rev = tmp_path / "revisions.json"
    with pytest.raises(HubUnreachable) as err:
        publish(exported, REPO, revisions_file=rev)
    msg = str(err.value)
    assert "Hub is unreachable" in msg and "HF_HUB_OFFLINE" in msg
    assert f"--from {exported} --to-dir OUT" in msg
    assert not rev.exists()


def test_publish_without_network_fails_clearly_and_records_nothing(exported, tmp_path, monkeypatch):
    import datasets.dataset_dict
    import httpx2

    class NoNetwork:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            def call(*args, **kwargs):
                raise httpx2.ConnectError("[Errno -2] Name or service not known")
            return call

    monkeypatch.setattr(datasets.dataset_dict, "HfApi", NoNetwork)
    rev = tmp_path / "revisions.json"
    with pytest.raises(HubUnreachable, match=r"unreachable \(ConnectError.*--to-dir OUT"):
        publish(exported, REPO, revisions_file=rev, api=NoNetwork())
    assert not rev.exists()


def test_cli_publish_offline_exits_2_with_the_message(exported, tmp_path, monkeypatch, capsys, no_push):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rev = tmp_path / "revisions.json"
    code = main(["publish", "--from", str(exported), "--repo-id", REPO, "--revisions-file", str(rev)])
    assert code == 2
    err = capsys.readouterr().err
    assert "unipose-bench publish: error:" in err and "Hub is unreachable" in err and "--to-dir" in err
    assert not rev.exists()


def test_cli_to_dir_writes_the_identical_layout(exported, tmp_path, capsys):
    out = tmp_path / "copy"
    assert main(["publish", "--from", str(exported), "--to-dir", str(out), "--max-shard-size", "500MB"]) == 0
    assert files_of(out) == files_of(exported)
    assert main(["publish", "--from", str(exported), "--to-dir", str(out)]) == 2  # exists: needs --overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(["publish", "--from", str(tmp_path / "nowhere"), "--to-dir", str(tmp_path / "x")]) == 2
    assert "no README.md" in capsys.readouterr().err


def test_publish_pushes_every_config_keeps_them_and_records_the_revision(exported, tmp_path, monkeypatch):
    hub = FakeHub(tmp_path / "hub").install(monkeypatch)
    rev = tmp_path / "revisions.json"
    entry = publish(exported, REPO, revisions_file=rev, api=hub.api())

    head, files = hub.head(REPO)
    assert entry["revision"] == head == revisions.get_revision(REPO, rev)
    assert entry["configs"] == sorted(TASKS)
    fps = split_fingerprints(exported, TASKS)
    assert {t: {s: v["fingerprint"] for s, v in splits.items()} for t, splits in entry["splits"].items()} == fps
    # seven pushes (one per config, in TASKS order), then the card edit on top of the last one
    assert [c["message"] for c in hub.commits] == [f"unipose-bench: publish config {t}" for t in TASKS] + [
        "unipose-bench: dataset card"]
    assert hub.commits[-1]["added"] == ["README.md"] and hub.commits[-1]["deleted"] == []

    local = files_of(exported)
    assert sorted(files) == sorted(local)
    assert all(files[k] == local[k] for k in local if k.endswith(".parquet"))
    hub_text, local_text = files["README.md"].decode(), local["README.md"].decode()
    assert front_matter(hub_text) == front_matter(local_text)  # configs, dataset_info and card metadata
    assert hub_text.split("---\n", 2)[2] == local_text.split("---\n", 2)[2]  # the body

    # publishing again updates the same repo and keeps every config and the body
    entry2 = publish(exported, REPO, revisions_file=rev, api=hub.api())
    assert entry2["revision"] == hub.head(REPO)[0] != entry["revision"]
    again = hub.snapshot(REPO)["README.md"].decode()
    assert front_matter(again) == front_matter(local_text)
    assert again.split("---\n", 2)[2] == local_text.split("---\n", 2)[2]
    assert list(revisions.load_revisions(rev)) == [REPO]


def test_card_step_refuses_a_hub_card_that_lost_a_config(exported, all_datasets, tmp_path, monkeypatch):
    from datasets_build.hub.export import read_layout

    hub = FakeHub(tmp_path / "hub").install(monkeypatch)
    last = None
    for task in TASKS[:-1]:
        last = all_datasets[task].push_to_hub(REPO, config_name=task)
    _, card = read_layout(exported)
    with pytest.raises(PublishError, match="does not list config 'pose_edit'"):
        _update_card(hub.api(), REPO, card, last.oid, all_datasets, "card")


def test_revisions_file_round_trip_and_errors(tmp_path):
    path = tmp_path / "revisions.json"
    assert revisions.get_revision(REPO, path) is None
    sha = "0123456789abcdef0123456789abcdef01234567"
    entry = revisions.record_revision(REPO, sha, ["pose_to_text", "image_diff"], "f" * 16, path=path,
                                      pushed_at="2026-01-01T00:00:00+00:00")
    assert entry == {"revision": sha, "pushed_at": "2026-01-01T00:00:00+00:00",
                     "configs": ["image_diff", "pose_to_text"], "fingerprint": "f" * 16, "repo_id": REPO}
    assert revisions.get_revision(REPO, path) == sha
    revisions.record_revision("other/repo", "a" * 40, ["pose_edit"], "0" * 16, path=path)
    assert revisions.get_revision(REPO, path) == sha and revisions.get_revision("other/repo", path) == "a" * 40
    with pytest.raises(InputError, match="not a 40-hex commit sha"):
        revisions.record_revision(REPO, "main", ["pose_edit"], "0" * 16, path=path)
    with pytest.raises(InputError, match="not a Hub dataset id"):
        revisions.record_revision("no-namespace", sha, ["pose_edit"], "0" * 16, path=path)
    path.write_text('{"test-org/x": {"revision": "abc"}}')
    with pytest.raises(InputError) as err:
        revisions.get_revision("test-org/x", path)
    assert str(path) in str(err.value) and err.value.row == "test-org/x"
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        revisions.load_revisions(path)


def test_the_committed_revisions_file_is_valid(tmp_path):
    from benchmark.tasks.catalog import all_specs

    entries = revisions.load_revisions(revisions.REVISIONS_FILE)
    assert isinstance(entries, dict)
    repos = {spec.dataset.repo for spec in all_specs()}
    for repo_id, entry in entries.items():  # pinned under the logical names the task specs look up
        assert repo_id in repos and revisions.get_revision(repo_id) == entry["revision"]
    # the same loader refuses a broken copy, naming the file (so the check above can fail)
    broken = tmp_path / "revisions.json"
    broken.write_text(json.dumps({**entries, "unipose-bench/posescript": {"revision": "main"}}))
    with pytest.raises(InputError) as err:
        revisions.load_revisions(broken)
    assert str(broken) in str(err.value)


def test_a_refusing_hub_is_a_clear_error_and_records_nothing(exported, tmp_path, monkeypatch):
    import datasets.dataset_dict
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    class Refusing:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            def call(*args, **kwargs):
                request = httpx2.Request("GET", "https://huggingface.co/api/datasets/x")
                raise HfHubHTTPError("401 Unauthorized", response=httpx2.Response(401, request=request))
            return call

    monkeypatch.setattr(datasets.dataset_dict, "HfApi", Refusing)
    rev = tmp_path / "revisions.json"
    with pytest.raises(PublishError, match="refused the publish.*401.*--token"):
        publish(exported, REPO, revisions_file=rev, api=Refusing())
    assert not rev.exists()


def test_publish_pushes_variant_configs_by_name_in_order(exported_variants, variant_world, tmp_path, monkeypatch):
    import datasets

    from tests.hub.synthetic import VARIANT_ORDER

    hub = FakeHub(tmp_path / "hub").install(monkeypatch)
    rev = tmp_path / "revisions.json"
    pushed_as = []
    real_push = datasets.DatasetDict.push_to_hub

    def spy(self, repo_id, *args, config_name="default", **kwargs):
        pushed_as.append(config_name)
        return real_push(self, repo_id, *args, config_name=config_name, **kwargs)

    monkeypatch.setattr(datasets.DatasetDict, "push_to_hub", spy)
    entry = publish(exported_variants, "test-org/variants", revisions_file=rev, api=hub.api())
    assert pushed_as == list(VARIANT_ORDER)  # config_name=<config>, task order then variant
    assert [c["message"] for c in hub.commits] == [f"unipose-bench: publish config {c}" for c in VARIANT_ORDER] + [
        "unipose-bench: dataset card"]
    assert entry["configs"] == sorted(VARIANT_ORDER)
    recorded = revisions.get_record("test-org/variants", rev)
    assert recorded["configs"] == sorted(VARIANT_ORDER) and recorded["revision"] == hub.head("test-org/variants")[0]
    assert {c: {s: v["num_examples"] for s, v in splits.items()} for c, splits in recorded["splits"].items()} == {
        c: {s: len(ds) for s, ds in variant_world[c].items()} for c in VARIANT_ORDER}
    assert {c: {s: v["fingerprint"] for s, v in splits.items()} for c, splits in recorded["splits"].items()} == \
        split_fingerprints(exported_variants, VARIANT_ORDER)

    files = hub.snapshot("test-org/variants")
    local = files_of(exported_variants)
    assert sorted(files) == sorted(local)
    assert all(files[k] == local[k] for k in local if k.endswith(".parquet"))
    assert front_matter(files["README.md"].decode()) == front_matter(local["README.md"].decode())


def test_split_fingerprints_are_per_config(exported_variants):
    import datasets

    from benchmark.fingerprint import dataset_fingerprint

    fps = split_fingerprints(exported_variants, ["pose_to_text-H", "pose_to_text"])
    assert list(fps) == ["pose_to_text-H", "pose_to_text"]
    assert sorted(fps["pose_to_text-H"]) == ["test", "train"]
    # the content fingerprint of the shards is the fingerprint of the rows they load back as
    loaded = datasets.load_dataset(str(exported_variants), "pose_to_text-H", split="train")
    assert fps["pose_to_text-H"]["train"] == dataset_fingerprint(loaded)
    assert fps["pose_to_text-H"]["train"] != fps["pose_to_text"]["train"]
    with pytest.raises(InputError, match="empty variant"):
        split_fingerprints(exported_variants, ["pose_to_text-"])


def test_a_push_is_recorded_under_the_logical_name_the_specs_pin(exported, tmp_path, monkeypatch):
    """publish used to record the user's repo id, which no task spec looks up: the revisions stayed unpinned."""
    from benchmark.tasks import catalog

    hub = FakeHub(tmp_path / "hub").install(monkeypatch)
    rev = tmp_path / "revisions.json"
    entry = publish(exported, "my-org/embedded-copy", revisions_file=rev, api=hub.api(),
                    name="unipose-bench/posescript")
    assert list(revisions.load_revisions(rev)) == ["unipose-bench/posescript"]
    assert entry["repo_id"] == "my-org/embedded-copy"
    pin = revisions.pinned("unipose-bench/posescript", "pose_to_text", "test", rev)
    assert pin == {"revision": hub.head("my-org/embedded-copy")[0], "hub_repo": "my-org/embedded-copy",
                   "fingerprint": split_fingerprints(exported, ["pose_to_text"])["pose_to_text"]["test"]}
    # the specs read the pin: revision, Hub repo and content of their split
    monkeypatch.setattr(revisions, "REVISIONS_FILE", rev)
    monkeypatch.setattr(catalog, "pinned_revision", lambda name, config, split: revisions.pinned(name, config,
                                                                                                  split, rev))
    catalog.task_registry.cache_clear()
    try:
        ref = catalog.task_registry().get("pose_to_text/posescript-h").dataset
        assert (ref.revision, ref.hub_repo) == (entry["revision"], "my-org/embedded-copy")
        embedded = catalog.task_registry().get("pose_to_text/embedded").dataset
        assert embedded.fingerprint is not None and embedded.revision is None  # the world's committed content
    finally:
        catalog.task_registry.cache_clear()


def test_a_split_loaded_from_the_hub_has_the_content_fingerprint_its_revision_pins(exported, monkeypatch):
    """Hub loads used to record "<revision>-<datasets cache fingerprint>", which never equals the pinned content
    fingerprint: every published result would have been flagged as measured on other data."""
    import datasets

    from benchmark.tasks import data
    from benchmark.tasks.spec import DatasetRef

    pinned = split_fingerprints(exported, ["pose_to_text"])["pose_to_text"]["test"]
    local = datasets.load_dataset(str(exported), "pose_to_text", split="test")
    calls = []

    def from_the_hub(repo, config, split, revision):
        calls.append((repo, config, split, revision))
        return local

    monkeypatch.setattr(datasets, "load_dataset", from_the_hub)
    ref = DatasetRef(repo="unipose-bench/embedded-world", config="pose_to_text", revision="a" * 40,
                     hub_repo="my-org/world", fingerprint=pinned)
    ds, fingerprint = data.load_split(ref, dataset_dirs={})
    assert calls == [("my-org/world", "pose_to_text", "test", "a" * 40)]
    assert fingerprint == pinned and len(ds) == len(local)
