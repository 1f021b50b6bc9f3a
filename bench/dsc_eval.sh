#!/usr/bin/env bash
# dsc_eval.sh: reproduce section 5 of the DataSys Coin report (latency and throughput vs
# wallet scale, PoW and PoM validators) with dsc-bench on one machine, once with every role
# in one process (--spawn=all) and once with one process per role (--spawn=split).
#
# DSC defaults: block time 6 s, at most 8192 transactions per block (ceiling 1,365 tx/s).
#   latency:    128 transactions per wallet, submitted one per call as fast as accepted
#   throughput: 128,000 / SCALE transactions per wallet, batches of 1000, as fast as accepted
# Every run is bounded (dsc-bench --timeout_s, plus a hard `timeout` around it); the script
# exits non-zero if any run lost a transaction (or failed / timed out).
#
#   bench/dsc_eval.sh [--quick] [--bin=DIR] [--scale=N] [--memory=SIZE] [--out=FILE]
#                     [--wallets="1 2 4 8"] [--topology="all split"] [--proof="pom pow"]
#                     [--threads-hash=2] [--block-time=6s] [--max-block-txs=8192]
#                     [--latency-txs=128] [--no-latency] [--no-throughput] [--log-dir=DIR]
#
#   --quick       wallets 1 and 8 only, scale 32 (4,000 tx per wallet)
#   --bin=DIR     folder holding dsc-bench and dscd (default: build-lib/bin, then build/bin)
#   --scale=N     throughput runs send 128000/N transactions per wallet (default 1)
#   --memory=SIZE PoM table size of the validator (default 256M)
#   --out=FILE    also write the tables to FILE
#
# Wallet scale 1: dsc-bench needs at least two wallets (wallet i pays wallet i+1), so the
# 1-wallet row runs 2 wallets that together send one wallet's transactions (same total).
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

bin=""
scale=1
memory=256M
out=""
quick=0
wallets_list="1 2 4 8"
topologies="all split"
proofs="pom pow"
threads_hash=2
block_time=6s
max_block_txs=8192
latency_txs=128
do_latency=1
do_throughput=1
log_dir=""
scale_set=0
wallets_set=0

usage() { sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --bin=*) bin="${arg#*=}" ;;
    --scale=*) scale="${arg#*=}"; scale_set=1 ;;
    --memory=*) memory="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    --wallets=*) wallets_list="${arg#*=}"; wallets_set=1 ;;
    --topology=*) topologies="${arg#*=}" ;;
    --proof=*) proofs="${arg#*=}" ;;
    --threads-hash=*|--threads_hash=*) threads_hash="${arg#*=}" ;;
    --block-time=*|--block_time=*) block_time="${arg#*=}" ;;
    --max-block-txs=*|--max_block_txs=*) max_block_txs="${arg#*=}" ;;
    --latency-txs=*|--latency_txs=*) latency_txs="${arg#*=}" ;;
    --no-latency) do_latency=0 ;;
    --no-throughput) do_throughput=0 ;;
    --log-dir=*|--log_dir=*) log_dir="${arg#*=}" ;;
    -h|--help) usage; exit 0 ;;
    *) echo "dsc_eval.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $quick == 1 ]]; then
  [[ $wallets_set == 0 ]] && wallets_list="1 8"
  [[ $scale_set == 0 ]] && scale=32
fi
wallets_list="${wallets_list//,/ }"
topologies="${topologies//,/ }"
proofs="${proofs//,/ }"
if ! [[ $scale =~ ^[1-9][0-9]*$ ]]; then echo "dsc_eval.sh: --scale must be a positive integer" >&2; exit 2; fi
for w in $wallets_list; do
  [[ $w =~ ^[1-9][0-9]*$ ]] || { echo "dsc_eval.sh: bad wallet count '$w'" >&2; exit 2; }
done
for t in $topologies; do
  [[ $t == all || $t == split ]] || { echo "dsc_eval.sh: --topology takes all and/or split" >&2; exit 2; }
done
for p in $proofs; do
  [[ $p == pow || $p == pom ]] || { echo "dsc_eval.sh: --proof takes pow and/or pom" >&2; exit 2; }
done
if [[ -z $bin ]]; then
  for d in "$root/build-lib/bin" "$root/build/bin" "$root/build-eval/bin"; do
    if [[ -x $d/dsc-bench && -x $d/dscd ]]; then bin="$d"; break; fi
  done
fi
if [[ -z $bin || ! -x $bin/dsc-bench || ! -x $bin/dscd ]]; then
  echo "dsc_eval.sh: no dsc-bench and dscd in '${bin:-build-lib/bin or build/bin}' (use --bin=DIR)" >&2
  exit 2
fi
command -v timeout >/dev/null || { echo "dsc_eval.sh: needs coreutils timeout" >&2; exit 2; }

