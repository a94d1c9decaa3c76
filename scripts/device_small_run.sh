#!/usr/bin/env bash
# Train UniPose's `small` preset (SmolLM2-135M-Instruct) on one GPU machine that has no network and only a few
# calls' worth of upload each, and bring back its answers on the seven embedded test splits as a predictions file,
# to be scored on a machine that has the metrics (Java for METEOR):
#
#   bash scripts/device_small_run.sh pack            # here, first: lay out .devrun/partN/ (see .devrun/PLAN.md)
#   bash scripts/device_small_run.sh receive         # each call but the last: take what this call carried
#   bash scripts/device_small_run.sh final [A P I]   # the last call: the rest, then train, predict, collect
#   unipose-bench evaluate --model predictions_file:path=OUT/predictions.jsonl,name=unipose-small,revision=R
#
# What travels (the calls' `carry`): .devrun/partN/ folders, each with any of
#   wheels/*.whl        Python packages the machine lacks (installed with pip --no-index --target, never fetched)
#   gguf.NN             consecutive pieces of the SmolLM2 GGUF (`split -d -b`), joined in name order
#   gguf.sha256         the whole file's SHA-256 (sha256sum format), checked after joining
#   tests/CONFIG/test-*.parquet   optional: the scoring machine's test splits, which then replace the built ones
# Each call copies its part to $DEVHOME (default /tmp/devhome), which survives between calls only while the machine
# stays warm; `final` says so at once when pieces are missing. The first call that brings the wheels starts, in the
# background (setsid: it outlives its call), the CPU-only preparation: the embedded world's build (deterministic;
# its content fingerprint is checked against the committed one) and UniPose's stage 1 (the pose tokenizer).
#
# `final` then trains the language-model stages on the GPU: alignment with A steps (its measured speed then sizes
# the projector and instruction stages to what is left of the call, at most P and I steps), answers the seven test
# splits with the newest finished checkpoint (unipose-bench predict, on the GPU), and writes under $OUT at most 6
# files: predictions.jsonl, run.log, prep.log, reports.json (every stage's report), world.json (the device's build
# record) and env.txt. A stage that overruns the budget is stopped and the previous checkpoint answers instead.
#
# Sizing A (measured on an NVIDIA H200, 2026-12-04, torch 2.11 + CUDA 13): the alignment stage ran at 4.2 steps/s
# (batch 16, float32: launch-bound, not compute-bound), after about 50 s of set-up (GGUF de-quantising, the pose ViT
# stage, sequences); the world's build took 69 s and the tokenizer 63 s in the background, and a `final` call
# that follows the first calls at once waits about 160 s for them. A stage stopped by its budget leaves no
# checkpoint, so keep 50 s + A / 4.2 s well inside CALL_LIMIT_S - PREDICT_RESERVE_S - that wait: there, with
# CALL_LIMIT_S=550, 800 alignment steps were stopped at step 630; `final 400 60 200` fits such a call.
#
# Settings (environment): DEVHOME, UNIPOSE_BENCH_HOME (default $DEVHOME/home), PYTHON (python3), OUT (required by
# final), CALL_LIMIT_S (the final call's timeout, default 570), PREDICT_RESERVE_S (kept for predicting, default 150),
# PREP_WAIT_S (the longest wait for the background preparation, default 300), PREDICT_LIMIT (rows per task, default
# all: for rehearsals), PREDICT_BATCH (default 128), MIN_STAGE_STEPS (stages
# 3-4 are skipped when the time left gives fewer steps, default 20), SKIP_WHEELS=1 (an
# environment that already has every package: rehearsals).
set -uo pipefail

MODE="${1:-}"
shift || true
START=$(date +%s)
REPO="${DEVRUN_REPO:-$(cd "$(dirname "$0")/.." && pwd)}"  # pack: DEVRUN_REPO=the checkout whose tree travels
DEVHOME="${DEVHOME:-/tmp/devhome}"
export UNIPOSE_BENCH_HOME="${UNIPOSE_BENCH_HOME:-$DEVHOME/home}"
PYTHON="${PYTHON:-python3}"
GGUF_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
RUN_DIR="$DEVHOME/run"  # the stages' checkpoints (OUTPUT/<n>-<stage>/)
export HF_HOME="$DEVHOME/hf" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
# TF32 matrix products for the float32 model (the small preset trains in float32)
export TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1
export PYTHONPATH="$DEVHOME/site:$DEVHOME/meta:$REPO${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$DEVHOME/parts" "$DEVHOME/wheels" "$UNIPOSE_BENCH_HOME"

