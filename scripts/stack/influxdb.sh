# InfluxDB with the v2 HTTP API on 127.0.0.1:8086, sourced by scripts/stack.sh.
# Built from source with the Go toolchain (no v2 server is packaged for Debian):
#   2.x (default): github.com/influxdata/influxdb/v2, Flux's Rust library built by cargo
#   1.8:           github.com/influxdata/influxdb v1.8.10, /api/v2/write and Flux on /api/v2/query
# Pick with SEALWATCH_INFLUX_SERVER=2.x|1.8; both serve bucket "sealwatch" to the v2 client.

INFLUX_KIND=${SEALWATCH_INFLUX_SERVER:-2.x}
case "$INFLUX_KIND" in
  2.x) INFLUX_VERSION=${SEALWATCH_INFLUXDB_VERSION:-v2.8.0} ;;
  1.8) INFLUX_VERSION=${SEALWATCH_INFLUXDB_VERSION:-v1.8.10} ;;
  *) fail influxdb "SEALWATCH_INFLUX_SERVER must be 2.x or 1.8, not '$INFLUX_KIND'" ;;
esac
INFLUX_HOST=127.0.0.1
INFLUX_PORT=8086
INFLUX_RPC_PORT=8088 # 1.8 only: backup/restore RPC, loopback too
INFLUX_URL=http://$INFLUX_HOST:$INFLUX_PORT
INFLUX_ORG=sealwatch
INFLUX_BUCKET=sealwatch
INFLUX_TOKEN=sealwatch-local-token
INFLUX_USER=sealwatch
INFLUX_PASSWORD=sealwatch-local

influx_binary() { printf '%s/influxdb/%s/influxd' "$STACK_CACHE" "$INFLUX_VERSION"; }
# The two servers keep different files: one data dir each.
influx_data_dir() { printf '%s/data/influxdb-%s' "$STACK_DIR" "$INFLUX_KIND"; }

influx_go_env() {
  need_command influxdb go "install Go 1.24 or newer"
  export GOTOOLCHAIN=local # the module proxy is for modules; never fetch a toolchain
  export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
  INFLUX_BUILD_LOG="$STACK_DIR/log/influxdb-build.log"
}

# influx_fetch_module MODULE@VERSION: download a module from the Go module proxy; sets
# MODULE_DIR to its (read-only) source directory.
influx_fetch_module() {
  local json
  json=$(cd "$STACK_CACHE" && go mod download -json "$1" 2>>"$INFLUX_BUILD_LOG") || true
  MODULE_DIR=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$MODULE_DIR" ] && [ -d "$MODULE_DIR" ] || fail influxdb "go mod download $1 failed: $json" "$INFLUX_BUILD_LOG"
}

# 2.x: `go install ...@version` refuses this module (its go.mod has a replace directive), so
# the source comes from the module proxy into a writable copy and is built there.
influx_build_2x() {
  need_command influxdb cargo "install Rust (rustup) with cargo on PATH: Flux is partly written in Rust"
  local out=$1 work="$STACK_CACHE/influxdb/build-$INFLUX_VERSION" pcver
  say "influxdb: fetching github.com/influxdata/influxdb/v2@$INFLUX_VERSION source from the Go module proxy..."
  influx_fetch_module "github.com/influxdata/influxdb/v2@$INFLUX_VERSION"
  rm -rf "$work"
  mkdir -p "$work"
  cp -R "$MODULE_DIR" "$work/src"
  chmod -R u+w "$work/src"
  pcver=$(awk '$1 == "github.com/influxdata/pkg-config" { print $2 }' "$work/src/go.mod")
  [ -n "$pcver" ] || fail influxdb "no github.com/influxdata/pkg-config version in $work/src/go.mod"
  say "influxdb: building InfluxData's pkg-config wrapper $pcver (it builds libflux with cargo)..."
  (
    export GOBIN="$work/bin"
    run_logged influxdb "building pkg-config" "$STACK_DIR/log/influxdb-pkg-config.log" \
      go install "github.com/influxdata/pkg-config@$pcver"
  )
  say "influxdb: compiling influxd $INFLUX_VERSION (Go + Rust, about 5 min on 2 cores the first time; log: $INFLUX_BUILD_LOG)..."
  (
    cd "$work/src"
    # Flux pins Rust 1.72 in a rust-toolchain file; rustup cannot download it here, so build
    # with the installed default toolchain.
    if command -v rustup >/dev/null 2>&1; then
      toolchain=$(rustup default 2>/dev/null | awk '{ print $1 }')
      [ -z "$toolchain" ] || export RUSTUP_TOOLCHAIN=$toolchain
    fi
    export PKG_CONFIG="$work/bin/pkg-config" RUSTC_WRAPPER="$STACK_SCRIPTS/influxdb/rustc-cap-lints.sh" \
      PKG_CONFIG_LOG="$STACK_DIR/log/influxdb-libflux.log"
    run_logged influxdb "compiling influxd" "$INFLUX_BUILD_LOG" \
      go build -trimpath -ldflags "-s -w -X main.version=${INFLUX_VERSION#v} -X main.commit=${INFLUX_VERSION}" \
      -o "$out" ./cmd/influxd
  )
  rm -rf "$work"
}

