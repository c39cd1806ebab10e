#!/usr/bin/env python3
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
"""
import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release"
ANCHORS = ROOT / "bench" / "anchors"
RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / ".run" / "bench"
PY = sys.executable
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
ALL_SECTIONS = "producer,consumer,zstd,verifier,latency,mock,metrics"


# ---------------------------------------------------------------------------------------------
# Processes: wall time, peak RSS and RSS (/proc/PID/status VmHWM and VmRSS, sampled every
# 20 ms; VmHWM is the kernel's high-water mark, so its last sample is the peak give or take the
# last 20 ms). Not wait4's ru_maxrss: it counts the Python parent's pages the child had between
# fork and exec, ~30 MB here.

class Proc:
    """A child process whose output is kept and whose RSS and peak RSS are sampled every 20 ms."""

    def __init__(self, name, cmd, on_stderr_line=None):
        self.name = name
        self.cmd = [str(c) for c in cmd]
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(LOGS / f"{name}.log", "w")
        self.log.write("$ " + " ".join(self.cmd) + "\n")
        self.log.flush()
        self.started = time.perf_counter()
        self.popen = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, cwd=ROOT)
        self.stdout = []
        self.cpu_s = None
        self.rss_kb = 0
        self.hwm_kb = 0
        self.done = False
        self.threads = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.stdout, None)),
            threading.Thread(target=self._read, args=(self.popen.stderr, None, on_stderr_line)),
            threading.Thread(target=self._sample),
        ]
        for thread in self.threads:
            thread.daemon = True
            thread.start()

    def _read(self, pipe, keep, callback):
        for line in pipe:
            self.log.write(line)
            if keep is not None:
                keep.append(line)
            if callback:
                callback(line)

    def _sample(self):
        path = f"/proc/{self.popen.pid}/status"
        while not self.done:
            try:
                with open(path) as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            self.rss_kb = int(line.split()[1])
                        elif line.startswith("VmHWM:"):
                            self.hwm_kb = max(self.hwm_kb, int(line.split()[1]))
            except (OSError, ValueError):
                return
            time.sleep(0.02)

    def current_rss_kb(self):
        """VmRSS right now (0 once the process is gone)."""
        try:
            with open(f"/proc/{self.popen.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self):
        if self.popen.returncode is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait(self, timeout=600):
        """Reaps the process; returns (exit code, wall seconds, peak RSS KiB, stdout lines)."""
        deadline = time.monotonic() + timeout
        while True:
            # Peek without reaping, so that the last VmHWM can still be read.
            if os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                break
            if time.monotonic() > deadline:
                self.popen.kill()
                self.log.write(f"\n[bench] killed after {timeout}s\n")
                break
            time.sleep(0.005)
        try:
            with open(f"/proc/{self.popen.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self.hwm_kb = max(self.hwm_kb, int(line.split()[1]))
        except OSError:
            pass
        _, status, usage = os.wait4(self.popen.pid, 0)
        wall = time.perf_counter() - self.started
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.done = True
        self.popen.returncode = os.waitstatus_to_exitcode(status)
        for thread in self.threads[:2]:
            thread.join(5)
        self.log.write(f"\n[bench] exit {self.popen.returncode}, {wall:.3f}s, "
                       f"CPU {self.cpu_s:.3f}s, peak RSS {self.hwm_kb} KiB\n")
        self.log.close()
        return self.popen.returncode, wall, self.hwm_kb, self.stdout

    def json(self):
        """The last JSON object the process printed on stdout."""
        for line in reversed(self.stdout):
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"{self.name}: no JSON on stdout (see {LOGS / (self.name + '.log')})")


class Scraper:
    """GETs http://ADDRESS/metrics once the service has logged the address it serves
    (`serving HTTP … address=HOST:PORT`), at once and then every SCRAPE_INTERVAL_S, as Prometheus
    would, until stopped. Feed it the service's stderr lines (`on_stderr_line`)."""

    def __init__(self, interval=SCRAPE_INTERVAL_S):
        self.interval = interval
        self.address = None
        self.scrapes = 0
        self.failures = 0
        self.bytes = 0
        self.errors = []
        self._found = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def on_stderr_line(self, line):
        if self.address is None and "serving HTTP" in line:
            match = re.search(r"address=(\S+)", re.sub(r"\x1b\[[0-9;]*m", "", line))
            if match:
                self.address = match.group(1)
                self._found.set()

    def _run(self):
        while not self._found.wait(0.05):
            if self._stop.is_set():
                return
        url = f"http://{self.address}/metrics"
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    body = answer.read()
                    if answer.status != 200 or b"# EOF" not in body:
                        raise RuntimeError(f"status {answer.status}, {len(body)} bytes")
                self.scrapes += 1
                self.bytes += len(body)
            except Exception as error:  # the service may just have exited: counted, not fatal
                self.failures += 1
                self.errors.append(str(error))
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return {"http_address": self.address, "scrapes": self.scrapes,
                "scrape_failures": self.failures,
                "scrape_bytes": self.bytes // self.scrapes if self.scrapes else 0}


def http_flags(scraper):
    return [] if scraper is None else ["--http", HTTP_ADDRESS]


def run_json(name, cmd, timeout=600, on_stderr_line=None):
    proc = Proc(name, cmd, on_stderr_line)
    code, wall, peak, _ = proc.wait(timeout)
    if code != 0:
        raise RuntimeError(f"{name} exited with {code}: see {LOGS / (name + '.log')}")
    result = proc.json()
    result.update(wall_s=wall, peak_rss_kb=peak, cpu_s=proc.cpu_s)
    return result


# ---------------------------------------------------------------------------------------------
# Brokers and topics.

def broker(action, name, *extra):
    out = subprocess.run([ROOT / "scripts" / "broker.sh", action, name, *extra], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


STARTED = set()  # the brokers this run started: the only ones it stops at the end


def fresh_tansu():
    broker("stop", "tansu-memory")
    STARTED.add("tansu-memory")
    return broker("start", "tansu-memory", TANSU_PORT)


def create_topic(brokers, topic, partitions=3):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": brokers})
    for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        future.result(30)
    for _ in range(50):  # metadata can lag behind creation
        if topic in admin.list_topics(timeout=10).topics:
            return
        time.sleep(0.1)


def produce_dataset(brokers, topic, count, name):
    """Fills `topic` with our producer (audit headers and a run manifest included)."""
    return run_json(name, [BIN / "producer", "--brokers", brokers, "--topic", topic, "--count",
                           count, "--rate", 0, "--partitions", 3, "--json", "--seed", 1])


# ---------------------------------------------------------------------------------------------
# The scenarios. Each returns one measurement (a dict).

def our_producer(brokers, topic, count, tag, http=False):
    """With `http`, the producer also serves --http 127.0.0.1:0 and a Scraper GETs its /metrics
    every second while it runs."""
    scraper = Scraper() if http else None
    try:
        r = run_json(f"producer-ours-{tag}", [BIN / "producer", "--brokers", brokers, "--topic",
                                               topic, "--count", count, "--rate", 0,
                                               "--partitions", 3, "--json", *http_flags(scraper)],
                     on_stderr_line=scraper and scraper.on_stderr_line)
    finally:
        scraped = scraper.stop() if scraper else {}
    assert r["acked"] == count, r
    if http and not scraped["http_address"]:
        raise RuntimeError(f"producer {tag}: no `serving HTTP … address=` line on stderr")
    return {"events_per_s": r["events_per_s"], "peak_rss_kb": r["peak_rss_kb"],
            "wall_s": r["wall_s"], "cpu_s": r["cpu_s"], **scraped}


def anchor(script, tag, *args):
    r = run_json(f"{Path(script).stem}-{tag}", [PY, ANCHORS / script, *args])
    return r


def our_consumer(brokers, topic, group, count, tag, fetch_wait_ms=None, ready=None, http=False):
    """Runs our consumer until it has counted `count` records (read from its live statistics),
    takes its RSS then (steady), stops it with SIGTERM and reads its JSON summary. With `http`,
    it also serves --http 127.0.0.1:0 and a Scraper GETs its /metrics every second meanwhile."""
    scraper = Scraper() if http else None
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
        BIN / "consumer", "--brokers", brokers, "--topic", topic, "--group-id", group,
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
    scraped = scraper.stop() if scraper else {}
    proc.stop()
    code, wall, peak, _ = proc.wait(30)
    if not finished or code != 0:
        raise RuntimeError(f"consumer {tag}: counted {progress['consumed']} of {count}, "
                           f"exit {code}")
    if http and not scraped["http_address"]:
        raise RuntimeError(f"consumer {tag}: no `serving HTTP … address=` line on stderr")
    summary = proc.json()
    return {"events_per_s": summary["events_per_s"], "consumed": summary["consumed"],
            "latency": summary.get("latency"), "peak_rss_kb": peak, "steady_rss_kb": steady,
            "wall_s": wall, "cpu_s": proc.cpu_s, **scraped, **dashboard}


def our_verifier(brokers, topic, count, tag):
    r = run_json(f"verifier-ours-{tag}", [BIN / "verifier", "--brokers", brokers, "--topic",
                                           topic, "--json"])
    assert r["total"] == count and r["ok"], {k: r[k] for k in ("total", "lost", "ok")}
    return {"events_per_s": r["total"] / r["wall_s"], "wall_s": r["wall_s"],
            "peak_rss_kb": r["peak_rss_kb"], "read": r["total"], "cpu_s": r["cpu_s"]}


# ---------------------------------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    tansu = subprocess.run(["tansu", "--version"], capture_output=True, text=True).stdout.strip()
    import confluent_kafka
    import kafka
    return {
        "cpus": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(), "os": platform.freedesktop_os_release().get(
            "PRETTY_NAME", "linux") if hasattr(platform, "freedesktop_os_release") else "linux",
        "tansu": tansu, "librdkafka": confluent_kafka.libversion()[0],
        "confluent_kafka": confluent_kafka.__version__, "kafka_python_ng": kafka.__version__,
        "python": platform.python_version(),
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 5)))
    parser.add_argument("--count", type=int, default=int(os.environ.get("BENCH_COUNT", 200_000)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ALL_SECTIONS))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.out is None:
        # The metrics section alone must not replace the full run's figures in latest.*.
        metrics_only = set(args.only.split(",")) == {"metrics"}
        args.out = str(RESULTS / ("metrics.json" if metrics_only else "latest.json"))
    runs, count, latency_count = args.runs, args.count, 10_000
    if args.quick:
        runs, count, latency_count = 1, 50_000, 3_000
    few = min(runs, 3)
    sections = set(args.only.split(","))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    results = {}
    loads = []

    def section(name):
        loads.append(loadavg())
        print(f"--- {name} (load average {loads[-1]:.2f})", file=sys.stderr, flush=True)

    def record(key, value, events=None):
        """Keeps one measurement; with `events`, also the process's CPU (user + sys) per
        million events."""
        if events and value.get("cpu_s") is not None:
            value["cpu_s_per_million"] = value["cpu_s"] / events * 1e6
        results.setdefault(key, []).append(value)
        shown = {k: (round(v) if isinstance(v, float) and v > 100 else
                     round(v, 2) if isinstance(v, float) else v)
                 for k, v in value.items() if k in ("events_per_s", "peak_rss_kb",
                                                     "steady_rss_kb", "latency",
                                                     "cpu_s_per_million", "scrapes",
                                                     "scrape_failures")}
        print(f"  {key}: {shown}", file=sys.stderr, flush=True)

    try:
        if "producer" in sections:
            brokers = fresh_tansu()
            section(f"producer: {count} events, acks=all, tansu memory at {brokers}")
            for i in range(runs):
                record("producer.ours", our_producer(brokers, f"p-ours-{stamp}-{i}", count, i),
                       count)
                topic = f"p-rdk-{stamp}-{i}"
                create_topic(brokers, topic)
                record("producer.librdkafka", anchor("librdkafka_produce.py", i, brokers, topic,
                                                     count), count)
                if i < few:
                    topic = f"p-kp-{stamp}-{i}"
                    create_topic(brokers, topic)
                    record("producer.kafka_python", anchor("kafka_python_produce.py", i, brokers,
                                                           topic, count), count)
        if "consumer" in sections or "verifier" in sections:
            brokers = fresh_tansu()
            data = f"c-data-{stamp}"
            produce_dataset(brokers, data, count, "dataset-tansu")
            if "consumer" in sections:
                section(f"consumer: {count} events, fresh group each run, tansu memory")
                for i in range(runs):
                    record("consumer.ours", our_consumer(brokers, data, f"g-ours-{stamp}-{i}",
                                                         count, i, TANSU_FETCH_WAIT_MS), count)
                    record("consumer.librdkafka", anchor("librdkafka_consume.py", i, brokers, data,
                                                         f"g-rdk-{stamp}-{i}", count,
                                                         TANSU_FETCH_WAIT_MS), count)
            if "verifier" in sections:
                section(f"verifier: full scan of {count} events, tansu memory")
                for i in range(runs):
                    record("verifier.ours", our_verifier(brokers, data, count, i), count)
                    record("verifier.librdkafka", anchor("librdkafka_scan.py", i, brokers, data,
                                                         0), count)
        if "zstd" in sections:
            brokers = fresh_tansu()
            data = f"z-data-{stamp}"
            create_topic(brokers, data)
            anchor("librdkafka_produce.py", "zstd-dataset", brokers, data, count, "zstd")
            section(f"consumer: {count} events written by librdkafka with zstd, tansu memory")
            for i in range(runs):
                record("zstd_consumer.ours", our_consumer(brokers, data, f"gz-ours-{stamp}-{i}",
                                                          count, f"zstd-{i}",
                                                          TANSU_FETCH_WAIT_MS), count)
                record("zstd_consumer.librdkafka", anchor("librdkafka_consume.py", f"zstd-{i}",
                                                          brokers, data, f"gz-rdk-{stamp}-{i}",
                                                          count, TANSU_FETCH_WAIT_MS), count)
        if "latency" in sections:
            brokers = fresh_tansu()
            section(f"latency: {latency_count} events at {LATENCY_RATE}/s, tansu memory")
            for i in range(few):
                topic = f"e-{stamp}-{i}"
                create_topic(brokers, topic)
                producer = {}

                def start_producer(topic=topic, i=i):
                    producer["proc"] = Proc(f"latency-producer-{i}", [
                        BIN / "producer", "--brokers", brokers, "--topic", topic, "--count",
                        latency_count, "--rate", LATENCY_RATE, "--json"])

                record("latency.ours", our_consumer(brokers, topic, f"g-e-{stamp}-{i}",
                                                    latency_count, f"latency-{i}",
                                                    TANSU_FETCH_WAIT_MS, ready=start_producer))
                producer["proc"].wait(60)
        if "mock" in sections:
            broker("stop", "mock")
            STARTED.add("mock")
            brokers = broker("start", "mock")
            mock_count = min(count, MOCK_COUNT)
            section(f"consumer on librdkafka's mock cluster at {brokers}: {mock_count} events")
            data = f"m-data-{stamp}"
            produce_dataset(brokers, data, mock_count, "dataset-mock")
            for i in range(runs):
                record("mock_consumer.ours", our_consumer(brokers, data, f"mg-ours-{stamp}-{i}",
                                                          mock_count, f"mock-{i}"), mock_count)
                if i < few:
                    record("mock_consumer.kafka_python", anchor(
                        "kafka_python_consume.py", f"mock-{i}", brokers, data,
                        f"mg-kp-{stamp}-{i}", mock_count), mock_count)
                    # What the mock cluster serves to a fast client: the ceiling of this row.
                    record("mock_consumer.librdkafka", anchor(
                        "librdkafka_consume.py", f"mock-{i}", brokers, data,
                        f"mg-rdk-{stamp}-{i}", mock_count), mock_count)
        if "metrics" in sections:
            # What --http costs: the same runs without and with it, interleaved (the order
            # alternates from one pair to the next, so that a drifting load weighs on both
            # sides alike), /metrics scraped every second while --http is on.
            brokers = fresh_tansu()
            data = f"x-data-{stamp}"
            produce_dataset(brokers, data, count, "dataset-metrics")
            section(f"metrics: producer and consumer without and with --http {HTTP_ADDRESS}, "
                    f"/metrics scraped every {SCRAPE_INTERVAL_S:g} s, {count} events, "
                    f"tansu memory")
            for i in range(runs):
                for http in ((False, True) if i % 2 == 0 else (True, False)):
                    side = "on" if http else "off"
                    record(f"metrics_producer.{side}", our_producer(
                        brokers, f"x-p-{stamp}-{i}-{side}", count, f"metrics-{side}-{i}",
                        http=http), count)
                for http in ((False, True) if i % 2 == 0 else (True, False)):
                    side = "on" if http else "off"
                    record(f"metrics_consumer.{side}", our_consumer(
                        brokers, data, f"gx-{stamp}-{i}-{side}", count, f"metrics-{side}-{i}",
                        TANSU_FETCH_WAIT_MS, http=http), count)
    finally:
        for name in sorted(STARTED):
            broker("stop", name)
    loads.append(loadavg())

    summary = summarise(results)
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "brokers": {"main": "tansu (memory storage)",
                    "kafka_python_consumer": "librdkafka mock cluster (confluent-kafka)"},
        "config": {"runs": runs, "events": count, "mock_events": min(count, MOCK_COUNT),
                   "latency_events": latency_count,
                   "latency_rate": LATENCY_RATE, "quick": args.quick,
                   "sections": [name for name in ALL_SECTIONS.split(",") if name in sections],
                   "scrape_interval_s": SCRAPE_INTERVAL_S,
                   "load_average_1m": loads},
        "summary": summary,
        "runs": results,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    table = render(report)
    out.with_suffix(".md").write_text(table)
    print(table)


