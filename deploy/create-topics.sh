#!/bin/bash
# Creates Runnel's topics before any application starts (brokers refuse auto-creation). Safe to
# re-run: existing topics are left alone. Partitions cap how many stream threads share the work.
set -euo pipefail
BOOTSTRAP="${BOOTSTRAP:-kafka-1:9092,kafka-2:9092,kafka-3:9092}"
PARTITIONS="${RUNNEL_TOPIC_PARTITIONS:-6}"
# Kafka's image has the script; deploy/local-cluster.sh passes its own.
KT="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"
create() {
  "$KT" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --replication-factor 3 "$@"
}
create --topic runnel.prompts --partitions "$PARTITIONS"
create --topic runnel.cancellations --partitions "$PARTITIONS"
create --topic runnel.chunks --partitions "$PARTITIONS"
create --topic runnel.sessions --partitions "$PARTITIONS" \
  --config cleanup.policy=compact --config segment.ms=3600000 \
  --config min.cleanable.dirty.ratio=0.1 --config min.compaction.lag.ms=60000
create --topic runnel.dead-letters --partitions "$PARTITIONS" --config retention.ms=2592000000
# Read and written only by applications that declare remote tools; the results topic needs the
# prompts topic's partition count.
create --topic runnel.tool-calls --partitions "$PARTITIONS"
create --topic runnel.tool-results --partitions "$PARTITIONS"
"$KT" --bootstrap-server "$BOOTSTRAP" --list
