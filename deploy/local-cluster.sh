#!/usr/bin/env bash
# The docker-compose deployment as separate processes on this machine's loopback, without Docker:
# a three-broker KRaft cluster (replication 3, min.insync.replicas 2), the simulated model, two
# Runnel instances, the gateway, PostgreSQL and a Kafka Connect worker with the sessions sink.
#
#   deploy/local-cluster.sh start     # starts everything, waits until each part is healthy
#   deploy/local-cluster.sh status    # what runs, with pids and addresses
#   deploy/local-cluster.sh stop      # stops everything start started (also after a failed start)
#
# Needs `mvn -q -B install -DskipTests` (or `mvn -q -B -pl deploy -am package -DskipTests`) first:
# Runnel's roles run from the distribution's bin/runnel, the brokers, Kafka's tools and the Connect
# worker from deploy/target/kafka-lib. PostgreSQL comes from Debian's postgresql package.
# Environment: RUNNEL_CLUSTER_DIR (pids, logs, data; default deploy/target/local-cluster),
# RUNNEL_CLUSTER_PORT_BASE (default 19000; the ports used are base+11 .. base+80), RUNNEL_HOME
# (the distribution folder), RUNNEL_KAFKA_LIB (the class path folder), JAVA_HOME.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$here")
dir=${RUNNEL_CLUSTER_DIR:-$here/target/local-cluster}
base=${RUNNEL_CLUSTER_PORT_BASE:-19000}
kafka_lib=${RUNNEL_KAFKA_LIB:-$here/target/kafka-lib}
if [ -z "${RUNNEL_HOME:-}" ]; then
  RUNNEL_HOME=$(ls -d "$root"/distribution/target/runnel-*/ 2>/dev/null | head -n 1 || true)
fi
java=java
[ -n "${JAVA_HOME:-}" ] && java=$JAVA_HOME/bin/java
# Small heaps and a quick JIT: eight JVMs share two cores.
# The property marks every process of this cluster (see running_pid).
jvm_opts="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Drunnel.local.cluster=$dir"
cluster_id=4L6g3nShT-eMCtK--X86sw
application_id=runnel-app
partitions=${RUNNEL_TOPIC_PARTITIONS:-4}

broker_port() { echo $((base + 10 + $1)); }
controller_port() { echo $((base + 20 + $1)); }
simulator_port=$((base + 30))
metrics_port() { echo $((base + 40 + $1)); }
query_port() { echo $((base + 50 + $1)); }
gateway_port=$((base + 60))
postgres_port=$((base + 70))
connect_port=$((base + 80))
bootstrap="127.0.0.1:$(broker_port 1),127.0.0.1:$(broker_port 2),127.0.0.1:$(broker_port 3)"
voters="1@127.0.0.1:$(controller_port 1),2@127.0.0.1:$(controller_port 2),3@127.0.0.1:$(controller_port 3)"
# Stop order: front door first, brokers last.
components="gateway runnel-2 runnel-1 connect simulator kafka-1 kafka-2 kafka-3"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() {
  echo "local-cluster: $*" >&2
  exit 1
}

# Kafka's command-line tools, quiet but for warnings.
kafka_java() {
  "$java" $jvm_opts -Xmx128m -Dlogback.configurationFile="$dir/logback-tools.xml" -cp "$kafka_lib/*" "$@"
}

# A pid file names a process of this cluster only while that process still runs with this
# cluster's folder on its command line, so a reused pid is never signalled.
running_pid() {
  local file=$dir/pids/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir" && echo "$pid"
}

# Starts a long-running process in the background, its output in logs/<name>.log.
spawn() {
  local name=$1
  shift
  "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
  log "started $name (pid $!, log $dir/logs/$name.log)"
}

# Waits until the check succeeds; fails early when the component's process has died.
await() {
  local name=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$name" != postgres ] && ! running_pid "$name" >/dev/null; then
      tail -n 30 "$dir/logs/$name.log" >&2 || true
      fail "$name exited before it was ready (log: $dir/logs/$name.log)"
    fi
    [ $SECONDS -lt $deadline ] || fail "$name not ready after ${seconds}s (log: $dir/logs/$name.log)"
    sleep 1
  done
  log "$name ready"
}

http_ok() { curl -fsS -o /dev/null --max-time 5 "$1"; }
port_open() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_bin() {
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$b" ] && [ -x "$b/initdb" ] ||
    fail "PostgreSQL not found under /usr/lib/postgresql/*/bin: apt-get install -y --no-install-recommends postgresql"
  echo "$b"
}
# initdb refuses root: as root, the server runs as the package's postgres user, in a folder it owns.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_data() { cat "$dir/postgres.path"; }

broker_count() {
  kafka_java org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$bootstrap" 2>/dev/null |
    grep -cE '^[^ ]+ \(id: [0-9]+ ' || true
}
three_brokers() { [ "$(broker_count)" = 3 ]; }

