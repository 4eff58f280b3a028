#!/usr/bin/env bash
# Pure-Java vs ND4J matrix backend: wall and CPU seconds of `flowguard example moons` (RUNS runs each,
# alternated; CPU = user + system of the process, the fairer figure on a shared machine) and
# TrainingBenchmark's ms per optimizer step of the default model at d = 10 and 36, one thread each.
#
#   bench/backends.sh                 # writes bench/results-backends-YYYY-MM-DD.txt
#   RUNS=3 bench/backends.sh
#   PARTS=training BENCH_JAR=/tmp/benchmarks.jar bench/backends.sh   # one part, a copy of the jar
#
# Uses bench/target/benchmarks.jar (it holds flowguard-core, flowguard-nd4j and the CLI); builds it when
# missing. The backend is forced with -Dflowguard.backend=java|nd4j.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="${BENCH_JAR:-bench/target/benchmarks.jar}"
[[ -f "$jar" ]] || mvn -B -q -pl bench -am package -DskipTests
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
out="bench/results-backends-$(date -u +%F).txt"
{
  echo "# bench/backends.sh, $(date -u '+%F %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "## flowguard example moons: seconds (JVM start, training, report)"
  for run in $(seq 1 "${RUNS:-1}"); do
    [[ "${PARTS:-moons,training}" == *moons* ]] || break
    for backend in java nd4j; do
      dir="$(mktemp -d)"
      /usr/bin/time -f "moons run $run backend $backend wall %e s cpu %U+%S s" -o "$dir/time.txt" \
        java -Dflowguard.backend=$backend -cp "$jar" io.flowguard.core.cli.FlowguardCli example moons --out "$dir/out" >/dev/null 2>&1
      cat "$dir/time.txt"
      rm -rf "$dir"
    done
  done
  echo "## TrainingBenchmark (ms per step; batch 256, MAF 5 layers, hidden 8d within 32..128)"
  for backend in java nd4j; do
    [[ "${PARTS:-moons,training}" == *training* ]] || break
    echo "### backend $backend"
    java -jar "$jar" TrainingBenchmark -f 1 -wi 2 -w 2 -i 3 -r 2 -jvmArgsAppend "-Dflowguard.backend=$backend" 2>&1 \
      | grep -E '^(Benchmark|TrainingBenchmark)'
  done
} | tee "$out"
