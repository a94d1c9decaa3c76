"""An in-memory stand-in for the Hugging Face Hub, enough for `DatasetDict.push_to_hub` and our card step.

It replaces `HfApi` (repo_info, create_repo, preupload_lfs_files, create_commit, upload_file, hf_hub_download) and
`HfFileSystem` (ls/info/open over commit snapshots) inside `datasets`, so the real push code of datasets 5.2 runs
end to end without any network: what it would upload lands in `FakeHub.repos`.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from types import SimpleNamespace

from fsspec import AbstractFileSystem


class FakeHub:
    def __init__(self, tmp: Path):
        self.tmp = Path(tmp)
        self.repos: dict[str, list[tuple[str, dict[str, bytes]]]] = {}  # repo -> [(sha, files)] oldest first
        self.commits: list[dict] = []
        self.uploaded: dict[bytes, bytes] = {}  # sha256 of an LFS upload -> content (preupload, then commit)

    # -- state
    def head(self, repo_id: str) -> tuple[str, dict[str, bytes]]:
        return self.repos[repo_id][-1]

    def snapshot(self, repo_id: str, revision: str | None = None) -> dict[str, bytes]:
        if revision is None:
            return self.head(repo_id)[1]
        for sha, files in self.repos[repo_id]:
            if sha == revision:
                return files
        raise FileNotFoundError(f"{repo_id}@{revision}")

    def dump(self, repo_id: str, folder: Path) -> Path:
        for path, data in self.head(repo_id)[1].items():
            out = folder / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        return folder

    def commit(self, repo_id, additions: dict[str, bytes], deletions=(), message="", parent_commit=None):
        parent_sha, files = self.head(repo_id)
        if parent_commit is not None and parent_commit != parent_sha:
            raise RuntimeError(f"412 parent commit {parent_commit} is not the head {parent_sha}")
        files = {k: v for k, v in files.items() if k not in set(deletions)}
        files.update(additions)
        h = hashlib.sha1(parent_sha.encode() + message.encode())
        for k in sorted(files):
            h.update(k.encode() + hashlib.sha1(files[k]).digest())
        sha = h.hexdigest()
        self.repos[repo_id].append((sha, files))
        self.commits.append({"repo_id": repo_id, "sha": sha, "message": message, "added": sorted(additions),
                             "deleted": sorted(deletions)})
        return sha

    # -- factories
    def api(self, *args, **kwargs):
        return FakeApi(self)

    def fs(self, *args, **kwargs):
        return FakeHfFileSystem(self)

    def install(self, monkeypatch):
        import datasets.arrow_dataset
        import datasets.dataset_dict

        monkeypatch.setattr(datasets.dataset_dict, "HfApi", self.api)
        monkeypatch.setattr(datasets.arrow_dataset, "HfApi", self.api)
        monkeypatch.setattr(datasets.dataset_dict, "HfFileSystem", self.fs)
        return self


def _content(op, uploaded: dict[bytes, bytes]) -> bytes:
    if op.upload_info.sha256 in uploaded:
        return uploaded[op.upload_info.sha256]
    src = op.path_or_fileobj
    if isinstance(src, bytes):
        return src
    if isinstance(src, (str, Path)):
        return Path(src).read_bytes()
    return src.read()


class FakeApi:
    def __init__(self, hub: FakeHub):
        self.hub = hub

    def repo_info(self, repo_id, repo_type=None, revision=None, **kwargs):
        from huggingface_hub.errors import RepositoryNotFoundError
        import httpx2

        if repo_id not in self.hub.repos:
            request = httpx2.Request("GET", f"https://hub.invalid/api/datasets/{repo_id}")
            raise RepositoryNotFoundError(f"{repo_id} not found", response=httpx2.Response(404, request=request))
        return SimpleNamespace(id=repo_id, sha=self.hub.head(repo_id)[0])

    def create_repo(self, repo_id, repo_type=None, private=None, exist_ok=False, **kwargs):
        if repo_id not in self.hub.repos:
            self.hub.repos[repo_id] = [(hashlib.sha1(repo_id.encode()).hexdigest(), {})]
        return SimpleNamespace(repo_id=repo_id)

    def preupload_lfs_files(self, repo_id, additions, **kwargs):
        for op in additions:  # datasets deletes the temporary shard file right after this call
            self.hub.uploaded[op.upload_info.sha256] = _content(op, {})

    def create_commit(self, repo_id, operations, commit_message="", commit_description=None, parent_commit=None,
                      **kwargs):
        from huggingface_hub import CommitInfo, CommitOperationAdd, CommitOperationDelete

        adds = {op.path_in_repo: _content(op, self.hub.uploaded) for op in operations
                if isinstance(op, CommitOperationAdd)}
        dels = [op.path_in_repo for op in operations if isinstance(op, CommitOperationDelete)]
        sha = self.hub.commit(repo_id, adds, dels, commit_message, parent_commit)
        return CommitInfo(commit_url=f"https://huggingface.co/datasets/{repo_id}/commit/{sha}",
                          commit_message=commit_message, commit_description=commit_description or "", oid=sha)

    def upload_file(self, *, path_or_fileobj, path_in_repo, repo_id, commit_message="", parent_commit=None,
                    **kwargs):
        from huggingface_hub import CommitOperationAdd

        return self.create_commit(repo_id, [CommitOperationAdd(path_in_repo, path_or_fileobj)],
                                  commit_message=commit_message, parent_commit=parent_commit)

    def hf_hub_download(self, repo_id, filename, repo_type=None, revision=None, **kwargs):
        files = self.hub.snapshot(repo_id, revision)
        if filename not in files:
            raise FileNotFoundError(f"{repo_id}@{revision}/{filename}")
        out = self.hub.tmp / "downloads" / repo_id / (revision or "head") / filename
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(files[filename])
        return str(out)


class FakeHfFileSystem(AbstractFileSystem):
    """Paths are `datasets/<org>/<name>@<sha>/<path in repo>`, as HfFileSystem's resolved paths."""

    protocol = "fakehf"
    cachable = False

    def __init__(self, hub: FakeHub, **kwargs):
        super().__init__(**kwargs)
        self.hub = hub

    def _parse(self, path: str):
        path = self._strip_protocol(path).strip("/")
        assert path.startswith("datasets/"), path
        parts = path[len("datasets/"):].split("/")
        org, name_rev, rest = parts[0], parts[1], parts[2:]
        name, _, rev = name_rev.partition("@")
        return f"{org}/{name}", rev or None, "/".join(rest), f"datasets/{org}/{name_rev}"

    def _entries(self, path: str):
        repo_id, rev, inner, root = self._parse(path)
        files = self.hub.snapshot(repo_id, rev)
        return files, inner, root

    def info(self, path, **kwargs):
        files, inner, root = self._entries(path)
        full = f"{root}/{inner}" if inner else root
        if inner in files:
            return {"name": full, "size": len(files[inner]), "type": "file"}
        if not inner or any(k.startswith(inner + "/") for k in files):
            return {"name": full, "size": 0, "type": "directory"}
        raise FileNotFoundError(path)

    def ls(self, path, detail=True, **kwargs):
        files, inner, root = self._entries(path)
        if self.info(path)["type"] == "file":
            out = [self.info(path)]
        else:
            prefix = inner + "/" if inner else ""
            children = {}
            for k, v in files.items():
                if k.startswith(prefix):
                    head, sep, _ = k[len(prefix):].partition("/")
                    name = f"{root}/{prefix}{head}"
                    children[name] = ({"name": name, "size": 0, "type": "directory"} if sep else
                                      {"name": name, "size": len(v), "type": "file"})
            out = list(children.values())
        return out if detail else [e["name"] for e in out]

    def _open(self, path, mode="rb", **kwargs):
        files, inner, _ = self._entries(path)
        if inner not in files:
            raise FileNotFoundError(path)
        return io.BytesIO(files[inner])