connector_running() {
  local status
  status=$(curl -fsS --max-time 5 "http://127.0.0.1:$connect_port/connectors/runnel-sessions-postgres/status") || return 1
  # The connector and its one task.
  [ "$(grep -o '"state":"RUNNING"' <<<"$status" | wc -l)" -ge 2 ]
}

start_postgres() {
  local bin data
  bin=$(pg_bin)
  if [ "$(id -u)" = 0 ]; then
    data=$(mktemp -d /tmp/runnel-local-cluster-pg.XXXXXX)
    chown postgres "$data"
  else
    data=$dir/postgres
    mkdir -p "$data"
  fi
  echo "$data" >"$dir/postgres.path"
  as_pg "$bin/initdb" -D "$data/data" -U runnel --auth=trust --encoding=UTF8 --no-sync \
    >"$dir/logs/postgres-initdb.log" 2>&1 || fail "initdb failed (log: $dir/logs/postgres-initdb.log)"
  ln -sf "$data/server.log" "$dir/logs/postgres.log"
  as_pg "$bin/pg_ctl" -D "$data/data" -l "$data/server.log" -w -t 60 \
    -o "-p $postgres_port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB" start \
    >"$dir/logs/postgres-ctl.log" 2>&1 || {
    cat "$data/server.log" >&2 || true
    fail "PostgreSQL did not start on port $postgres_port"
  }
  await postgres 60 pg_isready -h 127.0.0.1 -p "$postgres_port" -U runnel
  "$bin/createdb" -h 127.0.0.1 -p "$postgres_port" -U runnel runnel
}

start_broker() {
  local i=$1
  local conf=$dir/kafka-$i/server.properties
  mkdir -p "$dir/kafka-$i"
  cat >"$conf" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i"),CONTROLLER://127.0.0.1:$(controller_port "$i")
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/kafka-$i/data
auto.create.topics.enable=false
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
EOF
  kafka_java kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$conf" \
    >"$dir/logs/kafka-$i-format.log" 2>&1 || fail "formatting kafka-$i failed (log: $dir/logs/kafka-$i-format.log)"
  spawn "kafka-$i" "$java" $jvm_opts -Xmx256m -Dlogback.configurationFile="$dir/logback.xml" \
    -cp "$kafka_lib/*" kafka.Kafka "$conf"
}

start_runnel() {
  local i=$1
  local conf=$dir/runnel-$i/runnel.properties
  mkdir -p "$dir/runnel-$i"
  cat >"$conf" <<EOF
bootstrap.servers=$bootstrap
application.id=$application_id
state.dir=$dir/runnel-$i/state
runnel.topic.create=false
runnel.topic.replication.factor=3
runnel.model.provider=simulated
runnel.model.base.url=http://127.0.0.1:$simulator_port/v1
runnel.model.default=runnel-sim
runnel.metrics.port=$(metrics_port "$i")
runnel.query.port=$(query_port "$i")
runnel.query.advertised.host=127.0.0.1
EOF
  JAVA_OPTS="$jvm_opts -Xmx256m" spawn "runnel-$i" "$RUNNEL_HOME/bin/runnel" topology "$conf"
}

start_connect() {
  local conf=$dir/connect/worker.properties sink=$dir/connect/postgres-sessions-sink.properties
  mkdir -p "$dir/connect"
  cat >"$conf" <<EOF
bootstrap.servers=$bootstrap
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=dev.runnel.connect.SessionStateConverter
offset.storage.file.filename=$dir/connect/offsets
offset.flush.interval.ms=1000
listeners=http://127.0.0.1:$connect_port
plugin.discovery=service_load
EOF
  # The shipped sink configuration; a later key wins, so only the database address and password
  # (none: the local server trusts loopback) change.
  cp "$root/connectors/config/postgres-sessions-sink.properties" "$sink"
  printf '\n# local-cluster.sh\nconnection.url=jdbc:postgresql://127.0.0.1:%s/runnel\nconnection.password=\n' \
    "$postgres_port" >>"$sink"
  spawn connect "$java" $jvm_opts -Xmx384m -Dlogback.configurationFile="$dir/logback.xml" \
    -cp "$kafka_lib/*" org.apache.kafka.connect.cli.ConnectStandalone "$conf" "$sink"
}

