#!/usr/bin/env bash
# End-to-end benchmark of the Flowguard job (io.flowguard.job.bench.EndToEndBench): embedded Kafka,
# JSON in and out, local Flink at parallelism 2, MAF d = 10 (5 x 128). Prints exactly-once
# throughput and at-least-once latency at a fixed rate, for the flow and for a trivial scorer.
#
#   demo/bench.sh                                   # flow vs trivial scorer, alternated, 3 runs each:
#                                                   # 100 000 events exactly-once; 5 000 and 10 000
#                                                   # events/s at-least-once for 20 s; medians, ratios,
#                                                   # each throughput run's CPU per event by thread group
#   BENCH_BACKGROUND_LOAD=2 demo/bench.sh           # the same with two busy loops at nice 19 beside it
#                                                   # (BENCH_BACKGROUND_NICE=0: at the job's priority)
#   BENCH_SIMD=false demo/bench.sh                  # the scalar scoring kernel (no Vector API module)
#   demo/bench.sh --all-variants true               # also the flow without explanations and a
#                                                   # time-aware flow (k = 16), all in one run
#   demo/bench.sh --runs 0                          # one run of each, no medians
#   demo/bench.sh --events 50000 --rate 2000 --seconds 10 --trivial false
#   demo/bench.sh --false-alarm-rate 0.01 --explain-top 0   # explanations off (default top 3, rate 0.001)
#   demo/bench.sh --dim 1 --context-window 16       # d = 1, a time-aware model of k = 16 previous events
#
# The cost of context: exactly-once throughput of the context-free model and of a time-aware one of the
# same architecture (trained on the same rows, ordered per key by time), alternated ABBA, 3 runs each,
# medians and their ratio (throughput only):
#
#   demo/bench.sh --dim 10 --context-window 16 --runs 3
#
# In-job retraining (io.flowguard.job.bench.InJobRetrainBench): state size of a 50 000-event reservoir,
# retraining wall time (10 000 and 50 000 rows), exactly-once throughput with and without a
# retraining running (alternated runs, medians):
#
#   demo/bench.sh retrain                           # 200 000 events, 3 runs each
#   demo/bench.sh retrain --events 50000 --runs 5 --big-runs 0
#
# Builds demo/target/flowguard-demo.jar (and target/lib) first when it is missing or older
# than the sources (BENCH_REBUILD=1 forces a build, BENCH_REBUILD=0 skips it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jar="demo/target/flowguard-demo.jar"

needs_build() {
  [[ ! -f "$jar" ]] && return 0
  [[ -n "$(find pom.xml flink-job/pom.xml flink-job/src/main demo/pom.xml demo/src/main connectors/testkit/src/main connectors/flink/src/main connectors/kafka/src/main flow-core/src/main \
    -newer "$jar" -print -quit)" ]]
}

case "${BENCH_REBUILD:-auto}" in
  1) build=1 ;;
  0) build=0 ;;
  *) if needs_build; then build=1; else build=0; fi ;;
esac
if [[ "$build" == 1 ]]; then
  echo "building $jar ..." >&2
  mvn -B -q -pl demo -am package -DskipTests
fi

export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
main=io.flowguard.job.bench.EndToEndBench
if [[ "${1:-}" == "retrain" ]]; then
  main=io.flowguard.job.bench.InJobRetrainBench
  shift
fi
# A fixed background load (issue 20's "loaded machine"): BENCH_BACKGROUND_LOAD=N starts N busy loops
# (`nice -n 19 sh -c 'while :; do :; done'`, lowest priority) for the whole run and stops them after.
load_pids=()
stop_load() {
  if (( ${#load_pids[@]} > 0 )); then
    kill "${load_pids[@]}" 2>/dev/null || true
  fi
}
trap stop_load EXIT
for ((i = 0; i < ${BENCH_BACKGROUND_LOAD:-0}; i++)); do
  nice -n "${BENCH_BACKGROUND_NICE:-19}" sh -c 'while :; do :; done' &
  load_pids+=($!)
done
if (( ${#load_pids[@]} > 0 )); then
  echo "background load: ${#load_pids[@]} busy loop(s) at nice ${BENCH_BACKGROUND_NICE:-19}" >&2
fi

# The scoring kernel's SIMD products (Vector API) unless BENCH_SIMD=false: the job's fast path.
simd=(--add-modules=jdk.incubator.vector)
if [[ "${BENCH_SIMD:-true}" == "false" ]]; then
  simd=()
fi
java -Xmx4g "${simd[@]}" -cp "$jar" "$main" "$@"