say() { echo "[device $(date -u +%H:%M:%S) +$(( $(date +%s) - START ))s] $*"; }
cli() { "$PYTHON" -m benchmark.cli.main "$@"; }

write_metadata() {
    # The package is not installed there: its entry points (the adapters and commands of this repo's upper
    # layers, benchmark.plugins) are declared by a dist-info written from pyproject.toml onto the path; once (the
    # background preparation reads it while later calls arrive).
    [ -d "$DEVHOME/meta" ] && return 0
    "$PYTHON" - "$REPO/pyproject.toml" "$DEVHOME/meta" <<'EOF'
import pathlib, shutil, sys, tomllib
project = tomllib.loads(pathlib.Path(sys.argv[1]).read_text())["project"]
folder = pathlib.Path(sys.argv[2]) / f"unipose_bench-{project['version']}.dist-info"
shutil.rmtree(folder.parent, ignore_errors=True)
folder.mkdir(parents=True)
(folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: unipose-bench\nVersion: {project['version']}\n")
groups = project.get("entry-points", {})
(folder / "entry_points.txt").write_text("".join(
    f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items()) + "\n"
    for group, entries in groups.items()))
print(f"entry points: {sum(map(len, groups.values()))} in {len(groups)} groups")
EOF
}

receive() {
    # copy what this call carried; install wheels not installed yet
    local part n_new=0
    for part in "$REPO"/.devrun/part*/; do
        [ -d "$part" ] || continue
        say "received $(basename "$part"): $(du -sh "$part" | cut -f1)"
        cp -a "$part"/gguf.* "$DEVHOME/parts/" 2>/dev/null || true
        if [ -d "$part/tests" ]; then mkdir -p "$DEVHOME/tests" && cp -a "$part/tests/." "$DEVHOME/tests/"; fi
        for w in "$part"/wheels/*.whl; do
            [ -f "$w" ] || continue
            [ -f "$DEVHOME/wheels/$(basename "$w")" ] || n_new=$((n_new + 1))
            cp -a "$w" "$DEVHOME/wheels/"
        done
    done
    if [ "${SKIP_WHEELS:-0}" != 1 ] && [ "$n_new" -gt 0 ]; then
        "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target "$DEVHOME/site" "$DEVHOME"/wheels/*.whl 2>&1 | grep -v "^WARNING: Target directory" || true
        say "installed $(ls "$DEVHOME"/wheels | wc -l) wheels into $DEVHOME/site"
        # fail here, in the first call, rather than in the background: every package the run imports, and which copy
        "$PYTHON" -c "import importlib; print(' | '.join(f'{m} {getattr(importlib.import_module(m), \"__version__\", \"?\")}' \
for m in ('torch', 'numpy', 'PIL', 'scipy', 'pyarrow', 'huggingface_hub', 'datasets', 'pydantic', 'transformers',
'peft', 'accelerate', 'tokenizers', 'gguf', 'roma', 'smplx')))" || say "ERROR: a package does not import"
    fi
    write_metadata
    say "pieces of the GGUF here: $(ls "$DEVHOME/parts" | tr '\n' ' ')"
    if [ -e "$DEVHOME/prep.started" ]; then
        say "background preparation: $(ls "$DEVHOME" | grep -o 'prep\.\(DONE\|FAILED\)' || echo running);" \
            "last line: $(tail -c 2000 "$DEVHOME/prep.log" | tr '\r' '\n' | grep -v '^\s*$' | tail -n 1 | cut -c1-160)"
    fi
    if [ ! -e "$DEVHOME/prep.started" ] && { [ "${SKIP_WHEELS:-0}" = 1 ] || ls "$DEVHOME"/wheels/datasets-*.whl \
            >/dev/null 2>&1; }; then
        touch "$DEVHOME/prep.started"
        # it runs from a snapshot of the tree: the next calls' uploads rewrite the working tree under it
        rm -rf "$DEVHOME/repo" && mkdir -p "$DEVHOME/repo"
        (cd "$REPO" && tar --exclude=./.devrun --exclude=./.venv --exclude=./.git --exclude=./outputs -cf - .) \
            | tar -xf - -C "$DEVHOME/repo"
        say "starting the CPU preparation in the background (log: $DEVHOME/prep.log)"
        setsid nohup bash "$DEVHOME/repo/scripts/device_small_run.sh" prep >"$DEVHOME/prep.log" 2>&1 < /dev/null &
    fi
}

prep() {
    # the world (CPU, deterministic) and stage 1, the pose tokenizer (CPU); DONE or FAILED marks the end
    say "building the embedded world"
    if cli build && say "world built" && cli train-unipose --preset small --stages tokenizer --output "$RUN_DIR"; then
        say "prep done"
        touch "$DEVHOME/prep.DONE"
    else
        say "prep FAILED"
        touch "$DEVHOME/prep.FAILED"
    fi
}

world_check() {
    # the device's world must hold the rows the scoring machine holds: compare content fingerprints with the
    # committed ones (datasets_build/world/fingerprints.json), and save the build record
    "$PYTHON" - "$OUT/world.json" <<'EOF'
import json, shutil, sys
from benchmark import workspace
from datasets_build.world.build import PRESETS
from datasets_build.world.ensure import fingerprint_differences
bid = workspace.latest_world_id()
info = json.loads((workspace.world_dir(bid) / "build.json").read_text())
shutil.copy(workspace.world_dir(bid) / "build.json", sys.argv[1])
diff = fingerprint_differences(PRESETS["default"], info["fingerprints"])
print(f"world {bid}: content {info['fingerprint']}, built in {info['total_seconds']:.0f} s; "
      + ("MATCHES the committed fingerprints" if not diff else "DIFFERS: " + "; ".join(diff)))
sys.exit(1 if diff else 0)
EOF
}

use_carried_tests() {
    # the scoring machine's test splits replace the built ones (training reads train splits only)
    local hub
    hub=$("$PYTHON" -c "from benchmark import workspace; print(workspace.world_hub_dir(workspace.latest_world_id()))")
    for f in "$DEVHOME"/tests/*/test-*.parquet; do
        [ -f "$f" ] || continue
        local config
        config=$(basename "$(dirname "$f")")
        rm -f "$hub/$config"/test-*.parquet
        cp "$f" "$hub/$config/"
        say "test split of $config: carried copy"
    done
}

