#!/usr/bin/env bash
# Soak: sweep every shipped scenario over many seeds, then replay a random sample of
# (scenario, seed) pairs in fresh processes and compare digests with the sweep's.
# Writes reports/soak.md. Not part of CI (it takes hours); CI runs a bounded version.
#
# usage: scripts/soak.sh [SEEDS=10000] [SAMPLE=100] [JOBS=2] [SCENARIO...]
# With scenario names, only those are swept (others already in reports/soak/ are kept, so a
# soak can be done in parts, each part with its own seed count and binary).
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-10000}
SAMPLE=${2:-100}
JOBS=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
ONLY=("$@")
# BIN=path/to/eightfold pins the binary (so a long soak is not disturbed by rebuilds)
if [ -z "${BIN:-}" ]; then
  BIN=target/release/eightfold
  cargo build --release --quiet
fi
OUT=reports/soak
mkdir -p "$OUT"
started=$(date -u +%FT%TZ)
for f in scenarios/*.json; do
  name=$(basename "$f" .json)
  if [ ${#ONLY[@]} -gt 0 ] && [[ ! " ${ONLY[*]} " =~ " $name " ]]; then continue; fi
  [ -f "$OUT/$name.json" ] && continue   # resumable
  # the replay sample must use the binary that ran the sweep
  realpath "$BIN" > "$OUT/$name.bin"
  "$BIN" --version > "$OUT/$name.version" 2>&1 || true
  echo "== $name" >&2
  # exit 1 (failures found) is recorded in the summary; anything else is a real error
  "$BIN" sweep "$f" --seeds "1..$SEEDS" --jobs "$JOBS" --out "$OUT/$name.json" >"$OUT/$name.log" 2>&1 || [ $? -eq 1 ]
done
python3 - "$OUT" "$SEEDS" "$SAMPLE" "$BIN" "$started" <<'PY'
import json, os, random, subprocess, sys, tempfile, glob
out, seeds, sample, binary, started = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rows, pairs = [], []
for path in sorted(glob.glob(f"{out}/*.json")):
    s = json.load(open(path))
    name = s["scenario"]
    recs = s["records"]
    failed = [r for r in recs if not r["passed"]]
    panics = [r for r in failed if "panic" in r.get("failed_checks", [])]
    safety = [r for r in failed if set(r.get("failed_checks", [])) & {"invariants", "linearizable", "convergence"}]
    protocol = json.load(open(f"scenarios/{name}.json"))["cluster"]["protocol"]
    # The quorum store promises no linearizability: its failures of that check are the
    # finding its scenario exists to show, not a violation of a promise.
    expected = [r for r in safety if protocol == "quorum" and set(r["failed_checks"]) <= {"linearizable", "liveness"}]
    safety = [r for r in safety if r not in expected]
    rows.append((name, len(recs), len(failed), len(safety), len(panics), s.get("timing", {}).get("wall_s", 0), len(expected)))
    binp = f"{out}/{name}.bin"
    b = open(binp).read().strip() if os.path.exists(binp) else binary
    pairs += [(name, r["seed"], r["digest"], b) for r in recs]
random.seed(1)
checked, mismatches = 0, []
for name, seed, digest, binary in random.sample(pairs, min(sample, len(pairs))):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([binary, "run", f"scenarios/{name}.json", "--seed", str(seed), "--out", d, "-q", "--no-charts"],
                       capture_output=True)
        rep = glob.glob(f"{d}/*-seed{seed}")[0]
        got = json.load(open(f"{rep}/outcome.json"))["digest"]
        r = subprocess.run([binary, "replay", rep], capture_output=True)
        checked += 1
        if got != digest or r.returncode != 0:
            mismatches.append((name, seed, digest, got, r.returncode))
with open("reports/soak.md", "w") as f:
    f.write(f"# Soak\n\nShipped scenarios swept over seeds 1..N (`scripts/soak.sh N {sample}`; N per row), "
            f"summarised {started}.\n\n")
    f.write("| scenario | seeds | failed | safety violations | panics | expected findings | wall s |\n|---|---|---|---|---|---|---|\n")
    for r in rows:
        f.write(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[6]} | {r[5]:.0f} |\n")
    tot = [sum(r[i] for r in rows) for i in (1, 2, 3, 4, 6)]
    f.write(f"| **all** | {tot[0]} | {tot[1]} | {tot[2]} | {tot[3]} | {tot[4]} | |\n\n")
    f.write("*failed* counts every failed check, liveness included; *safety violations* are failures of "
            "invariants, linearizability or convergence; *expected findings* are the quorum store's "
            "linearizability failures, which its scenario exists to show.\n\n")
    f.write(f"Replay: {checked} (scenario, seed) pairs drawn at random were run again in fresh processes and "
            f"replayed with `eightfold replay`: {len(mismatches)} digest mismatches.\n")
    for m in mismatches:
        f.write(f"- {m}\n")
print(open("reports/soak.md").read())
PY
