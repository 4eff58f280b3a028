#!/usr/bin/env bash
# One-shot: trains a model on normal events with the flowguard CLI and publishes it to the model topic
# (runs in the flowguard image). Model files are kept in MODEL_DIR, one per version, so that an older
# one can be published again (roll back). A version that already exists is published as it is, not
# retrained, unless RETRAIN=true.
#
#   docker compose -f docker/docker-compose.yml run --rm -e MODEL_VERSION=2 model-trainer
set -euo pipefail

TRAIN_DATA="${TRAIN_DATA:-/opt/flowguard/sample/normal.csv}"
MODEL_NAME="${MODEL_NAME:-default}"
MODEL_VERSION="${MODEL_VERSION:-1}"
MODEL_DIR="${MODEL_DIR:-/opt/flowguard/models}"
TRAIN_EPOCHS="${TRAIN_EPOCHS:-100}"
TRAIN_SEED="${TRAIN_SEED:-0}"
TRAIN_ARGS="${TRAIN_ARGS:-}"  # more `flowguard train` options, e.g. "--spec realnvp --ignore label"
BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:19092}"
MODEL_TOPIC="${MODEL_TOPIC:-flowguard-models}"

model="${MODEL_DIR}/${MODEL_NAME}-v${MODEL_VERSION}.fgm"
mkdir -p "${MODEL_DIR}"

if [[ -s "${model}" && "${RETRAIN:-false}" != "true" ]]; then
  echo "Reusing ${model} (set RETRAIN=true to train it again)"
else
  extra=()
  if [[ -n "${TRAIN_ARGS}" ]]; then
    read -r -a extra <<< "${TRAIN_ARGS}"
  fi
  flowguard train --data "${TRAIN_DATA}" --out "${model}" --name "${MODEL_NAME}" \
    --model-version "${MODEL_VERSION}" --epochs "${TRAIN_EPOCHS}" --seed "${TRAIN_SEED}" "${extra[@]}"
fi

flowguard inspect "${model}"
flowguard publish "${model}" --bootstrap-servers "${BOOTSTRAP_SERVERS}" --topic "${MODEL_TOPIC}"
echo "Published ${model} to ${MODEL_TOPIC} at ${BOOTSTRAP_SERVERS}"
