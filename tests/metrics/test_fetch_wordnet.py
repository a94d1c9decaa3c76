"""scripts/fetch_wordnet.sh, offline: a stand-in `apt-get` on PATH hands over .deb files built here with the same
layout as Debian's wordnet-base and wordnet-sense-index (usr/share/wordnet/*, the lexnames(5WN) man page)."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_wordnet.sh"
LEXNAMES = ["adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
            "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
            "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
            "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
            "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
            "verb.communication", "verb.competition", "verb.consumption", "verb.contact", "verb.creation",
            "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social", "verb.stative",
            "verb.weather", "adj.ppl"]
WORDNET_FILES = ["data.noun", "data.verb", "data.adj", "data.adv", "index.noun", "index.verb", "index.adj",
                 "index.adv", "noun.exc", "verb.exc", "adj.exc", "adv.exc", "cntlist.rev"]

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb missing (Debian tools)")


def build_deb(tmp: Path, package: str, files: dict[str, bytes]) -> Path:
    root = tmp / f"{package}-root"
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: 1:3.0-37\nArchitecture: all\nMaintainer: test <t@example.org>\n"
        "Description: stand-in\n")
    deb = tmp / f"{package}_3.0-37_all.deb"
    subprocess.run(["dpkg-deb", "-b", str(root), str(deb)], check=True, capture_output=True)
    return deb


def man_page() -> bytes:
    rows = "\n".join(f"{i:02d}\t{name}{'  ' if name == 'noun.person' else ''}\tcontents of {name}"
                     for i, name in enumerate(LEXNAMES))
    text = (".TH LEXNAMES 5WN\n.SS Lexicographer Files\n.RS\n.TS\ncenter ;\nl l l.\n"
            f"\\fBFile Number\\fP\t\\fBName\\fP\t\\fBContents\\fP\n_\n{rows}\n.TE\n.RE\n.SH NOTES\n")
    return gzip.compress(text.encode())


@pytest.fixture
def fake_apt(tmp_path):
    """A PATH whose `apt-get download` copies stand-in .deb files into the current directory (or fails)."""
    debs = tmp_path / "debs"
    debs.mkdir()
    base = {f"usr/share/wordnet/{name}": f"stand-in {name}\n".encode() for name in WORDNET_FILES}
    base["usr/share/man/man5/lexnames.5WN.gz"] = man_page()
    build_deb(debs, "wordnet-base", base)
    build_deb(debs, "wordnet-sense-index", {"usr/share/wordnet/index.sense": b"stand-in index.sense\n"})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    (bin_dir / "apt-get").write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{calls}"\n'
        f'[ -f "{tmp_path}/apt-fails" ] && exit 100\n'
        f'[ "$1" = download ] && cp "{debs}"/*.deb . \n')
    (bin_dir / "apt-get").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return env, calls, tmp_path


def run_script(env, dest):
    return subprocess.run(["bash", str(SCRIPT), str(dest)], env=env, capture_output=True, text=True, timeout=120)


def test_lays_out_an_nltk_wordnet_with_generated_lexnames_and_is_idempotent(fake_apt):
    env, calls, tmp = fake_apt
    dest = tmp / "nltk_data"
    first = run_script(env, dest)
    assert first.returncode == 0, first.stderr
    target = dest / "corpora" / "wordnet"
    for name in WORDNET_FILES + ["index.sense"]:
        assert (target / name).read_text() == f"stand-in {name}\n"
    lines = (target / "lexnames").read_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3" and lines[3] == "03\tnoun.Tops\t1"
    assert lines[18] == "18\tnoun.person\t1" and lines[29] == "29\tverb.body\t2" and lines[2] == "02\tadv.all\t4"
    assert "wordnet-sense-index 1:3.0-37" in (target / "SOURCE.txt").read_text()
    assert calls.read_text().split() == ["download", "wordnet-base", "wordnet-sense-index"]
    second = run_script(env, dest)
    assert second.returncode == 0 and "already" in second.stdout
    assert calls.read_text().count("download") == 1  # nothing fetched again
    assert [p.name for p in (dest / "corpora").iterdir()] == ["wordnet"]  # no leftovers


def test_a_failed_download_leaves_nothing_behind(fake_apt):
    env, _, tmp = fake_apt
    (tmp / "apt-fails").touch()
    dest = tmp / "nltk_data"
    done = run_script(env, dest)
    assert done.returncode != 0 and "apt-get update" in done.stderr
    assert not (dest / "corpora" / "wordnet").exists()
    assert list((dest / "corpora").iterdir()) == []
