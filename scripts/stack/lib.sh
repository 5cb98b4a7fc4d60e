# Shared helpers for scripts/stack.sh (sourced, not run). Every wait here is a bounded poll.
# Expects STACK_DIR, STACK_CACHE and STACK_SCRIPTS to be set by the caller.

say() { printf '[stack] %s\n' "$*"; }

# fail SERVICE MESSAGE [LOG]: name what failed and where to look, show the log's tail, exit 1.
fail() {
  local service=$1 message=$2 log=${3:-}
  printf '[stack] ERROR %s: %s\n' "$service" "$message" >&2
  if [ -n "$log" ] && [ -f "$log" ]; then
    printf '[stack] %s: last lines of %s:\n' "$service" "$log" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
    printf '[stack] %s: full log: %s\n' "$service" "$log" >&2
  fi
  exit 1
}

now_ms() { date +%s%3N; }

# seconds_since START_MS -> "12.3s"
seconds_since() {
  local ms=$(( $(now_ms) - $1 ))
  printf '%d.%ds' $(( ms / 1000 )) $(( ms % 1000 / 100 ))
}

pid_file() { printf '%s/run/%s.pid' "$STACK_DIR" "$1"; }
log_file() { printf '%s/log/%s.log' "$STACK_DIR" "$1"; }

# running_pid SERVICE: print the pid from its pid file if that process is alive and is ours:
# every service is started with a path under STACK_DIR on its command line, so a pid reused by
# an unrelated process after a reboot is never taken for (or stopped as) a service.
running_pid() {
  local file pid
  file=$(pid_file "$1")
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" || return 1
  case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in
    *"$STACK_DIR/"*) printf '%s' "$pid" ;;
    *) return 1 ;;
  esac
}

# alive PID: the process exists and is not a zombie (an orphan's zombie lingers where PID 1
# does not reap, as in some containers).
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  case "$state" in Z*|"") return 1 ;; esac
}

# port_open HOST PORT: something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

probe() { node "$STACK_SCRIPTS/probe.mjs" "$@" 2>/dev/null; }

# start_daemon SERVICE WORKDIR CMD...: start CMD in its own session (so `down` can signal the
# whole process group), detached from our stdin/stdout, logging to the service's log file.
# The process writes its own pid before exec, so the pid file names the real server process.
start_daemon() {
  local service=$1 workdir=$2
  shift 2
  local pidf logf
  pidf=$(pid_file "$service")
  logf=$(log_file "$service")
  mkdir -p "$(dirname "$pidf")" "$(dirname "$logf")"
  rm -f "$pidf"
  : >"$logf"
  # The subshell execs, so nothing of ours keeps the caller's stdout open (a pipe reader such
  # as `| tail` or a test runner's spawn would otherwise wait for the service to exit).
  (
    cd "$workdir" || exit 1
    # Nothing inherited stays open in the service: not stack.sh's lock (fd 9), nor a caller's.
    # `flock /tmp/sealwatch-stack.lock bash scripts/stack.sh up` hands its lock file to the
    # command; a service holding it would keep the lock taken for as long as the service runs.
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@"
  ) </dev/null >>"$logf" 2>&1 &
  local i
  for i in $(seq 1 50); do
    [ -s "$pidf" ] && return 0
    sleep 0.1
  done
  fail "$service" "process did not start (no pid file $pidf)" "$logf"
}

# wait_ready SERVICE TIMEOUT_S PROBE_ARGS...: poll the probe until it passes; fail early if the
# process dies, and at the deadline.
wait_ready() {
  local service=$1 timeout_s=$2
  shift 2
  local deadline=$(( $(now_ms) + timeout_s * 1000 )) next_note=$(( $(now_ms) + 30000 )) start=$(now_ms)
  while :; do
    if probe "$@"; then return 0; fi
    if ! running_pid "$service" >/dev/null; then
      fail "$service" "process exited before it was ready" "$(log_file "$service")"
    fi
    if [ "$(now_ms)" -ge "$deadline" ]; then
      fail "$service" "not ready after ${timeout_s}s (probe: $*)" "$(log_file "$service")"
    fi
    if [ "$(now_ms)" -ge "$next_note" ]; then
      say "$service: still waiting for readiness, $(seconds_since "$start")"
      next_note=$(( next_note + 30000 ))
    fi
    sleep 0.25
  done
}

# group_members PGID: pids still in that process group.
group_members() { ps -eo pid=,pgid=,stat= | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'; }

# stop_daemon SERVICE GRACE_S: TERM the process group, wait, KILL what is left, verify.
stop_daemon() {
  local service=$1 grace_s=$2 pidf pid
  pidf=$(pid_file "$service")
  if ! pid=$(running_pid "$service"); then
    rm -f "$pidf"
    say "$service: not running"
    return 0
  fi
  local start
  start=$(now_ms)
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(now_ms) + grace_s * 1000 ))
  while [ -n "$(group_members "$pid")" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.2; done
  if [ -n "$(group_members "$pid")" ]; then
    say "$service: still running after ${grace_s}s, sending KILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
    deadline=$(( $(now_ms) + 5000 ))
    while [ -n "$(group_members "$pid")" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.2; done
  fi
  local left
  left=$(group_members "$pid" | tr '\n' ' ')
  if [ -n "$left" ]; then
    fail "$service" "processes still running after KILL: $left" "$(log_file "$service")"
  fi
  rm -f "$pidf"
  say "$service: stopped (pid $pid, $(seconds_since "$start"))"
}

# run_logged SERVICE WHAT LOG CMD...: run a long step with its output in LOG, printing a
# "still ..." line every 60 s so CI shows progress; fail with the log's tail if it fails.
run_logged() {
  local service=$1 what=$2 log=$3
  shift 3
  mkdir -p "$(dirname "$log")"
  local start
  start=$(now_ms)
  "$@" >"$log" 2>&1 </dev/null 9>&- &
  local job=$! next_note=$(( $(now_ms) + 60000 ))
  while kill -0 "$job" 2>/dev/null; do
    if [ "$(now_ms)" -ge "$next_note" ]; then
      say "$service: still $what, $(seconds_since "$start")"
      next_note=$(( next_note + 60000 ))
    fi
    sleep 1
  done
  if ! wait "$job"; then
    fail "$service" "$what failed after $(seconds_since "$start")" "$log"
  fi
}

# ensure_free SERVICE HOST PORT: fail if someone else already listens on our port.
ensure_free() {
  if port_open "$2" "$3"; then
    fail "$1" "$2:$3 is already in use by a process this script did not start (stop it, or run 'stack.sh down' if it is a stale stack)"
  fi
}

need_command() {
  command -v "$2" >/dev/null 2>&1 || fail "$1" "'$2' not found on PATH: $3"
}

# status_line SERVICE STATE PID ADDRESS VERSION
status_line() { printf '%-10s %-8s pid %-8s %-16s %s\n' "$1" "$2" "$3" "$4" "${5:-?}"; }