start() {
  [ -n "$RUNNEL_HOME" ] && [ -x "$RUNNEL_HOME/bin/runnel" ] ||
    fail "no distribution (bin/runnel) found: build it with 'mvn -q -B -pl deploy -am package -DskipTests' or set RUNNEL_HOME"
  compgen -G "$kafka_lib/kafka_2.13-*.jar" >/dev/null ||
    fail "no Kafka class path in $kafka_lib: build it with 'mvn -q -B -pl deploy -am package -DskipTests'"
  for name in $components; do
    if running_pid "$name" >/dev/null; then fail "$name already runs (pid $(running_pid "$name")): stop first"; fi
  done
  rm -rf "$dir"
  mkdir -p "$dir/pids" "$dir/logs"
  # A failed start stops what it had started.
  trap 'rc=$?; [ $rc = 0 ] || { echo "local-cluster: start failed, stopping what it started" >&2; stop; }; exit $rc' EXIT
  cat >"$dir/logback.xml" <<'EOF'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
EOF
  sed 's/level="INFO"/level="WARN"/' "$dir/logback.xml" >"$dir/logback-tools.xml"
  JAVA_OPTS="$jvm_opts -Xmx128m" spawn simulator "$RUNNEL_HOME/bin/runnel" simulator --host 127.0.0.1 --port "$simulator_port" \
    --ttft-ms "${SIM_TTFT_MS:-50}" --tps "${SIM_TPS:-200}"
  start_postgres
  for i in 1 2 3; do start_broker "$i"; done
  await simulator 60 port_open "$simulator_port"
  await kafka-1 120 three_brokers
  # The topics as docker-compose's `topics` service creates them, with Kafka's own TopicCommand.
  printf '#!/bin/sh\nexec "%s" %s -Xmx128m -cp "%s/*" org.apache.kafka.tools.TopicCommand "$@"\n' \
    "$java" "$jvm_opts" "$kafka_lib" >"$dir/kafka-topics.sh"
  chmod +x "$dir/kafka-topics.sh"
  KAFKA_TOPICS="$dir/kafka-topics.sh" BOOTSTRAP="$bootstrap" RUNNEL_TOPIC_PARTITIONS=$partitions \
    bash "$here/create-topics.sh" >"$dir/logs/topics.log" 2>&1 ||
    fail "creating the topics failed (log: $dir/logs/topics.log)"
  log "topics created"
  start_runnel 1
  start_runnel 2
  start_connect
  await runnel-1 180 http_ok "http://127.0.0.1:$(metrics_port 1)/health"
  await runnel-2 180 http_ok "http://127.0.0.1:$(metrics_port 2)/health"
  # One API key for the tenant "local": the raw key for clients, its SHA-256 for the gateway.
  key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && printf '%s\n' "$key" >"$dir/gateway-api-key")
  printf 'local %s\n' "$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)" >"$dir/gateway-keys"
  cat >"$dir/gateway.properties" <<EOF
bootstrap.servers=$bootstrap
runnel.gateway.keys.file=$dir/gateway-keys
runnel.gateway.bind.address=127.0.0.1
runnel.gateway.port=$gateway_port
runnel.gateway.query.urls=http://127.0.0.1:$(query_port 1),http://127.0.0.1:$(query_port 2)
runnel.model.default=runnel-sim
EOF
  JAVA_OPTS="$jvm_opts -Xmx192m" spawn gateway "$RUNNEL_HOME/bin/runnel" gateway "$dir/gateway.properties"
  await connect 180 connector_running
  await gateway 120 http_ok "http://127.0.0.1:$gateway_port/ready"
  trap - EXIT
  status
}

# SIGTERM to each process it started, SIGKILL to what is left after 60 s; PostgreSQL by pg_ctl.
stop() {
  local name pid pids=""
  for name in $components; do
    if pid=$(running_pid "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids="$pids $name:$pid"
    fi
  done
  local deadline=$((SECONDS + 60))
  for entry in $pids; do
    name=${entry%%:*}
    pid=${entry#*:}
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) still runs after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name"
  done
  if [ -f "$dir/postgres.path" ]; then
    local data
    data=$(pg_data)
    if [ -f "$data/data/postmaster.pid" ]; then
      as_pg "$(pg_bin)/pg_ctl" -D "$data/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
      log "stopped postgres"
    fi
    case $data in
      /tmp/runnel-local-cluster-pg.*)
        cp "$data/server.log" "$dir/logs/postgres.log.saved" 2>/dev/null || true
        rm -rf "$data"
        ;;
    esac
    rm -f "$dir/postgres.path"
  fi
}

status() {
  local name pid
  for name in $components; do
    if pid=$(running_pid "$name"); then
      printf '%-10s running  pid %s\n' "$name" "$pid"
    else
      printf '%-10s stopped\n' "$name"
    fi
  done
  if [ -f "$dir/postgres.path" ] && [ -f "$(pg_data)/data/postmaster.pid" ]; then
    printf '%-10s running  pid %s\n' postgres "$(head -n 1 "$(pg_data)/data/postmaster.pid")"
  else
    printf '%-10s stopped\n' postgres
  fi
  echo "brokers:  $bootstrap"
  echo "gateway:  http://127.0.0.1:$gateway_port/ (API key: $dir/gateway-api-key)"
  echo "connect:  http://127.0.0.1:$connect_port/connectors"
  echo "postgres: psql -h 127.0.0.1 -p $postgres_port -U runnel runnel"
  echo "logs:     $dir/logs"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
