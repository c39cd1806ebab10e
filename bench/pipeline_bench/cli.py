"""`just bench`: measures the producer, consumer and verifier against librdkafka and
kafka-python-ng on the same local brokers, in one run, and writes bench/results/latest.json plus
a markdown table (bench/results/latest.md, also printed).

Run through bench/run.sh (it installs the brokers and the venv and builds the release binaries).
Every figure is the median of several runs. Options (or environment):
  --runs N   (BENCH_RUNS, default 5)     runs per figure (kafka-python-ng and latency: at most 3)
  --count N  (BENCH_COUNT, default 200000) events per throughput run
  --quick    (BENCH_QUICK=1)            1 run each, 50,000 events, 3,000 for latency
  --only S   (BENCH_ONLY)               comma-separated sections: producer,consumer,zstd,
                                        verifier,latency,mock,metrics
  --out F    where the JSON goes (the markdown next to it): bench/results/latest.json, or
             bench/results/metrics.json for `--only metrics`, so that a run of that section
             alone keeps the full run's latest.*
  --bin-dir D (BENCH_BIN_DIR, default target/release) where our producer, consumer and
             verifier are taken from
  --baseline-bin-dir D (BENCH_BASELINE_BIN_DIR) a second build to compare with: every run of
             ours is also made with D's binaries, back to back, the order alternating; an extra
             table gives each row's medians, their ratio and the median of the pairs' ratios
             (not in the metrics section)
The tansu of the bench listens on BENCH_TANSU_PORT (default 19592).
"""
import argparse
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from . import config
from .machine import loadavg, machine
from .report import render
from .sections import run_sections
from .session import Session
from .stats import summarise


def parse_args(argv=None):
    """The options, with their defaults from the environment."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 5)))
    parser.add_argument("--count", type=int, default=int(os.environ.get("BENCH_COUNT", 200_000)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", config.ALL_SECTIONS))
    parser.add_argument("--out", default=None)
    parser.add_argument("--bin-dir", default=os.environ.get("BENCH_BIN_DIR"))
    parser.add_argument("--baseline-bin-dir", default=os.environ.get("BENCH_BASELINE_BIN_DIR"))
    args = parser.parse_args(argv)
    if args.out is None:
        # The metrics section alone must not replace the full run's figures in latest.*.
        metrics_only = set(args.only.split(",")) == {"metrics"}
        args.out = str(config.RESULTS / ("metrics.json" if metrics_only else "latest.json"))
    for flag in ("bin_dir", "baseline_bin_dir"):
        directory = getattr(args, flag)
        if directory:
            directory = Path(directory).resolve()
            missing = [b for b in ("producer", "consumer", "verifier")
                       if not (directory / b).is_file()]
            if missing:
                parser.error(f"--{flag.replace('_', '-')} {directory}: no {', '.join(missing)}")
            setattr(args, flag, directory)
    return args


def main(argv=None):
    """Runs the sections asked for, then writes the JSON and the markdown and prints the latter."""
    args = parse_args(argv)
    if args.bin_dir:
        config.BIN = args.bin_dir
    runs, count, latency_count = args.runs, args.count, 10_000
    if args.quick:
        runs, count, latency_count = 1, 50_000, 3_000
    session = Session(runs, count, latency_count, set(args.only.split(",")),
                      baseline=args.baseline_bin_dir)
    run_sections(session)
    session.loads.append(loadavg())

    summary = summarise(session.results)
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "brokers": {"main": "tansu (memory storage)",
                    "kafka_python_consumer": "librdkafka mock cluster (confluent-kafka)"},
        "config": {"runs": runs, "events": count, "mock_events": min(count, config.MOCK_COUNT),
                   "latency_events": latency_count,
                   "latency_rate": config.LATENCY_RATE, "quick": args.quick,
                   "sections": [name for name in config.ALL_SECTIONS.split(",")
                                if name in session.sections],
                   "scrape_interval_s": config.SCRAPE_INTERVAL_S,
                   "load_average_1m": session.loads,
                   # Which binaries were measured, when not today's target/release alone.
                   **({"bin_dir": str(config.BIN)}
                      if args.bin_dir or args.baseline_bin_dir else {}),
                   **({"baseline_bin_dir": str(args.baseline_bin_dir)}
                      if args.baseline_bin_dir else {})},
        "summary": summary,
        "runs": session.results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    table = render(report)
    out.with_suffix(".md").write_text(table)
    print(table)