# 1.8: plain Go, no cgo, and `go install` takes it as it is.
influx_build_18() {
  local out=$1 work="$STACK_CACHE/influxdb/build-$INFLUX_VERSION"
  say "influxdb: compiling github.com/influxdata/influxdb/cmd/influxd@$INFLUX_VERSION with go install (log: $INFLUX_BUILD_LOG)..."
  rm -rf "$work"
  (
    cd "$STACK_CACHE"
    export GOBIN="$work"
    run_logged influxdb "compiling influxd" "$INFLUX_BUILD_LOG" \
      go install -trimpath -ldflags "-s -w -X main.version=${INFLUX_VERSION#v} -X main.branch=${INFLUX_VERSION#v}" \
      "github.com/influxdata/influxdb/cmd/influxd@$INFLUX_VERSION"
  )
  mv "$work/influxd" "$out"
  rm -rf "$work"
}

influx_install() {
  local bin start
  bin=$(influx_binary)
  [ -x "$bin" ] && return 0
  influx_go_env
  start=$(now_ms)
  mkdir -p "$(dirname "$bin")" "$STACK_DIR/log"
  : >"$INFLUX_BUILD_LOG"
  rm -f "$bin.tmp"
  if [ "$INFLUX_KIND" = 2.x ]; then influx_build_2x "$bin.tmp"; else influx_build_18 "$bin.tmp"; fi
  mv "$bin.tmp" "$bin"
  say "influxdb: built $bin ($(seconds_since "$start"))"
}

influx_write_config_18() {
  local conf="$STACK_DIR/conf/influxdb" data
  data=$(influx_data_dir)
  mkdir -p "$conf"
  cat >"$conf/influxdb.conf" <<EOF
# Generated by scripts/stack.sh: InfluxDB 1.8 for local development, loopback only, no auth.
reporting-disabled = true
bind-address = "$INFLUX_HOST:$INFLUX_RPC_PORT"
[meta]
  dir = "$data/meta"
[data]
  dir = "$data/data"
  wal-dir = "$data/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "$INFLUX_HOST:$INFLUX_PORT"
  auth-enabled = false
  flux-enabled = true
  log-enabled = false
EOF
}

influx_start() {
  local data bin
  data=$(influx_data_dir)
  bin=$(influx_binary)
  mkdir -p "$data"
  if [ "$INFLUX_KIND" = 2.x ]; then
    start_daemon influxdb "$data" "$bin" --http-bind-address "$INFLUX_HOST:$INFLUX_PORT" \
      --bolt-path "$data/influxd.bolt" --engine-path "$data/engine" --sqlite-path "$data/influxd.sqlite" \
      --reporting-disabled --ui-disabled --log-level info
    # shellcheck disable=SC2046 # one argument per line
    wait_ready influxdb 60 $(influx_probe_args 2.x)
  else
    influx_write_config_18
    start_daemon influxdb "$data" "$bin" -config "$STACK_DIR/conf/influxdb/influxdb.conf"
    # shellcheck disable=SC2046 # one argument per line
    wait_ready influxdb 60 $(influx_probe_args 1.8)
  fi
}

