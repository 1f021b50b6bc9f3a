#!/usr/bin/env bash
# Set-up command 1: installs what is missing, builds, and starts a local DSC network in
# one process (all roles, one PoW validator) with data under ./.devnet, and a genesis
# allocation to a dev wallet it creates. `scripts/devnet.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEV=$ROOT/.devnet
LISTEN=${DSC_LISTEN:-127.0.0.1:50051}
BLOCK_TIME=${DSC_BLOCK_TIME:-6s}
PIDFILE=$DEV/dscd.pid

if [ "${1:-}" = "stop" ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 1 100); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.1; done
    echo "dscd stopped"
  else
    echo "no dev network is running"
  fi
  rm -f "$PIDFILE"
  exit 0
fi

scripts/install-deps.sh
scripts/build.sh
DSC="$ROOT/build/bin/dsc"
DSCD="$ROOT/build/bin/dscd"

mkdir -p "$DEV"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "a dev network is already running (pid $(cat "$PIDFILE")); scripts/devnet.sh stop"
  exit 1
fi
if [ ! -f "$DEV/wallet/dsc-key.yaml" ]; then
  "$DSC" wallet create --wallet-dir="$DEV/wallet" >/dev/null
fi
ADDRESS=$(sed -n 's/^public_key: *//p' "$DEV/wallet/dsc-key.yaml")

nohup "$DSCD" --role=all --data-dir="$DEV/node" --listen="$LISTEN" --block-time="$BLOCK_TIME" \
  --genesis-alloc="$ADDRESS:1000000" >"$DEV/dscd.log" 2>&1 &
echo $! >"$PIDFILE"

for _ in $(seq 1 100); do
  if "$DSC" --node="$LISTEN" chain tip >/dev/null 2>&1; then break; fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "dscd failed to start:"; tail -20 "$DEV/dscd.log"; rm -f "$PIDFILE"; exit 1
  fi
  sleep 0.2
done

NODE=""
[ "$LISTEN" = "127.0.0.1:50051" ] || NODE=" --node=$LISTEN"
cat <<MSG

DSC dev network running: all roles in one dscd (pid $(cat "$PIDFILE")) on $LISTEN
  data:    $DEV/node        log: $DEV/dscd.log
  wallet:  $DEV/wallet/dsc-key.yaml  (address $ADDRESS, 1,000,000 coins at genesis)

Try:
  export PATH=$ROOT/build/bin:\$PATH DSC_WALLET_DIR=$DEV/wallet
  dsc$NODE wallet balance
  dsc wallet create --wallet-dir=/tmp/bob && BOB=\$(sed -n 's/^public_key: *//p' /tmp/bob/dsc-key.yaml)
  dsc$NODE wallet send 12.5 \$BOB
  dsc$NODE wallet transactions
  dsc$NODE chain tip
  dsc$NODE monitor --watch
Stop it with: scripts/devnet.sh stop
MSG