def summarise(results):
    def med(key, field="events_per_s"):
        return median([r.get(field) for r in results.get(key, [])])

    def lat(field):
        return median([(r.get("latency") or {}).get(field) for r in results.get("latency.ours", [])])

    s = {
        "producer": {"ours": med("producer.ours"), "librdkafka": med("producer.librdkafka"),
                     "kafka_python": med("producer.kafka_python")},
        "consumer": {"ours": med("consumer.ours"), "librdkafka": med("consumer.librdkafka")},
        "zstd_consumer": {"ours": med("zstd_consumer.ours"),
                          "librdkafka": med("zstd_consumer.librdkafka")},
        "mock_consumer": {"ours": med("mock_consumer.ours"),
                          "librdkafka": med("mock_consumer.librdkafka"),
                          "kafka_python": med("mock_consumer.kafka_python")},
        "verifier": {"ours": med("verifier.ours"), "librdkafka": med("verifier.librdkafka")},
        "latency_ms": {"p50": lat("p50_ms"), "p99": lat("p99_ms"), "max": lat("max_ms")},
        "rss_kb": {
            "producer_peak": med("producer.ours", "peak_rss_kb"),
            "consumer_peak": med("consumer.ours", "peak_rss_kb"),
            "consumer_steady": med("consumer.ours", "steady_rss_kb"),
            "verifier_peak": med("verifier.ours", "peak_rss_kb"),
            "librdkafka_producer_peak": med("producer.librdkafka", "peak_rss_kb"),
            "librdkafka_consumer_peak": med("consumer.librdkafka", "peak_rss_kb"),
            "librdkafka_consumer_after": med("consumer.librdkafka", "rss_after_kb"),
            "librdkafka_scan_peak": med("verifier.librdkafka", "peak_rss_kb"),
            "kafka_python_producer_peak": med("producer.kafka_python", "peak_rss_kb"),
            "kafka_python_consumer_peak": med("mock_consumer.kafka_python", "peak_rss_kb"),
            "kafka_python_consumer_after": med("mock_consumer.kafka_python", "rss_after_kb"),
        },
    }

    def cpu(key):
        return med(key, "cpu_s_per_million")

    s["cpu_s_per_million"] = {
        row: {client: cpu(f"{row}.{client}") for client in ("ours", "librdkafka", "kafka_python")}
        for row in ("producer", "consumer", "zstd_consumer", "mock_consumer", "verifier")
    }

    def ratio(a, b):
        return a / b if a is not None and b else None

    s["ratios"] = {
        "producer_vs_librdkafka": ratio(s["producer"]["ours"], s["producer"]["librdkafka"]),
        "producer_vs_kafka_python": ratio(s["producer"]["ours"], s["producer"]["kafka_python"]),
        "consumer_vs_librdkafka": ratio(s["consumer"]["ours"], s["consumer"]["librdkafka"]),
        "consumer_vs_librdkafka_zstd": ratio(s["zstd_consumer"]["ours"],
                                             s["zstd_consumer"]["librdkafka"]),
        "consumer_vs_kafka_python_mock": ratio(s["mock_consumer"]["ours"],
                                               s["mock_consumer"]["kafka_python"]),
        "consumer_vs_librdkafka_mock": ratio(s["mock_consumer"]["ours"],
                                             s["mock_consumer"]["librdkafka"]),
        "verifier_vs_librdkafka": ratio(s["verifier"]["ours"], s["verifier"]["librdkafka"]),
    }
    # --http on / off: throughput (events/s) and CPU per million events, medians of each side.
    s["metrics"] = {}
    for service in ("producer", "consumer"):
        key = f"metrics_{service}"
        off, on = med(f"{key}.off"), med(f"{key}.on")
        cpu_off, cpu_on = cpu(f"{key}.off"), cpu(f"{key}.on")
        # Each pair ran back to back (off then on, or on then off): the median of the pairs'
        # ratios leaves out the load's drift from one pair to the next.
        pairs = [ratio(b.get("events_per_s"), a.get("events_per_s"))
                 for a, b in zip(results.get(f"{key}.off", []), results.get(f"{key}.on", []))]
        s["metrics"][service] = {
            "off": off, "on": on, "ratio": ratio(on, off), "paired_ratio": median(pairs),
            "cost": None if ratio(on, off) is None else 1 - ratio(on, off),
            "cpu_s_per_million_off": cpu_off, "cpu_s_per_million_on": cpu_on,
            "cpu_ratio": ratio(cpu_on, cpu_off),
            "scrapes": sum(x.get("scrapes", 0) for x in results.get(f"{key}.on", [])),
            "scrape_failures": sum(x.get("scrape_failures", 0)
                                   for x in results.get(f"{key}.on", [])),
            "runs": len(results.get(f"{key}.on", [])),
        }
    r, rss, lat_ms = s["ratios"], s["rss_kb"], s["latency_ms"]

    def at_least(value, target):
        return None if value is None else value >= target

    s["targets"] = {
        "producer >= 1.0x librdkafka": at_least(r["producer_vs_librdkafka"], 1.0),
        "producer >= 20x kafka-python-ng": at_least(r["producer_vs_kafka_python"], 20.0),
        "consumer >= 1.0x librdkafka": at_least(r["consumer_vs_librdkafka"], 1.0),
        "consumer >= 20x kafka-python-ng (mock)": at_least(r["consumer_vs_kafka_python_mock"],
                                                           20.0),
        "verifier >= 1.0x librdkafka scan": at_least(r["verifier_vs_librdkafka"], 1.0),
        "consumer steady RSS <= 20 MB": None if rss["consumer_steady"] is None
        else rss["consumer_steady"] <= 20 * 1024,
        "e2e p99 < 50 ms at 1,000 events/s": None if lat_ms["p99"] is None
        else lat_ms["p99"] < 50,
        "producer: --http (metrics scraped) costs <= 5% of events/s":
            at_least(s["metrics"]["producer"]["ratio"], 0.95),
        "consumer: --http (metrics scraped) costs <= 5% of events/s":
            at_least(s["metrics"]["consumer"]["ratio"], 0.95),
    }
    return s