stage_steps() {
    # "steps seconds" of a finished stage's report
    "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['steps'], r['seconds'])" "$1"
}

final() {
    : "${OUT:?OUT must name the folder that comes back}"
    local A="${1:-1000}" P="${2:-300}" I="${3:-900}"
    local LIMIT="${CALL_LIMIT_S:-570}" RESERVE="${PREDICT_RESERVE_S:-150}"
    exec > >(tee -a "$OUT/run.log") 2>&1
    say "final: steps at most $A / $P / $I; call limit ${LIMIT} s, ${RESERVE} s kept for predicting"
    receive
    {
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
        "$PYTHON" -c "import torch, transformers, peft, accelerate, datasets; print('torch', torch.__version__, \
'cuda', torch.cuda.is_available(), '| transformers', transformers.__version__, '| peft', peft.__version__, \
'| accelerate', accelerate.__version__, '| datasets', datasets.__version__)" 2>&1
        nproc
    } | tee "$OUT/env.txt"

    # the GGUF, joined from its pieces and checked
    local target="$UNIPOSE_BENCH_HOME/models/smollm2/$GGUF_NAME"
    mkdir -p "$(dirname "$target")"
    if [ ! -f "$target" ]; then
        local want
        want=$(cut -d' ' -f1 "$DEVHOME/parts/gguf.sha256" 2>/dev/null)
        cat "$DEVHOME"/parts/gguf.[0-9]* > "$target.tmp" 2>/dev/null
        if [ -z "$want" ] || [ "$(sha256sum "$target.tmp" | cut -d' ' -f1)" != "$want" ]; then
            say "ERROR: the GGUF pieces are missing or incomplete (have: $(ls "$DEVHOME/parts" | tr '\n' ' ')): the" \
                "machine was probably given back between calls; start again from the first call"
            rm -f "$target.tmp"
            exit 3
        fi
        mv "$target.tmp" "$target"
    fi
    say "GGUF ready: $target"

    # the background preparation (run here if no earlier call started it)
    if [ ! -e "$DEVHOME/prep.started" ]; then
        say "no background preparation ran: running it now"
        touch "$DEVHOME/prep.started"
        prep >"$DEVHOME/prep.log" 2>&1
    fi
    local waited=0
    while [ ! -e "$DEVHOME/prep.DONE" ] && [ ! -e "$DEVHOME/prep.FAILED" ]; do
        if [ "$waited" -ge "${PREP_WAIT_S:-300}" ]; then  # a hung preparation must not eat the whole call
            say "ERROR: the preparation has not finished after ${waited} s"
            touch "$DEVHOME/prep.FAILED"
            break
        fi
        sleep 2
        waited=$((waited + 2))
    done
    cp "$DEVHOME/prep.log" "$OUT/prep.log"
    if [ -e "$DEVHOME/prep.FAILED" ]; then
        say "ERROR: the preparation failed (world or tokenizer); see prep.log"
        tail -n 30 "$DEVHOME/prep.log"
        exit 4
    fi
    say "prep finished (world + tokenizer)"
    local world_ok=1
    world_check || world_ok=0
    use_carried_tests && [ -d "$DEVHOME/tests" ] && world_ok=carried-tests

    # stage 2 with A steps, then stages 3-4 sized to what is left
    local left=$(( LIMIT - RESERVE - ($(date +%s) - START) ))
    [ "$left" -ge 1 ] || left=1
    say "alignment: $A steps, at most ${left} s"
    timeout --signal=INT --kill-after=10 "$left" \
        env "$PYTHON" -m benchmark.cli.main train-unipose --preset small --output "$RUN_DIR" \
        --stages alignment --steps "$A" "$P" "$I" || say "alignment stopped (status $?)"
    if [ -f "$RUN_DIR/2-alignment/report.json" ]; then
        read -r done_steps seconds < <(stage_steps "$RUN_DIR/2-alignment/report.json")
        left=$(( LIMIT - RESERVE - ($(date +%s) - START) ))
        # each of the two stages also loads the model and computes the towers' features on the CPU (~250 s on one
        # core in the rehearsal, a few tens of seconds on the device's 16): 60 s set aside. Their batches of 8 are
        # half the alignment's 16, but a 135M model's step is bound by kernel launches more than by the batch:
        # counted only 10 % faster, and 20 % of the rest kept as a margin (an overrun loses the whole stage)
        read -r P2 I2 < <("$PYTHON" -c "
rate = $done_steps / max($seconds, 1e-3) * 1.1  # steps/s at batch 8
budget = max(0.0, $left - 60) * 0.8
total = int(rate * budget)
p = min($P, max(0, total // 4)); i = min($I, max(0, total - p))
print(p, i)")
        say "alignment: $done_steps steps in ${seconds} s; ${left} s left: projector $P2, instruction $I2 steps"
        if [ "$P2" -ge "${MIN_STAGE_STEPS:-20}" ] && [ "$I2" -ge "${MIN_STAGE_STEPS:-20}" ]; then
            timeout --signal=INT --kill-after=10 "$(( left > 0 ? left : 1 ))" \
                env "$PYTHON" -m benchmark.cli.main train-unipose --preset small --output "$RUN_DIR" \
                --stages projector instruction --steps "$A" "$P2" "$I2" || say "stages 3-4 stopped (status $?)"
        else
            say "stages 3-4 not trained now: too little time left (the newest finished checkpoint answers)"
        fi
    fi
    "$PYTHON" - "$RUN_DIR" "$OUT/reports.json" <<'EOF'
import json, pathlib, sys
run = pathlib.Path(sys.argv[1])
reports = {}
for p in sorted(run.glob("*/report.json")):
    r = json.loads(p.read_text())
    reports[p.parent.name] = {k: v for k, v in r.items() if k not in ("losses", "evals")} | (
        {"losses_every_25": r["losses"][::25]} if "losses" in r else {})
pathlib.Path(sys.argv[2]).write_text(json.dumps(reports, indent=1) + "\n")
for name, r in reports.items():
    print(name, {k: r[k] for k in ("steps", "seconds", "loss_first", "loss_last", "time_s") if k in r})
EOF
    local ckpt=""
    for stage in 4-instruction 3-projector 2-alignment; do
        if [ -f "$RUN_DIR/$stage/report.json" ]; then ckpt="$RUN_DIR/$stage"; break; fi
    done
    if [ -z "$ckpt" ]; then
        say "ERROR: no stage finished: nothing to answer with"
        exit 5
    fi
    say "predicting with $ckpt"
    local limit_args=()
    [ -n "${PREDICT_LIMIT:-}" ] && limit_args=(--limit "$PREDICT_LIMIT")
    cli predict --model "unipose:checkpoint=$ckpt,batch_size=${PREDICT_BATCH:-128}" --tasks embedded \
        --out "$OUT/predictions.jsonl" --batch-size "${PREDICT_BATCH:-128}" --cache "$DEVHOME/responses.sqlite" \
        --keep-going "${limit_args[@]}"
    local status=$?
    say "predict exit status $status; checkpoint $(basename "$ckpt"); world fingerprint ok: $world_ok"
    ls -la "$OUT"
    [ "$world_ok" != 0 ] || say "WARNING: the device's world differs from the committed one: do not score these" \
        "predictions; carry the test splits (.devrun/parttests, see PLAN.md) and run final again"
    return $status
}

pack() {
    # Here, before the calls: lay out $REPO/.devrun/partN/ so that each call's upload (the working tree, which
    # travels every time, plus one part) stays under 64 MiB with MARGIN_MIB to spare; part1 takes the wheels of
    # .devrun/wheels/ (see .devrun/PLAN.md for the pip download line), the GGUF is cut across the parts.
    local dest="$REPO/.devrun" gguf="${GGUF:-${UNIPOSE_BENCH_HOME_LOCAL:-$HOME/.cache/unipose-bench}/models/smollm2/$GGUF_NAME}"
    local margin=$(( ${MARGIN_MIB:-3} * 1048576 )) limit=$(( 64 * 1048576 ))
    local tree wheels cap first
    tree=$(cd "$REPO" && { git ls-files -z; git ls-files -z --others --exclude-standard; } \
        | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
    wheels=$(cat "$dest"/wheels/*.whl 2>/dev/null | wc -c)
    cap=$(( limit - tree - margin ))
    first=$(( cap - wheels ))
    [ -f "$gguf" ] || { echo "no GGUF at $gguf (make smollm2)" >&2; exit 2; }
    [ "$first" -gt 1048576 ] || { echo "no room: tree $tree B, wheels $wheels B, call limit $limit B" >&2; exit 2; }
    rm -rf "$dest"/part[0-9]*
    mkdir -p "$dest/part1/wheels"
    cp -a "$dest"/wheels/*.whl "$dest/part1/wheels/" 2>/dev/null || true
    local size n=1 offset=0
    size=$(stat -c %s "$gguf")
    while [ "$offset" -lt "$size" ]; do
        local room=$(( n == 1 ? first : cap ))
        mkdir -p "$dest/part$n"
        # byte ranges in 4 KiB blocks: each piece ends on a block boundary, the last takes the remainder
        local blocks=$(( room / 4096 ))
        dd if="$gguf" of="$dest/part$n/gguf.$(printf %02d $((n - 1)))" bs=4096 skip=$(( offset / 4096 )) \
            count="$blocks" status=none
        offset=$(( offset + blocks * 4096 ))
        n=$(( n + 1 ))
    done
    (cd "$(dirname "$gguf")" && sha256sum "$(basename "$gguf")") > "$dest/part$((n - 1))/gguf.sha256"
    echo "working tree $tree B; per call at most $cap B beside it ($((margin / 1048576)) MiB margin)"
    for p in "$dest"/part[0-9]*; do echo "$(basename "$p"): $(du -cb "$p" | tail -1 | cut -f1) B: $(ls "$p" | tr '\n' ' ')"; done
}

case "$MODE" in
    pack) pack ;;
    receive) receive ;;
    prep) prep ;;
    final) final "$@" ;;
    *) echo "usage: $0 pack | receive | final [ALIGNMENT PROJECTOR INSTRUCTION] (see the header)" >&2; exit 2 ;;
esac
