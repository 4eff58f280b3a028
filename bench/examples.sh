#!/usr/bin/env bash
# The worked examples over seeds 0, 1, 2: test NLL, training wall time, and (bimodal) the gap to the
# entropy floor. Usage: bench/examples.sh [seeds...]   (default: 0 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
[ -f cli/target/flowguard.jar ] || mvn -B -q -pl cli -am package -DskipTests
seeds=("$@"); [ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
out=$(mktemp -d)
printf '%-8s %-5s %-10s %-12s %-14s\n' example seed test_nll train_s gap_to_floor
for ex in moons bimodal; do
  for s in "${seeds[@]}"; do
    java -jar cli/target/flowguard.jar example "$ex" --seed "$s" --out "$out/$ex-$s" >/dev/null 2>&1
    python3 - "$out/$ex-$s/result.json" "$ex" "$s" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
gap = r.get("gap_to_floor")
print(f"{sys.argv[2]:<8} {sys.argv[3]:<5} {r['test_nll']:<10.4f} {r['train_seconds']:<12.1f} {'' if gap is None else f'{gap:+.4f}'}")
PY
  done
done
