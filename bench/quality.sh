#!/usr/bin/env bash
# Runs `flowguard evaluate` (the PROTOCOL.md tabular protocol) on development sets and prints one line per
# set: name, mean AUROC, AP, test NLL, fit seconds (wall) over the given seeds, and the CPU seconds
# (user + sys) of the whole evaluate process per seed: an upper bound on the fit's CPU time that, unlike
# wall time, does not grow when other processes share the cores. Used for docs/defaults.md.
#
#   bench/quality.sh [-s 0,1,2] [-o OUTDIR] [set ...] [-- extra evaluate options]
#
# The CLI jar is copied to a private directory first, so a rebuild during a long run cannot disturb it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${FLOWGUARD_DATA:-$root/../shared/data}"
seeds=0,1,2
out=""
sets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -s) seeds="$2"; shift 2 ;;
    -o) out="$2"; shift 2 ;;
    --) shift; break ;;
    *) sets+=("$1"); shift ;;
  esac
done
extra=("$@")
if [[ ${#sets[@]} -eq 0 ]]; then
  for f in "$data"/*/; do n="$(basename "$f")"; [[ -f "$data/$n/$n.csv" ]] && sets+=("$n"); done
fi
run="$(mktemp -d /tmp/flowguard-quality.XXXXXX)"
cp "$root/cli/target/flowguard.jar" "$run/"
out="${out:-$run/out}"
mkdir -p "$out"
export OMP_NUM_THREADS=1
printf '%-18s %7s %7s %10s %7s %9s\n' set auroc ap test_nll fit_s cpu_s/seed
nseeds=$(awk -F, '{print NF}' <<< "$seeds")
for s in "${sets[@]}"; do
  TIMEFORMAT='%U %S'
  { time java -Xmx2g -jar "$run/flowguard.jar" evaluate --data "$data/$s/$s.csv" --seeds "$seeds" --out "$out/$s" \
      "${extra[@]}" > "$out/$s.txt" 2> "$out/$s.err"; } 2> "$out/$s.time" || { echo "$s FAILED: $(tail -1 "$out/$s.err")"; continue; }
  cpu=$(awk -v k="$nseeds" '{printf "%.2f", ($1 + $2) / k}' "$out/$s.time")
  # `evaluate` prints "mean AUROC ..." (flow only) or "flow mean AUROC ..." (with a method column).
  awk -v s="$s" -v cpu="$cpu" '$1=="mean" {printf "%-18s %7.4f %7.4f %10.3f %7.2f %9s\n", s, $2, $3, $4, $5, cpu}
      $1=="flow" && $2=="mean" {printf "%-18s %7.4f %7.4f %10.3f %7.2f %9s\n", s, $3, $4, $5, $6, cpu}' "$out/$s.txt"
done
echo "outputs in $out" >&2