def cpu(summary, row, client):
    value = summary.get("cpu_s_per_million", {}).get(row, {}).get(client)
    return "" if value is None else f"{value:.2f}"


def render(report):
    s, m, c = report["summary"], report["machine"], report["config"]

    def rate(v):
        return "—" if v is None else f"{v:,.0f}"

    def x(v):
        return "—" if v is None else f"{v:.2f}×"

    def mb(kb):
        return "—" if kb is None else f"{kb / 1024:.1f}"

    def ms(v):
        return "—" if v is None else f"{v:.1f}"

    def ms2(v):
        return "—" if v is None else f"{v:.2f}"

    def pct(ratio):
        return "—" if ratio is None else f"{(1 - ratio) * 100:+.1f}%"

    r = s["ratios"]
    # A run of some sections only (--only) renders the tables of those it ran.
    ran = set(c.get("sections") or ALL_SECTIONS.split(","))
    comparisons = bool(ran & {"producer", "consumer", "zstd", "verifier", "mock"})
    lines = [
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, {m['os']}, "
        f"kernel {m['kernel']}; shared, load average {', '.join(f'{v:.1f}' for v in c['load_average_1m'])} "
        f"at the start of each section.",
        f"Broker: {m['tansu']} with memory storage (the kafka-python-ng consumer row: librdkafka "
        f"{m['librdkafka']}'s mock cluster). Anchors: confluent-kafka {m['confluent_kafka']} "
        f"(librdkafka {m['librdkafka']}), kafka-python-ng {m['kafka_python_ng']}, Python "
        f"{m['python']}. Median of {c['runs']} runs (kafka-python-ng, latency: "
        f"{min(c['runs'], 3)}), {c['events']:,} events per run; {report['date']}.",
    ]
    lines += [
        "",
        "| figure (events/s) | ours | librdkafka | ours / librdkafka | kafka-python-ng | ours / kafka-python-ng |",
        "|---|---:|---:|---:|---:|---:|",
        f"| producer, acks=all | {rate(s['producer']['ours'])} | {rate(s['producer']['librdkafka'])} "
        f"| {x(r['producer_vs_librdkafka'])} | {rate(s['producer']['kafka_python'])} "
        f"| {x(r['producer_vs_kafka_python'])} |",
        f"| consumer, 1 group member | {rate(s['consumer']['ours'])} | "
        f"{rate(s['consumer']['librdkafka'])} | {x(r['consumer_vs_librdkafka'])} | | |",
        f"| consumer, zstd-compressed input (written by librdkafka) | "
        f"{rate(s['zstd_consumer']['ours'])} | {rate(s['zstd_consumer']['librdkafka'])} | "
        f"{x(r['consumer_vs_librdkafka_zstd'])} | | |",
        f"| consumer on the mock cluster ({c['mock_events']:,} events) | "
        f"{rate(s['mock_consumer']['ours'])} | "
        f"{rate(s['mock_consumer']['librdkafka'])} | {x(r['consumer_vs_librdkafka_mock'])} | "
        f"{rate(s['mock_consumer']['kafka_python'])} | {x(r['consumer_vs_kafka_python_mock'])} |",
        f"| verifier full scan + audit | {rate(s['verifier']['ours'])} | "
        f"{rate(s['verifier']['librdkafka'])} | {x(r['verifier_vs_librdkafka'])} | | |",
    ] if comparisons else []
    lines += [
        "",
        f"End-to-end latency at {c['latency_rate']:,} events/s ({c['latency_events']:,} events, "
        f"record timestamp → counted by the consumer): p50 {ms(s['latency_ms']['p50'])} ms, "
        f"p99 {ms(s['latency_ms']['p99'])} ms, max {ms(s['latency_ms']['max'])} ms.",
    ] if "latency" in ran else []
    lines += [
        "",
        "| peak RSS (MiB) | ours | librdkafka | kafka-python-ng |",
        "|---|---:|---:|---:|",
        f"| producer | {mb(s['rss_kb']['producer_peak'])} | "
        f"{mb(s['rss_kb']['librdkafka_producer_peak'])} | "
        f"{mb(s['rss_kb']['kafka_python_producer_peak'])} |",
        f"| consumer (peak) | {mb(s['rss_kb']['consumer_peak'])} | "
        f"{mb(s['rss_kb']['librdkafka_consumer_peak'])} | "
        f"{mb(s['rss_kb']['kafka_python_consumer_peak'])} (mock) |",
        f"| consumer (steady, after the events) | {mb(s['rss_kb']['consumer_steady'])} | "
        f"{mb(s['rss_kb']['librdkafka_consumer_after'])} | "
        f"{mb(s['rss_kb']['kafka_python_consumer_after'])} (mock) |",
        f"| verifier / scan | {mb(s['rss_kb']['verifier_peak'])} | "
        f"{mb(s['rss_kb']['librdkafka_scan_peak'])} | |",
        "",
        "| CPU s per million events (user + sys of the whole process) | ours | librdkafka | kafka-python-ng |",
        "|---|---:|---:|---:|",
        *[f"| {label} | {cpu(s, row, 'ours')} | {cpu(s, row, 'librdkafka')} | "
          f"{cpu(s, row, 'kafka_python')} |"
          for row, label in (("producer", "producer"), ("consumer", "consumer"),
                             ("zstd_consumer", "consumer, zstd input"),
                             ("mock_consumer", "consumer on the mock cluster"),
                             ("verifier", "verifier / scan"))],
    ] if comparisons else []
    metrics = s.get("metrics", {})
    lines += [
        "",
        f"Cost of the metrics: the same runs without and with `--http {HTTP_ADDRESS}`, "
        f"interleaved, /metrics scraped every {c.get('scrape_interval_s', SCRAPE_INTERVAL_S):g} s "
        f"while it is on (the producer writes {c['events']:,} events to a topic of its own; the "
        f"consumer, a fresh group each run, reads {c['events']:,}).",
        "",
        "| `--http` | events/s off | events/s on | on / off | cost (1 − on/off) | median of the pairs' on / off | CPU s per million off | on | scrapes (failed) / runs on |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {service} | {rate(v.get('off'))} | {rate(v.get('on'))} | {x(v.get('ratio'))} | "
          f"{pct(v.get('ratio'))} | {x(v.get('paired_ratio'))} | "
          f"{ms2(v.get('cpu_s_per_million_off'))} | "
          f"{ms2(v.get('cpu_s_per_million_on'))} | {v.get('scrapes', 0)} "
          f"({v.get('scrape_failures', 0)}) / {v.get('runs', 0)} |"
          for service, v in metrics.items() if v.get("off") is not None],
    ] if any(v.get("off") is not None for v in metrics.values()) else []
    lines += [
        "",
        "| target | met |",
        "|---|---|",
    ]
    for target, met in s["targets"].items():
        if met is None and c.get("sections"):
            continue  # a section this run left out
        lines.append(f"| {target} | {'—' if met is None else ('yes' if met else 'NO')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
