#!/bin/sh
# Replays a JSON-lines file into the events topic with kafka-console-producer (runs in the
# apache/kafka image), one record per line, EVENTS_PER_SECOND lines a second, REPLAY_LOOPS times
# (0 = forever). Records carry no Kafka key: the job keys events by their "key" field.
set -eu

BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:19092}"
EVENTS_TOPIC="${EVENTS_TOPIC:-events}"
EVENTS_FILE="${EVENTS_FILE:-/sample/events.jsonl}"
EVENTS_PER_SECOND="${EVENTS_PER_SECOND:-20}"
REPLAY_LOOPS="${REPLAY_LOOPS:-1}"
PRODUCER="${KAFKA_HOME:-/opt/kafka}/bin/kafka-console-producer.sh"

if [ ! -r "${EVENTS_FILE}" ]; then
  echo "cannot read ${EVENTS_FILE}" >&2
  exit 2
fi

replay_once() {
  n=0
  while IFS= read -r line || [ -n "${line}" ]; do
    printf '%s\n' "${line}"
    n=$((n + 1))
    if [ "${n}" -ge "${EVENTS_PER_SECOND}" ]; then
      n=0
      sleep 1
    fi
  done < "${EVENTS_FILE}"
}

replay() {
  i=0
  while [ "${REPLAY_LOOPS}" -eq 0 ] || [ "${i}" -lt "${REPLAY_LOOPS}" ]; do
    replay_once
    i=$((i + 1))
    echo "replayed ${EVENTS_FILE} (${i})" >&2
  done
}

echo "producing ${EVENTS_FILE} to ${EVENTS_TOPIC} at ${BOOTSTRAP_SERVERS}, ${EVENTS_PER_SECOND}/s" >&2
replay | "${PRODUCER}" --bootstrap-server "${BOOTSTRAP_SERVERS}" --topic "${EVENTS_TOPIC}" \
  --producer-property acks=all
