#!/usr/bin/env bash
# The local stack without Docker: Kafka (KRaft, 127.0.0.1:9092), InfluxDB (v2 API,
# 127.0.0.1:8086) and Mosquitto (127.0.0.1:1884). See scripts/stack/README.md.
#
#   bash scripts/stack.sh up [--fresh]   build what is missing, start, wait until healthy,
#                                         write .stack/env; a no-op when all are up
#   bash scripts/stack.sh down           stop everything started by `up`
#   bash scripts/stack.sh status         one line per service; exit 1 if any is down
#   bash scripts/stack.sh stop SERVICE   stop one service (kafka, influxdb or mosquitto), data kept
#   bash scripts/stack.sh start SERVICE  start one service on its existing data, wait until healthy
#   bash scripts/stack.sh restart SERVICE  stop, then start (the fault tests use these three)
#
# Environment: SEALWATCH_CACHE (downloads and builds, default ~/.cache/sealwatch),
# SEALWATCH_STACK_DIR (data, logs, pids, env; default <repo>/.stack), SEALWATCH_STACK_FRESH=1
# (same as --fresh: wipe the data dirs first), SEALWATCH_KAFKA_VERSION,
# SEALWATCH_INFLUX_SERVER (2.x or 1.8), SEALWATCH_INFLUXDB_VERSION.
set -euo pipefail

STACK_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/stack" && pwd)
REPO_ROOT=$(cd "$STACK_SCRIPTS/../.." && pwd)
STACK_DIR=${SEALWATCH_STACK_DIR:-$REPO_ROOT/.stack}
STACK_CACHE=${SEALWATCH_CACHE:-$HOME/.cache/sealwatch}
# Absolute, since services run from other directories and are recognised by these paths.
mkdir -p "$STACK_DIR" "$STACK_CACHE"
STACK_DIR=$(cd "$STACK_DIR" && pwd)
STACK_CACHE=$(cd "$STACK_CACHE" && pwd)
SERVICES=(mosquitto kafka influxdb)

# rustup's and the Go tarball's usual homes; login shells add them, CI shells may not.
for dir in "$HOME/.cargo/bin" /usr/local/go/bin; do
  case ":$PATH:" in *":$dir:"*) ;; *) if [ -d "$dir" ]; then PATH="$PATH:$dir"; fi ;; esac
done

# shellcheck source=scripts/stack/lib.sh
source "$STACK_SCRIPTS/lib.sh"
# shellcheck source=scripts/stack/mosquitto.sh
source "$STACK_SCRIPTS/mosquitto.sh"
# shellcheck source=scripts/stack/kafka.sh
source "$STACK_SCRIPTS/kafka.sh"
# shellcheck source=scripts/stack/influxdb.sh
source "$STACK_SCRIPTS/influxdb.sh"

write_env() {
  local file="$STACK_DIR/env"
  {
    printf '# Written by scripts/stack.sh up at %s. Local development credentials only.\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    kafka_env
    influxdb_env
    mosquitto_env
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}

# One `up` or `down` at a time per stack dir: two test runs starting together must not both
# start (or one stop) the same services. fd 9 holds the lock; start_daemon closes it so the
# services do not inherit it.
take_lock() {
  need_command stack flock "flock (util-linux) serialises concurrent stack.sh runs"
  mkdir -p "$STACK_DIR/run"
  exec 9>"$STACK_DIR/run/stack.lock"
  if ! flock -n 9; then
    say "waiting for another 'stack.sh up/down' on $STACK_DIR to finish..."
    flock -w 3600 9 || fail stack "another stack.sh held $STACK_DIR/run/stack.lock for an hour"
  fi
}

stack_up() {
  local fresh=${SEALWATCH_STACK_FRESH:-0}
  [ "${1:-}" = --fresh ] && fresh=1
  need_command stack node "Node.js 20 runs the readiness probes"
  local start
  start=$(now_ms)
  mkdir -p "$STACK_DIR/run" "$STACK_DIR/log" "$STACK_DIR/data"
  if [ "$fresh" = 1 ]; then
    say "fresh: stopping services and wiping $STACK_DIR/data"
    stack_down
    rm -rf "$STACK_DIR/data"
    mkdir -p "$STACK_DIR/data"
  fi
  local service
  for service in "${SERVICES[@]}"; do "${service}_up"; done
  write_env
  say "all healthy ($(seconds_since "$start")); settings in $STACK_DIR/env"
}

stack_down() {
  local service i
  for (( i = ${#SERVICES[@]} - 1; i >= 0; i-- )); do
    service=${SERVICES[$i]}
    "${service}_down"
  done
}

stack_status() {
  local service rc=0
  for service in "${SERVICES[@]}"; do "${service}_status" || rc=1; done
  return "$rc"
}

# service_name NAME: NAME if it is one of SERVICES, else a usage error naming the choices.
service_name() {
  local service
  for service in "${SERVICES[@]}"; do
    if [ "${1:-}" = "$service" ]; then printf '%s' "$service"; return 0; fi
  done
  printf 'stack.sh: unknown service %s: expected one of %s\n' "'${1:-}'" "${SERVICES[*]}" >&2
  exit 2
}

# One service alone, for fault tests: its data directory is never wiped, and `start` returns
# only once the service passes the same readiness probe as `up` (Mosquitto reloads its
# persisted sessions and queued QoS 1 messages; Kafka and InfluxDB recover their logs).
service_stop() { "${1}_down"; }
service_start() {
  need_command stack node "Node.js 20 runs the readiness probes"
  mkdir -p "$STACK_DIR/run" "$STACK_DIR/log" "$STACK_DIR/data"
  "${1}_up"
  write_env
}

case "${1:-}" in
  up) shift; take_lock; stack_up "$@" ;;
  down) take_lock; stack_down ;;
  status) stack_status ;;
  stop) svc=$(service_name "${2:-}"); take_lock; service_stop "$svc" ;;
  start) svc=$(service_name "${2:-}"); take_lock; service_start "$svc" ;;
  restart) svc=$(service_name "${2:-}"); take_lock; service_stop "$svc"; service_start "$svc" ;;
  *)
    printf 'usage: %s up [--fresh] | down | status | stop|start|restart kafka|influxdb|mosquitto\n' "$0" >&2
    exit 2
    ;;
esac