per_wallet_tp=$((128000 / scale))
bt_s="${block_time%s}"
if ! [[ $bt_s =~ ^[0-9]+$ ]]; then bt_s=6; fi  # only used to size timeouts
ceiling=$(awk -v b="$bt_s" -v m="$max_block_txs" 'BEGIN { printf "%.0f", m / b }')

work="$(mktemp -d "${TMPDIR:-/tmp}/dsc-eval-XXXXXX")"
[[ -z $log_dir ]] && log_dir="$work/logs"
mkdir -p "$log_dir"
current=""
cleanup() {
  if [[ -n $current ]]; then kill -TERM "$current" 2>/dev/null; wait "$current" 2>/dev/null; fi
  rm -rf "$work/tmp"
  [[ $log_dir == "$work/logs" ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "dsc_eval.sh: interrupted" >&2; exit 130' INT TERM

declare -A R   # R[kind,topo,proof,w] = result row of dsc-bench (or FAILED ...)
failures=0
runs=0

# run KIND TOPO PROOF W: one bounded dsc-bench run; stores its result row in R.
run() {
  local kind=$1 topo=$2 proof=$3 w=$4
  local bw=$w total batch timeout_s label extra
  (( bw < 2 )) && bw=2
  if [[ $kind == lat ]]; then
    total=$((latency_txs * w)); batch=1
    timeout_s=$((10 * bt_s + 60))
  else
    total=$((per_wallet_tp * w)); batch=1000
    # at the ceiling the run needs total/ceiling seconds; allow 3x that plus a minute
    timeout_s=$(awk -v t="$total" -v c="$ceiling" -v b="$bt_s" 'BEGIN { printf "%d", 3 * t / c + 10 * b + 60 }')
  fi
  extra="--proof=$proof --threads-hash=$threads_hash"
  [[ $proof == pom ]] && extra="$extra --memory=$memory"
  label="$kind-$topo-$proof-$w"
  local log="$log_dir/$label.log"
  mkdir -p "$work/tmp"
  printf '%s  %-20s %8d tx (%d wallets, batch %d, timeout %ds) ... ' "$(date +%H:%M:%S)" "$label" "$total" "$bw" "$batch" "$timeout_s" >&2
  local t0=$SECONDS
  # dsc-bench removes its node folders itself; TMPDIR keeps any leftover inside $work.
  # `timeout` kills the whole process group (dsc-bench and the dscd it spawned).
  TMPDIR="$work/tmp" timeout -k 15 $((timeout_s * 2 + 120)) \
    "$bin/dsc-bench" --spawn="$topo" --dscd="$bin/dscd" --wallets="$bw" --txs="$total" \
    --batch="$batch" --rate=0 --block_time="$block_time" --max_block_txs="$max_block_txs" \
    --extra="$extra" --label="$label" --timeout_s="$timeout_s" >"$log" 2>&1 &
  current=$!
  wait "$current"
  local rc=$?
  current=""
  local row
  row="$(awk -v l="$label" '$1 == l && NF == 15' "$log" | tail -n 1)"
  runs=$((runs + 1))
  if [[ -z $row ]]; then
    R[$kind,$topo,$proof,$w]="FAILED rc=$rc"
    failures=$((failures + 1))
    echo "FAILED (rc=$rc, $((SECONDS - t0)) s, log $log)" >&2
    return
  fi
  R[$kind,$topo,$proof,$w]="$row"
  local lost
  lost=$(awk '{ print $6 }' <<<"$row")
  if [[ $rc != 0 || $lost != 0 ]]; then failures=$((failures + 1)); fi
  awk -v rc="$rc" -v s=$((SECONDS - t0)) '{ printf "confirmed %s lost %s in %s s (%.1f tx/s), lat avg %s max %s, cpu %s s, rss %s MB, rc=%s, wall %d s\n", $5, $6, $7, $8, $9, $13, $14, $15, rc, s }' <<<"$row" >&2
  # bench's own line about the accept rate, for the record
  grep -m1 '^submission took' "$log" | sed 's/^/          /' >&2
}

# The report's numbers (section 5).
declare -A REP_LAT=(
  [pom,1]="109 99 121" [pom,2]="105 101 111" [pom,4]="98 87 107" [pom,8]="113 93 119"
  [pow,1]="127 110 131" [pow,2]="119 115 155" [pow,4]="123 109 149" [pow,8]="117 103 137")
declare -A REP_TP=(
  [pom,1]="128000 411 311.43" [pom,2]="256000 986 259.63" [pom,4]="512000 2472 207.12"
  [pom,8]="1024000 8163 125.44" [pow,1]="128000 695 184.17" [pow,2]="256000 1605 159.50"
  [pow,4]="512000 5019 102.01" [pow,8]="1024000 10933 93.66")

host_cores=$(nproc 2>/dev/null || echo "?")
host_mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
echo "dsc_eval: bin=$bin cores=$host_cores mem=$host_mem load=$(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "dsc_eval: block time $block_time, max_block_txs $max_block_txs (ceiling $ceiling tx/s);" \
     "validators: $proofs (threads-hash $threads_hash, PoM memory $memory); wallets: $wallets_list;" \
     "topologies: $topologies; throughput scale 1/$scale ($per_wallet_tp tx per wallet)" >&2
echo "dsc_eval: per-run logs in $log_dir" >&2

start_all=$SECONDS
for topo in $topologies; do
  for proof in $proofs; do
    for w in $wallets_list; do
      [[ $do_latency == 1 ]] && run lat "$topo" "$proof" "$w"
      [[ $do_throughput == 1 ]] && run tp "$topo" "$proof" "$w"
    done
  done
done

tables() {
  local upper
  echo "DSC report section 5 reproduced by bench/dsc_eval.sh ($(date '+%Y-%m-%d %H:%M'))"
  echo "machine: $host_cores cores, $host_mem; block time $block_time, max_block_txs $max_block_txs" \
       "(ceiling $ceiling tx/s); validator --threads-hash=$threads_hash, PoM --memory=$memory"
  echo "latency: $latency_txs tx per wallet, one per call, as fast as accepted;" \
       "throughput: SCALE 1/$scale of the report = $per_wallet_tp tx per wallet (report: 128000)," \
       "batches of 1000, as fast as accepted"
  echo "wallet scale 1 runs as 2 dsc-bench wallets sending one wallet's transactions (dsc-bench needs a recipient)"
  for topo in $topologies; do
    echo
    if [[ $topo == all ]]; then echo "== topology: all roles in one process (--spawn=all) =="
    else echo "== topology: one process per role (--spawn=split) =="; fi
    if [[ $do_latency == 1 ]]; then
      echo
      echo "Latency (seconds)                                                  | report"
      printf '%-9s %-12s %6s %6s %6s %6s %6s %6s | %5s %5s %5s\n' Validator "Wallet Scale" AVG MIN MAX p50 p99 lost AVG MIN MAX
      for proof in $proofs; do
        upper=${proof^^}
        for w in $wallets_list; do
          local row="${R[lat,$topo,$proof,$w]:-}" rep="${REP_LAT[$proof,$w]:-- - -}"
          if [[ -z $row || $row == FAILED* ]]; then
            printf '%-9s %-12s %6s %6s %6s %6s %6s %6s | %5s %5s %5s\n' "$upper" "$w" "${row:-n/a}" "" "" "" "" "" $rep
          else
            awk -v v="$upper" -v w="$w" -v rep="$rep" '{ split(rep, r, " ");
              printf "%-9s %-12s %6.2f %6.2f %6.2f %6.2f %6.2f %6d | %5s %5s %5s\n", v, w, $9, $10, $13, $11, $12, $6, r[1], r[2], r[3] }' <<<"$row"
          fi
        done
      done
    fi
    if [[ $do_throughput == 1 ]]; then
      echo
      echo "Throughput (scale 1/$scale: $per_wallet_tp tx per wallet)                   | report (128000 tx per wallet)"
      printf '%-9s %-12s %12s %10s %12s %6s %7s | %9s %10s %11s\n' Validator "Wallet Scale" "Total Tx" "Time(sec)" "Thr.(tx/s)" lost cpu_s "Total Tx" "Time(sec)" "Thr.(tx/s)"
      for proof in $proofs; do
        upper=${proof^^}
        for w in $wallets_list; do
          local row="${R[tp,$topo,$proof,$w]:-}" rep="${REP_TP[$proof,$w]:-- - -}"
          if [[ -z $row || $row == FAILED* ]]; then
            printf '%-9s %-12s %12s %10s %12s %6s %7s | %9s %10s %11s\n' "$upper" "$w" "${row:-n/a}" "" "" "" "" $rep
          else
            awk -v v="$upper" -v w="$w" -v rep="$rep" '{ split(rep, r, " ");
              printf "%-9s %-12s %12d %10.1f %12.1f %6d %7.1f | %9s %10s %11s\n", v, w, $3, $7, $8, $6, $14, r[1], r[2], r[3] }' <<<"$row"
          fi
        done
      done
    fi
  done
  echo
  echo "runs: $runs, with loss or failure: $failures; wall time $(( (SECONDS - start_all) / 60 )) min $(( (SECONDS - start_all) % 60 )) s"
}

echo >&2
tables
if [[ -n $out ]]; then tables >"$out"; fi
if (( failures > 0 )); then
  echo "dsc_eval: $failures run(s) lost transactions or failed (logs in $log_dir)" >&2
  exit 1
fi
exit 0
