#!/usr/bin/env bash
# End-to-end check of the four-container network (deploy/docker-compose.yml). Not part of
# the unit test suite: it builds an image and runs containers for a minute or two.
#
#   deploy/compose-test.sh [BUILD_DIR]     (default: <repo>/build)
#
# Steps: build dscd:local from BUILD_DIR (deploy/build-image.sh); create two wallets with
# BUILD_DIR/bin/dsc on the host; start chain, pool, metronome and validator under a
# unique compose project, genesis coins going to the first wallet, host ports picked by
# Docker on 127.0.0.1; wait for blocks; send coins and wait for the confirmation and the
# balances; stop the validator and check that the metronome keeps the beat (and confirms a
# second transaction in its own blocks); start the validator again and check that it wins
# blocks again; then `docker-compose down -v`. Every wait is bounded; whatever happens the
# project (containers, network, volumes) and the temp dir are removed.
#
# Environment:
#   DSC_TEST_BLOCK_TIME   block time of the test network (default 2s)
#   DSC_TEST_SKIP_BUILD   1: use the existing image instead of running build-image.sh
#   DSC_TEST_KEEP         1: leave the project running on failure, for inspection (it
#                         prints how to remove it)
#   DSC_IMAGE             image name (default dscd:local)
#
# Prints "compose-test: PASS" and exits 0, or "compose-test: FAIL: <why>" and exits 1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build_dir="${1:-$repo/build}"
export DSC_IMAGE="${DSC_IMAGE:-dscd:local}"
block_time="${DSC_TEST_BLOCK_TIME:-2s}"
project="dsctest$(date +%s)$$"
compose_file="$here/docker-compose.yml"
work=""
started=0
passed=0
reason=""

log() { printf '%s compose-test: %s\n' "$(date '+%Y%m%d %H:%M:%S')" "$*"; }
# Records why the test failed and exits; the EXIT trap cleans up and prints the verdict.
fail() {
  reason="$*"
  log "error: $*" >&2
  exit 1
}

