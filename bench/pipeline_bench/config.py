"""Paths and fixed settings of the bench, shared by every module.

Kept in one place so that a figure's conditions (the broker's fetch wait, the latency rate, the
mock cluster's event count) are stated once and reported as they were measured. `BIN` is the only
value a run changes (`--bin-dir`), before any section starts; modules read it as `config.BIN` at
call time, never copy it at import.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
#: Where today's `cargo build --release` puts the binaries (bench/run.sh builds them there).
DEFAULT_BIN = ROOT / "target" / "release"
#: The directory of the producer, consumer and verifier measured (`--bin-dir`, BENCH_BIN_DIR).
BIN = DEFAULT_BIN
ANCHORS = ROOT / "bench" / "anchors"
RESULTS = ROOT / "bench" / "results"
#: Every process's output, one log file per process.
LOGS = ROOT / ".run" / "bench"
#: The anchors run in the bench's own interpreter: the venv with confluent-kafka and
#: kafka-python-ng (bench/run.sh).
PY = sys.executable
#: The bench's own tansu, on a port of its own so that it never stops someone else's broker.
TANSU_PORT = os.environ.get("BENCH_TANSU_PORT", "19592")
LATENCY_RATE = 1000
# librdkafka's mock cluster keeps a bounded log per partition: of 200k events only ~80k were
# still there to read, so the mock rows use fewer events.
MOCK_COUNT = 50_000
# tansu 0.6 holds every fetch for its whole max wait, records or not: our consumer and the
# librdkafka consumer both wait 10 ms on it, scans (verifier, librdkafka scan) 0.
TANSU_FETCH_WAIT_MS = 10
# The metrics section: what `--http` costs, with /metrics scraped as Prometheus would.
SCRAPE_INTERVAL_S = 1.0
HTTP_ADDRESS = "127.0.0.1:0"
#: Every section, in the order the report lists them (`--only` takes a comma-separated subset).
ALL_SECTIONS = "producer,consumer,zstd,verifier,latency,mock,metrics"
