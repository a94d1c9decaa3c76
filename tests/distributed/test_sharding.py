"""Round-robin sharding and gathering of the misses (benchmark.evaluation.distributed) with two ranks in one process:
rank 0 in the test's thread, rank 1 serving in another, the collectives replaced by queues that pickle what they
carry (as torch.distributed's object collectives do). The real two-process run is tests/distributed/test_launch.py."""

from __future__ import annotations

import pickle
import queue
import threading

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.evaluation import distributed
from benchmark.evaluation.cache import ResponseCache
from benchmark.evaluation.runner import collect_responses
from benchmark.requests import DescribeRequest, PoseRequest, PoseResponse, TextResponse


class FakeLink:
    """What the two ranks share: one queue per direction."""

    def __init__(self):
        self.to_worker, self.to_main = queue.Queue(), queue.Queue()


class FakeGroup(distributed.Group):
    def __init__(self, rank: int, link: FakeLink):
        super().__init__(rank=rank, world_size=2)
        object.__setattr__(self, "link", link)

    def scatter(self, jobs):
        if self.is_main:
            assert len(jobs) == 2
            self.link.to_worker.put(pickle.dumps(jobs[1]))
            return pickle.loads(pickle.dumps(jobs[0]))
        return pickle.loads(self.link.to_worker.get(timeout=10))

    def gather(self, answer):
        if self.is_main:
            return [pickle.loads(pickle.dumps(answer)), pickle.loads(self.link.to_main.get(timeout=10))]
        self.link.to_main.put(pickle.dumps(answer))
        return None


class RecordingAdapter:
    """Answers from the request's content only (as the suite's adapters do: seeded per request), and records which
    rows each call got."""

    batch_size = 2

    def __init__(self, fail_on: str | None = None):
        self.calls, self.fail_on = [], fail_on

    def answer(self, kind, requests):
        self.calls.append([r.row_id for r in requests])
        if self.fail_on in self.calls[-1]:
            raise InputError("this row cannot be answered", row=self.fail_on, field="text")
        if kind == "describe":
            return [TextResponse(f"{r.row_id}:{r.request_hash[:8]}") for r in requests]
        rng = [np.random.default_rng(int(r.request_hash[:8], 16)) for r in requests]
        return [PoseResponse(poses=g.standard_normal((r.n_samples, 22, 3)).astype(np.float32))
                for g, r in zip(rng, requests)]


def pose_requests(n: int) -> list[PoseRequest]:
    return [PoseRequest("text_to_pose", f"r{i}", {"text": f"pose number {i}"}, "Generate <text>.", n_samples=2,
                        seed=i) for i in range(n)]


def with_worker(adapter):
    """Rank 1 serving `adapter` in a thread; returns rank 0's group and the thread."""
    link = FakeLink()
    worker = threading.Thread(target=distributed.serve, args=(adapter, FakeGroup(1, link)), daemon=True)
    worker.start()
    return FakeGroup(0, link), worker


def stop(main: FakeGroup, worker: threading.Thread):
    main.scatter([distributed._STOP] * 2)
    worker.join(timeout=10)
    assert not worker.is_alive()


def test_batches_go_round_robin_and_come_back_in_order():
    requests = pose_requests(7)
    main_adapter, worker_adapter = RecordingAdapter(), RecordingAdapter()
    main, worker = with_worker(worker_adapter)
    got = list(distributed.sharded_batches(main_adapter, requests, 2, main))
    stop(main, worker)
    # batches [r0 r1] [r2 r3] [r4 r5] [r6]: batch j*2 + r to rank r
    assert main_adapter.calls == [["r0", "r1"], ["r4", "r5"]]
    assert worker_adapter.calls == [["r2", "r3"], ["r6"]]
    local = list(distributed.local_batches(RecordingAdapter(), requests, 2))
    assert [[r.row_id for r in b] for b, _ in got] == [[r.row_id for r in b] for b, _ in local]
    for (_, answers), (_, expected) in zip(got, local):
        for a, e in zip(answers, expected):
            np.testing.assert_array_equal(a.poses, e.poses)


def test_requests_survive_pickling_with_their_hash():
    pose = np.arange(66, dtype=np.float32).reshape(22, 3) / 100
    for request in (DescribeRequest("pose_to_text", "a", {"pose": pose}, "Describe <pose>."),
                    PoseRequest("pose_edit", "b", {"pose": pose, "text": "raise the arm"}, "Edit.", n_samples=3,
                                seed=7)):
        copy = pickle.loads(pickle.dumps(request))
        assert type(copy) is type(request) and copy.request_hash == request.request_hash
        assert copy.row_id == request.row_id and not copy.inputs["pose"].flags.writeable
        np.testing.assert_array_equal(copy.inputs["pose"], pose)
    assert (copy.n_samples, copy.seed) == (3, 7)


def test_collect_responses_across_two_ranks_matches_one_process(tmp_path, monkeypatch):
    requests = pose_requests(9)
    with ResponseCache(tmp_path / "one.sqlite") as cache:
        single, _ = collect_responses(_named(RecordingAdapter()), requests, cache, progress=False)
        one = {h: p for h, p in _rows(cache)}
    main, worker = with_worker(_named(RecordingAdapter()))
    monkeypatch.setattr(distributed, "_GROUP", main)
    with ResponseCache(tmp_path / "two.sqlite") as cache:
        # a hit stays a hit: only the misses are sent out
        cache.put_many("rec", "1", "generate_pose", [(requests[4].request_hash, single[4])])
        adapter = _named(RecordingAdapter())
        sharded, n_cached = collect_responses(adapter, requests, cache, progress=False)
        two = {h: p for h, p in _rows(cache)}
    stop(main, worker)
    assert n_cached == 1 and all("r4" not in call for call in adapter.calls)
    assert one == two and len(one) == 9
    for a, b in zip(single, sharded):
        np.testing.assert_array_equal(a.poses, b.poses)


def test_a_worker_failure_is_raised_by_rank_0_and_the_worker_keeps_serving():
    main, worker = with_worker(RecordingAdapter(fail_on="r3"))
    with pytest.raises(distributed.WorkerFailed, match=r"process 1 of 2: InputError: .*row r3"):
        list(distributed.sharded_batches(RecordingAdapter(), pose_requests(4), 2, main))
    # the worker is back at the scatter: it answers the next job, then stops
    assert [b for b, _ in distributed.sharded_batches(RecordingAdapter(), pose_requests(1), 2, main)][0][0].row_id \
        == "r0"
    stop(main, worker)


def _named(adapter):
    from benchmark.adapters import AdapterMeta

    adapter.meta = AdapterMeta(name="rec", revision="1", tasks=("text_to_pose",))
    return adapter


def _rows(cache: ResponseCache):
    return cache._db.execute("SELECT request_hash, payload FROM responses ORDER BY request_hash").fetchall()
