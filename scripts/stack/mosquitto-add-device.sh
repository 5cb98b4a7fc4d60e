#!/usr/bin/env bash
# Add (or re-key) a device account on the local Mosquitto of scripts/stack.sh and make the
# running broker reload its password file. The ACL lets a device publish only to
#   ssd/json/DEVICE/#   ssd/csv/DEVICE   ssd/batch/DEVICE
#
#   bash scripts/stack/mosquitto-add-device.sh DEVICE PASSWORD
set -euo pipefail

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: $0 DEVICE PASSWORD" >&2
  exit 2
fi
device=$1 password=$2
case "$device" in
  *[/+#:\ ]* | *[[:cntrl:]]*)
    echo "mosquitto-add-device: '$device' cannot be a device id: no '/', '+', '#', ':', spaces (it is a topic level and a user name)" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STACK_DIR=${SEALWATCH_STACK_DIR:-$(cd "$here/../.." && pwd)/.stack}
STACK_DIR=$(cd "$STACK_DIR" 2>/dev/null && pwd) || { echo "mosquitto-add-device: no stack dir: run 'bash scripts/stack.sh up' first" >&2; exit 1; }
conf="$STACK_DIR/conf/mosquitto"
if [ ! -f "$conf/passwd" ]; then
  echo "mosquitto-add-device: $conf/passwd not found: run 'bash scripts/stack.sh up' first" >&2
  exit 1
fi

mosquitto_passwd -b "$conf/passwd" "$device" "$password"

pid=$(cat "$STACK_DIR/run/mosquitto.pid" 2>/dev/null || true)
# Only our broker (its command line names our config) gets the signal, never a reused pid.
if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$conf/mosquitto.conf"; then
  kill -HUP "$pid" # Mosquitto re-reads its password and ACL files on SIGHUP, asynchronously
  for _ in $(seq 1 50); do
    if node "$here/probe.mjs" mqtt 127.0.0.1 1884 "$device" "$password" 2>/dev/null; then
      echo "[stack] mosquitto: device account '$device' added; broker (pid $pid) reloaded"
      exit 0
    fi
    sleep 0.1
  done
  echo "mosquitto-add-device: broker (pid $pid) still refuses '$device' 5 s after reload; see $STACK_DIR/log/mosquitto.log" >&2
  exit 1
else
  echo "[stack] mosquitto: device account '$device' added; the broker is not running, it takes effect on 'stack.sh up'"
fi
