#!/usr/bin/env bash
# The explanation benchmark (flowguard evaluate --explain) with Random Cut Forest on the class path:
# randomcutforest-core is a 'provided' dependency of flow-core (not in the CLI's runtime), so this script
# builds the class path from Maven and runs the CLI's main class. Arguments pass through, e.g.
#   bench/explain.sh --out /tmp/explain --explain-dims 5,10 --explain-events 100
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -o -q -pl flow-core -am compile
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -B -o -q -pl flow-core dependency:build-classpath -Dmdep.includeScope=compile -Dmdep.outputFile="$cp_file" >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
exec java -Xmx2g -cp "flow-core/target/classes:$(cat "$cp_file")" io.flowguard.core.cli.FlowguardCli evaluate --explain "$@"