influx_init() {
  local log="$STACK_DIR/log/influxdb-init.log"
  if [ "$INFLUX_KIND" = 2.x ]; then
    node "$STACK_SCRIPTS/influx-init.mjs" 2.x "$INFLUX_URL" "$INFLUX_ORG" "$INFLUX_BUCKET" "$INFLUX_TOKEN" \
      "$INFLUX_USER" "$INFLUX_PASSWORD" >"$log" 2>&1 || fail influxdb "setting up org/bucket/token failed" "$log"
  else
    node "$STACK_SCRIPTS/influx-init.mjs" 1.8 "$INFLUX_URL" "$INFLUX_BUCKET" >"$log" 2>&1 ||
      fail influxdb "creating database $INFLUX_BUCKET failed" "$log"
  fi
}

influx_running_version() { cat "$STACK_DIR/run/influxdb.version" 2>/dev/null || printf '%s %s' "$INFLUX_KIND" "${INFLUX_VERSION#v}"; }
# The kind of the server `up` started, else the one asked for.
influx_running_kind() { influx_running_version | cut -d' ' -f1; }

# influx_probe_args KIND: the readiness probe's arguments, one per line.
influx_probe_args() {
  if [ "$1" = 2.x ]; then printf '%s\n' http "$INFLUX_URL/health" 200; else printf '%s\n' http "$INFLUX_URL/ping" 204; fi
}

influxdb_up() {
  local start
  start=$(now_ms)
  if running_pid influxdb >/dev/null; then
    [ "$(influx_running_kind)" = "$INFLUX_KIND" ] ||
      fail influxdb "InfluxDB $(influx_running_kind) is running but SEALWATCH_INFLUX_SERVER=$INFLUX_KIND: run 'stack.sh down' first"
    # shellcheck disable=SC2046 # one argument per line
    wait_ready influxdb 60 $(influx_probe_args "$INFLUX_KIND")
    influx_init
    say "influxdb: already running on $INFLUX_HOST:$INFLUX_PORT ($(influx_running_version), pid $(running_pid influxdb))"
    return 0
  fi
  influx_install
  ensure_free influxdb "$INFLUX_HOST" "$INFLUX_PORT"
  [ "$INFLUX_KIND" = 2.x ] || ensure_free influxdb "$INFLUX_HOST" "$INFLUX_RPC_PORT"
  say "influxdb: starting $INFLUX_KIND server ${INFLUX_VERSION#v} on $INFLUX_HOST:$INFLUX_PORT..."
  printf '%s %s\n' "$INFLUX_KIND" "${INFLUX_VERSION#v}" >"$STACK_DIR/run/influxdb.version"
  influx_start
  influx_init
  say "influxdb: ready on $INFLUX_HOST:$INFLUX_PORT ($INFLUX_KIND ${INFLUX_VERSION#v}, org $INFLUX_ORG, bucket $INFLUX_BUCKET, $(seconds_since "$start"))"
}

influxdb_down() {
  stop_daemon influxdb 30
  rm -f "$STACK_DIR/run/influxdb.version"
}

influxdb_status() {
  local pid
  # shellcheck disable=SC2046 # one argument per line
  if pid=$(running_pid influxdb) && probe $(influx_probe_args "$(influx_running_kind)"); then
    status_line influxdb healthy "$pid" "$INFLUX_HOST:$INFLUX_PORT" "$(influx_running_version)"
  else
    status_line influxdb down "${pid:--}" "$INFLUX_HOST:$INFLUX_PORT" "$INFLUX_KIND ${INFLUX_VERSION#v}"
    return 1
  fi
}

influxdb_env() {
  local running_kind version
  read -r running_kind version <<<"$(influx_running_version)"
  cat <<EOF
SEALWATCH_INFLUX_URL=$INFLUX_URL
SEALWATCH_INFLUX_ORG=$INFLUX_ORG
SEALWATCH_INFLUX_BUCKET=$INFLUX_BUCKET
SEALWATCH_INFLUX_TOKEN=$INFLUX_TOKEN
INFLUX_SERVER_KIND=$running_kind
INFLUXDB_VERSION=$version
EOF
}
