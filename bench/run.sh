#!/usr/bin/env bash
# Runs the scoring benchmark (io.flowguard.bench.LogProbBenchmark) and prints the JMH table in events/s.
#
#   bench/run.sh                           # defaults: 2 forks, 3 x 1 s warmup, 5 x 1 s measurement
#   bench/run.sh -f 1 -wi 2 -w 1 -i 3 -r 1 # quicker, rougher
#   bench/run.sh -p model=maf-d10 -p batch=64
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

exec java -jar "$jar" LogProbBenchmark "$@"
