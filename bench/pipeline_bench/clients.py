"""One measured run of a client: our producer, consumer or verifier, or an anchor script.

Each function runs one process to its end and returns one measurement (a dict: `events_per_s`,
`peak_rss_kb`, `wall_s`, `cpu_s`, and what else the row reports). Our services print a JSON
summary (`--json`); the anchors (bench/anchors/, librdkafka through confluent-kafka and
kafka-python-ng) print one JSON line of the same kind (bench/anchors/common.py). Our binaries are
taken from `bin_dir`, by default config.BIN (`--bin-dir`).
"""
import re
import threading
import time
from pathlib import Path

from . import config
from .process import Proc, run_json
from .scrape import http_flags, require_address, scraper_for, stop_scraper


def binary(name, bin_dir=None):
    """The path of our binary `name` in `bin_dir` (default: config.BIN)."""
    return Path(bin_dir or config.BIN) / name


def our_producer(brokers, topic, count, tag, http=False, bin_dir=None):
    """Writes `count` events to `topic` at full speed (`--rate 0`, acks=all). With `http`, the
    producer also serves --http 127.0.0.1:0 and a Scraper GETs its /metrics every second while it
    runs."""
    scraper = scraper_for(http)
    try:
        r = run_json(f"producer-ours-{tag}", [binary("producer", bin_dir), "--brokers", brokers,
                                               "--topic", topic, "--count", count, "--rate", 0,
                                               "--partitions", 3, "--json", *http_flags(scraper)],
                     on_stderr_line=scraper and scraper.on_stderr_line)
    finally:
        scraped = stop_scraper(scraper)
    assert r["acked"] == count, r
    require_address(scraped, f"producer {tag}")
    return {"events_per_s": r["events_per_s"], "peak_rss_kb": r["peak_rss_kb"],
            "wall_s": r["wall_s"], "cpu_s": r["cpu_s"], **scraped}


def start_paced_producer(brokers, topic, count, rate, name, bin_dir=None):
    """Starts our producer writing `count` events at `rate` events/s (the latency section's
    feed); returns its Proc, to be waited for."""
    return Proc(name, [binary("producer", bin_dir), "--brokers", brokers, "--topic", topic,
                       "--count", count, "--rate", rate, "--json"])


def anchor(script, tag, *args):
    """Runs bench/anchors/SCRIPT ARGS… in the bench's interpreter; returns its JSON line."""
    return run_json(f"{Path(script).stem}-{tag}", [config.PY, config.ANCHORS / script, *args])


def our_consumer(brokers, topic, group, count, tag, fetch_wait_ms=None, ready=None, http=False,
                 bin_dir=None):
    """Runs our consumer until it has counted `count` records (read from its live statistics),
    takes its RSS then (steady), stops it with SIGTERM and reads its JSON summary. With `ready`,
    calls it once the consumer has joined its group (the latency section starts its producer
    then). With `http`, it also serves --http 127.0.0.1:0 and a Scraper GETs its /metrics every
    second meanwhile."""
    scraper = scraper_for(http)
    dashboard = {}
    counted = threading.Event()
    joined = threading.Event()
    progress = {"consumed": 0, "at": time.monotonic()}

    def watch(line):
        # "consumed: N" (older consumers) or "live: …, consumed N, …"
        match = re.search(r"\bconsumed\s*:?\s*(\d+)", line)
        if match:
            consumed = int(match.group(1))
            if consumed > progress["consumed"]:
                progress.update(consumed=consumed, at=time.monotonic())
            if consumed >= count:
                counted.set()
        if "consuming" in line:
            joined.set()
        if scraper is not None:
            scraper.on_stderr_line(line)
            if "dashboard: " in line:
                dashboard["url"] = line.split("dashboard: ", 1)[1].strip()

    proc = Proc(f"consumer-ours-{tag}", [
        binary("consumer", bin_dir), "--brokers", brokers, "--topic", topic, "--group-id", group,
        "--client-id", "bench", "--stats-interval", "100ms", "--json",
        *([] if fetch_wait_ms is None else ["--fetch-max-wait", f"{fetch_wait_ms}ms"]),
        *http_flags(scraper)],
        on_stderr_line=watch)
    if ready is not None:
        if not joined.wait(60):
            proc.stop()
            proc.wait()
            raise RuntimeError(f"consumer {tag} did not join its group")
        ready()
    # Give up when nothing new was counted for 30 s (a broker that dropped records).
    while not counted.wait(1) and time.monotonic() - progress["at"] < 30:
        pass
    finished = counted.is_set()
    time.sleep(0.5)  # idle for a moment: the steady state after the burst
    steady = proc.current_rss_kb()
    scraped = stop_scraper(scraper)
    proc.stop()
    code, wall, peak, _ = proc.wait(30)
    if not finished or code != 0:
        raise RuntimeError(f"consumer {tag}: counted {progress['consumed']} of {count}, "
                           f"exit {code}")
    require_address(scraped, f"consumer {tag}")
    summary = proc.json()
    return {"events_per_s": summary["events_per_s"], "consumed": summary["consumed"],
            "latency": summary.get("latency"), "peak_rss_kb": peak, "steady_rss_kb": steady,
            "wall_s": wall, "cpu_s": proc.cpu_s, **scraped, **dashboard}


def our_verifier(brokers, topic, count, tag, bin_dir=None):
    """Scans and audits `topic` (which must hold `count` events, all accounted for); the rate is
    of the whole process (start, connect, manifests, scan, report)."""
    r = run_json(f"verifier-ours-{tag}", [binary("verifier", bin_dir), "--brokers", brokers,
                                           "--topic", topic, "--json"])
    assert r["total"] == count and r["ok"], {k: r[k] for k in ("total", "lost", "ok")}
    return {"events_per_s": r["total"] / r["wall_s"], "wall_s": r["wall_s"],
            "peak_rss_kb": r["peak_rss_kb"], "read": r["total"], "cpu_s": r["cpu_s"]}
