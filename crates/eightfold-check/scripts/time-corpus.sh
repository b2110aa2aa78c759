#!/usr/bin/env bash
# Times `eightfold check` over Porcupine's corpus, one process per file (as Porcupine is
# measured), and sums the wall time of the processes together with the deciding and
# shrinking times each check prints in its summary line. Also counts wrong verdicts
# (against verdicts.json) and counterexamples not known to be minimal.
#
# Usage: time-corpus.sh EIGHTFOLD_BINARY [CORPUS_DIR]
#   CORPUS_DIR defaults to this crate's copy, tests/data/porcupine.
set -eu
BIN=$1
CORPUS=${2:-$(dirname "$0")/../tests/data/porcupine}
python3 - "$BIN" "$CORPUS" <<'PY'
import json, re, subprocess, sys, time
binary, corpus = sys.argv[1], sys.argv[2]
expected = json.load(open(f"{corpus}/verdicts.json"))
rows = []
for file, want in sorted(expected.items()):
    fmt = "porcupine-etcd" if want["family"] == "etcd" else "porcupine-kv"
    t0 = time.perf_counter()
    p = subprocess.run([binary, "check", f"{corpus}/{file}", "--format", fmt], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    first = p.stdout.splitlines()[0] if p.stdout else p.stderr
    decide = re.search(r"MiB, ([0-9.]+) s", first)
    shrink = re.search(r"counterexample of (\d+) ops found in (\d+) steps, ([0-9.]+) s\)", first)
    right = p.returncode in (0, 1) and (p.returncode == 0) == want["linearizable"]
    not_minimal = p.returncode == 1 and "perhaps not minimal" in p.stdout
    rows.append((wall, float(decide.group(1)) if decide else 0.0,
                 float(shrink.group(3)) if shrink else 0.0, file, right, not_minimal,
                 f"{shrink.group(1)} ops, {shrink.group(2)} steps" if shrink else "-"))
for r in sorted(rows, reverse=True)[:5]:
    print(f"  {r[3]:<22} wall {r[0]:.3f} s  decide {r[1]:.3f} s  shrink {r[2]:.3f} s  ({r[6]})")
print(f"TOTAL wall {sum(r[0] for r in rows):.3f} s  decide {sum(r[1] for r in rows):.3f} s  "
      f"shrink {sum(r[2] for r in rows):.3f} s  wrong verdicts {sum(not r[4] for r in rows)}  "
      f"not minimal {sum(r[5] for r in rows)}")
PY
