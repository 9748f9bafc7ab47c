#!/usr/bin/env bash
# Runs the engine's tests under Miri (undefined behaviour, out-of-bounds, use-after-free, leaks,
# aliasing and provenance errors), with strict provenance. Test sizes shrink under cfg(miri).
# Installs the nightly toolchain's Miri component if it is missing.
#
#   scripts/miri.sh            # the default selection (unit tests, model, drops, panics, growth,
#                              # int_map, clone), then the concurrent maps' tests over several seeds
#   scripts/miri.sh --test drops   # any extra arguments go to `cargo miri test`
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal --component miri,rust-src
fi

# Isolation is disabled only so proptest can read its configuration; the tests do no I/O.
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance -Zmiri-disable-isolation}"
export PROPTEST_DISABLE_FAILURE_PERSISTENCE=1

if [[ $# -gt 0 ]]; then
  exec cargo +nightly miri test -p glassmap "$@"
fi
cargo +nightly miri test -p glassmap --lib --test model --test drops --test panics --test growth --test int_map --test clone

# SyncMap and SnapshotMap publish through arc-swap, whose reclamation bugs Miri finds only with
# many schedules: run their tests (small sizes under cfg(miri)) over several seeds.
# `MIRI_SEEDS=0..64 scripts/miri.sh` runs a longer search on purpose.
MIRIFLAGS="$MIRIFLAGS -Zmiri-many-seeds=${MIRI_SEEDS:-0..2}" \
  cargo +nightly miri test -p glassmap --test snapshot --test sync_map --test sync_lincheck
