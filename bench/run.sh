#!/usr/bin/env bash
# Runs a JMH benchmark of io.flowguard.bench and prints its table: the scoring benchmark
# (LogProbBenchmark, events/s) unless the first argument names another (TrainingBenchmark, ms/step).
#
#   bench/run.sh                           # scoring; defaults: 2 forks, 3 x 1 s warmup, 5 x 1 s measurement
#   bench/run.sh -f 1 -wi 2 -w 1 -i 3 -r 1 # quicker, rougher
#   bench/run.sh -p model=maf-d10 -p batch=64
#   bench/run.sh TrainingBenchmark         # training: ms per optimizer step of the default architecture
#
# Any JMH option is passed through (java -jar bench/target/benchmarks.jar -h lists them).
# Builds bench/target/benchmarks.jar first when it is missing or older than the sources
# (BENCH_REBUILD=1 forces a build, BENCH_REBUILD=0 skips it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="bench/target/benchmarks.jar"

needs_build() {
  [[ ! -f "$jar" ]] && return 0
  [[ -n "$(find pom.xml bench/pom.xml flow-core/pom.xml bench/src flow-core/src/main -newer "$jar" -print -quit)" ]]
}

case "${BENCH_REBUILD:-auto}" in
  1) build=1 ;;
  0) build=0 ;;
  *) if needs_build; then build=1; else build=0; fi ;;
esac
if [[ "$build" == 1 ]]; then
  echo "building $jar ..." >&2
  mvn -B -q -pl bench -am package -DskipTests
fi

# The forked benchmark JVMs inherit these: ND4J's OpenMP and OpenBLAS stay on one thread, like the
# benchmark thread (a JVM option cannot set them, and the default thread count is much slower on a
# small shared machine).
export OMP_NUM_THREADS=1
export OPENBLAS_NUM_THREADS=1

benchmark=LogProbBenchmark
if [[ "${1:-}" == *Benchmark ]]; then
  benchmark=$1
  shift
fi
exec java -jar "$jar" "$benchmark" "$@"
