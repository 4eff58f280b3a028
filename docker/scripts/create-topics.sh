#!/bin/sh
# One-shot: creates Flowguard's topics if they are missing (runs in the apache/kafka image).
#
# Topic names and partitions come from the environment (see docker-compose.yml); an existing topic is
# left as it is. The model topic is compacted (the latest model per name is kept forever) and accepts
# records of up to 32 MiB plus framing, as the publisher and the job expect.
set -eu

BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:19092}"
PARTITIONS="${PARTITIONS:-4}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
# 32 MiB of model + 64 KiB of key, headers and batch framing (ModelTopic.MAX_MODEL_BYTES + overhead).
MODEL_MAX_MESSAGE_BYTES="${MODEL_MAX_MESSAGE_BYTES:-33619968}"
KAFKA_TOPICS="${KAFKA_HOME:-/opt/kafka}/bin/kafka-topics.sh"

create() {
  topic="$1"
  partitions="$2"
  shift 2
  echo "topic ${topic}: ${partitions} partition(s) $*"
  "${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP_SERVERS}" --create --if-not-exists \
    --topic "${topic}" --partitions "${partitions}" --replication-factor "${REPLICATION_FACTOR}" "$@"
}

create "${EVENTS_TOPIC:-events}" "${PARTITIONS}"
create "${SCORES_TOPIC:-scores}" "${PARTITIONS}"
create "${ALERTS_TOPIC:-alerts}" "${PARTITIONS}"
create "${DEAD_LETTERS_TOPIC:-dead-letters}" "${PARTITIONS}"
create "${MODEL_TOPIC:-flowguard-models}" 1 \
  --config cleanup.policy=compact \
  --config "max.message.bytes=${MODEL_MAX_MESSAGE_BYTES}"
# The last versions of every model (flowguard models list / rollback), and what happened to them.
create "${MODEL_TOPIC:-flowguard-models}-history" 1 \
  --config cleanup.policy=compact \
  --config "max.message.bytes=${MODEL_MAX_MESSAGE_BYTES}"
# The model-events topic under the name the job (model-events.topic) and the CLI use by default.
create flowguard-model-events 1

"${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP_SERVERS}" --describe --topic "${MODEL_TOPIC:-flowguard-models}"
