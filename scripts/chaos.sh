#!/usr/bin/env bash
# The chaos suite (crates/e2e/tests/chaos.rs): producer, consumer group and verifier while faults
# play, then one verdict table (docs/chaos.md).
#   chaos.sh [--full] [--soak] [--json]
#     (default) the short timelines, as CI runs them: about 8 minutes on 2 cores
#     --full   longer timelines (8 kills, 6 on tansu, 3 crashes)
#     --soak   also the soak: a million events through consumer churn (about 7 more minutes)
#     --json   the verdicts as one JSON array on stdout instead of the table
# CHAOS_TANSU_PORT, CHAOS_TANSU_MEMORY_PORT: the ports of its two tansu (default 19392 and
# 19492; each uses port and port+1).
# Exit 0 when every scenario passed (nothing lost, every duplicate inside a fault's commit
# window, or the broker at fault as its anchor shows), else 1.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PIPELINE_ROOT"

length=short soak=0 json=0
for arg in "$@"; do
  case "$arg" in
    --full) length=full ;;
    --soak) soak=1 ;;
    --json) json=1 ;;
    *) echo "usage: chaos.sh [--full] [--soak] [--json]" >&2; exit 2 ;;
  esac
done

"$PIPELINE_ROOT/scripts/install.sh" >&2
cargo build --workspace --all-targets --quiet
report="$PIPELINE_RUN/chaos"
rm -rf "$report" && mkdir -p "$report"
for broker in tansu-chaos tansu-chaos-memory; do scripts/broker.sh stop "$broker"; done
trap 'for broker in tansu-chaos tansu-chaos-memory; do scripts/broker.sh stop "$broker"; done' EXIT
scripts/broker.sh start tansu-chaos "${CHAOS_TANSU_PORT:-19392}" >/dev/null
scripts/broker.sh start tansu-chaos-memory "${CHAOS_TANSU_MEMORY_PORT:-19492}" >/dev/null
# The soak is not selected unless asked for (it would only record itself as skipped).
selection=()
[ "$soak" = 1 ] || selection=(--skip soak_a_million_events_through_consumer_churn)

echo "chaos: $length timelines$([ "$soak" = 1 ] && echo ", with the soak"); faults as they play:" >&2
status=0
CHAOS_LENGTH=$length CHAOS_SOAK=$soak CHAOS_REPORT_DIR=$report \
  KAFKA_CHAOS_TANSU_DIR="$PIPELINE_RUN/tansu-chaos" KAFKA_CHAOS_TANSU_MEMORY_DIR="$PIPELINE_RUN/tansu-chaos-memory" \
  E2E_LOG_DIR="$report/logs" \
  cargo test --quiet -p e2e --test chaos -- --ignored --test-threads 1 --nocapture "${selection[@]}" \
  >"$report/test.log" 2>&1 &
tests=$!
# The test harness starts a line with a test's name and ends it with its result, around what
# the test prints: the fault lines are picked out wherever they are.
tail -n +1 -f "$report/test.log" --pid "$tests" |
  grep --line-buffered -oE 'chaos: .*|^test [a-z_]+|^(ok|FAILED)$|test result: .*' >&2 || true
wait "$tests" || status=1
[ "$status" = 0 ] || grep -E "panicked|assert" "$report/test.log" | head -20 >&2
args=("$report")
[ "$json" = 1 ] && args+=(--json)
python3 scripts/chaos_table.py "${args[@]}" || status=1
echo "logs: ${report#"$PIPELINE_ROOT"/}/" >&2
exit "$status"