compose() { timeout 180 docker-compose -p "$project" -f "$compose_file" "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if ((started)); then
    if ((!passed)); then
      log "logs of the last 40 lines per service:"
      compose logs --no-color --tail=40 2>&1 | sed 's/^/    /'
    fi
    if ((!passed)) && [[ "${DSC_TEST_KEEP:-0}" == 1 ]]; then
      log "kept project $project; remove it with:" \
        "docker-compose -p $project -f $compose_file down -v"
    else
      log "removing project $project (docker-compose down -v)"
      compose down -v --remove-orphans >/dev/null 2>&1 ||
        log "warning: docker-compose down failed; remove it by hand: docker-compose -p $project -f $compose_file down -v"
    fi
  fi
  [[ -n "$work" ]] && rm -rf "$work"
  if ((passed)); then
    echo "compose-test: PASS"
    exit 0
  fi
  echo "compose-test: FAIL: ${reason:-unexpected error (exit status $rc)}" >&2
  exit 1
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

# --- prerequisites -----------------------------------------------------------------------
command -v docker >/dev/null || fail "docker is not installed"
command -v docker-compose >/dev/null || fail "docker-compose is not installed"
[[ -x "$build_dir/bin/dsc" ]] || fail "no dsc client at $build_dir/bin/dsc (ninja -C $build_dir dsc)"
dsc_bin="$(cd "$build_dir/bin" && pwd)/dsc"
docker info >/dev/null 2>&1 || fail "cannot talk to the Docker daemon"

if [[ "${DSC_TEST_SKIP_BUILD:-0}" == 1 ]]; then
  docker image inspect "$DSC_IMAGE" >/dev/null 2>&1 || fail "DSC_TEST_SKIP_BUILD=1 but no image $DSC_IMAGE"
  log "using the existing image $DSC_IMAGE"
else
  log "building $DSC_IMAGE from $build_dir"
  "$here/build-image.sh" "$build_dir" || fail "build-image.sh failed"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/dsc-compose-test.XXXXXX")"

# dsc with the test's addresses; every call bounded. Output goes to stdout.
dsc() {
  timeout 90 "$dsc_bin" --pool="127.0.0.1:$pool_port" --chain="127.0.0.1:$chain_port" \
    --metronome="127.0.0.1:$metronome_port" "$@"
}
# The first number after "<label>" in the text on stdin.
field() { sed -n "s/.*$1[^0-9]*\([0-9][0-9.]*\).*/\1/p" | head -n1; }

# These print nothing (and succeed) when the node does not answer.
height() { { dsc chain tip 2>/dev/null || true; } | field 'Block height:'; }
balance() { { dsc wallet balance --wallet-dir="$1" 2>/dev/null || true; } | field 'Wallet balance:'; }
# "<validators> <metronome>": how many blocks each kind of producer made (dsc monitor).
block_counts() {
  { dsc monitor 2>/dev/null || true; } |
    sed -n 's/.*Blocks: \([0-9]*\) by validators, \([0-9]*\) by metronome.*/\1 \2/p'
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every second until it succeeds.
wait_for() {
  local limit="$1" what="$2" deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out after ${limit}s waiting for $what"
    sleep 1
  done
}

# --- wallets -----------------------------------------------------------------------------
"$dsc_bin" wallet create --wallet-dir="$work/genesis" >"$work/create1.out" 2>&1 ||
  fail "dsc wallet create failed: $(cat "$work/create1.out")"
"$dsc_bin" wallet create --wallet-dir="$work/recipient" >"$work/create2.out" 2>&1 ||
  fail "dsc wallet create failed: $(cat "$work/create2.out")"
address_of() { sed -n 's/^public_key: *//p' "$1/dsc-key.yaml"; }
genesis_addr="$(address_of "$work/genesis")"
recipient_addr="$(address_of "$work/recipient")"
[[ -n "$genesis_addr" && -n "$recipient_addr" ]] || fail "cannot read the wallet addresses"
log "genesis wallet $genesis_addr, recipient $recipient_addr"

# --- network -----------------------------------------------------------------------------
export DSC_GENESIS="$genesis_addr:1000"
export DSC_BLOCK_TIME="$block_time"
export DSC_POOL_PORT="" DSC_CHAIN_PORT="" DSC_METRONOME_PORT=""  # Docker picks free ports
log "starting project $project (block time $block_time)"
started=1
compose up -d >"$work/up.out" 2>&1 || fail "docker-compose up failed: $(tail -5 "$work/up.out")"
# port_of SERVICE VAR: the host port published for SERVICE's 50051, on 127.0.0.1 only.
port_of() {
  local p
  p="$(compose port "$1" 50051 2>/dev/null | tail -n1)" || true
  [[ "$p" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "service $1 has no port published on 127.0.0.1 (got '$p')"
  printf -v "$2" '%s' "${p##*:}"
}
sleep 2  # a node that cannot start exits at once: give it the time to
for service in chain pool metronome validator; do
  id="$(compose ps -q "$service")" || true
  [[ -n "$id" ]] || fail "service $service has no container"
  state="$(docker inspect --format '{{.State.Status}} {{.RestartCount}}' "$id")" || true
  [[ "$state" == "running 0" ]] ||
    fail "service $service is not running steadily (state, restarts: $state); see its log below"
done
port_of pool pool_port
port_of chain chain_port
port_of metronome metronome_port
log "published: pool 127.0.0.1:$pool_port, chain 127.0.0.1:$chain_port, metronome 127.0.0.1:$metronome_port"

height_at_least() { local h; h="$(height)"; [[ -n "$h" ]] && ((h >= $1)); }
wait_for 90 "the chain to reach height 3" height_at_least 3
log "chain is growing: height $(height)"

validator_won() {
  local counts
  counts="$(block_counts)"
  [[ -n "$counts" ]] && ((${counts%% *} > $1))
}
wait_for 60 "a block won by the validator" validator_won 0
log "blocks so far (validators metronome): $(block_counts)"

[[ "$(balance "$work/genesis")" == 1000 ]] ||
  fail "genesis wallet balance is '$(balance "$work/genesis")', expected 1000"

# --- a transaction -----------------------------------------------------------------------
log "sending 12.5 coins to the recipient"
dsc wallet send 12.5 "$recipient_addr" --wallet-dir="$work/genesis" --timeout=60s \
  >"$work/send1.out" 2>&1 || fail "dsc wallet send failed: $(cat "$work/send1.out")"
grep -q 'status confirmed' "$work/send1.out" ||
  fail "the transaction was not confirmed: $(cat "$work/send1.out")"
log "$(grep 'status confirmed' "$work/send1.out" | tail -n1 | cut -d' ' -f3-)"
balance_is() { [[ "$(balance "$1")" == "$2" ]]; }
wait_for 30 "the recipient balance to be 12.5" balance_is "$work/recipient" 12.5
wait_for 30 "the genesis balance to be 987.5" balance_is "$work/genesis" 987.5
log "balances: genesis 987.5, recipient 12.5"

# --- the metronome keeps the beat without a validator --------------------------------------
log "stopping the validator"
compose stop validator >/dev/null 2>&1 || fail "docker-compose stop validator failed"
before="$(block_counts)"
[[ -n "$before" ]] || fail "dsc monitor shows no block counts"
metronome_before="${before##* }"
h0="$(height)"
metronome_made() {
  local counts
  counts="$(block_counts)"
  [[ -n "$counts" ]] && ((${counts##* } >= metronome_before + $1))
}
wait_for 90 "3 blocks made by the metronome alone" metronome_made 3
log "without a validator: height $h0 -> $(height), blocks (validators metronome): $(block_counts)"

log "sending 1 coin while the validator is down"
dsc wallet send 1 "$recipient_addr" --wallet-dir="$work/genesis" --timeout=60s \
  >"$work/send2.out" 2>&1 || fail "dsc wallet send (validator down) failed: $(cat "$work/send2.out")"
grep -q 'status confirmed' "$work/send2.out" ||
  fail "the transaction was not confirmed without a validator: $(cat "$work/send2.out")"
log "$(grep 'status confirmed' "$work/send2.out" | tail -n1 | cut -d' ' -f3-)"
wait_for 30 "the recipient balance to be 13.5" balance_is "$work/recipient" 13.5

# --- the validator comes back ------------------------------------------------------------
validator_before="$(block_counts)"
validator_before="${validator_before%% *}"
log "starting the validator again"
compose start validator >/dev/null 2>&1 || fail "docker-compose start validator failed"
wait_for 120 "the restarted validator to win a block" validator_won "$validator_before"
log "validator is winning again: blocks (validators metronome): $(block_counts), height $(height)"

# --- teardown ----------------------------------------------------------------------------
log "stopping the network (docker-compose down -v)"
compose down -v --remove-orphans >"$work/down.out" 2>&1 ||
  fail "docker-compose down -v failed: $(tail -5 "$work/down.out")"
started=0
left="$(docker ps -aq --filter "label=com.docker.compose.project=$project")"
[[ -z "$left" ]] || fail "containers left after down: $left"
left="$(docker volume ls -q --filter "label=com.docker.compose.project=$project")"
[[ -z "$left" ]] || fail "volumes left after down: $left"
passed=1
