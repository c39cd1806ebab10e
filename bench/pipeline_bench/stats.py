"""From the recorded runs to the figures: medians, ratios, targets (the JSON's `summary`).

Every figure is the median of its runs (a run's figure missing, e.g. a section left out, is
skipped; none at all gives None, shown as "—"). Ratios are of the medians; where two sides ran
back to back in pairs (--http off and on, a baseline build and the one under test), the median of
the pairs' ratios is given too: it leaves out the load's drift from one pair to the next.
"""
import statistics

ROWS = ("producer", "consumer", "zstd_consumer", "mock_consumer", "verifier")
CLIENTS = ("ours", "librdkafka", "kafka_python")


def median(values):
    """The median of the values that are not None; None if there are none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    """a / b, or None when either is missing (or b is 0)."""
    return a / b if a is not None and b else None


def paired_ratio(results, key_a, key_b, field="events_per_s"):
    """The median over the pairs (run i of `key_b`, run i of `key_a`) of b / a."""
    return median([ratio(b.get(field), a.get(field))
                   for a, b in zip(results.get(key_a, []), results.get(key_b, []))])


def check(value, test):
    """Whether `value` meets `test`; None when there is no value (its section did not run)."""
    return None if value is None else test(value)


def summarise(results):
    """The medians, ratios and targets of `results` (Session.results)."""
    def med(key, field="events_per_s"):
        return median([r.get(field) for r in results.get(key, [])])

    def lat(field, key="latency.ours"):
        return median([(r.get("latency") or {}).get(field) for r in results.get(key, [])])

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

    s["cpu_s_per_million"] = {row: {client: cpu(f"{row}.{client}") for client in CLIENTS}
                              for row in ROWS}

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
        on_runs = results.get(f"{key}.on", [])
        s["metrics"][service] = {
            "off": off, "on": on, "ratio": ratio(on, off),
            # Each pair ran back to back (off then on, or on then off).
            "paired_ratio": paired_ratio(results, f"{key}.off", f"{key}.on"),
            "cost": None if ratio(on, off) is None else 1 - ratio(on, off),
            "cpu_s_per_million_off": cpu_off, "cpu_s_per_million_on": cpu_on,
            "cpu_ratio": ratio(cpu_on, cpu_off),
            "scrapes": sum(x.get("scrapes", 0) for x in on_runs),
            "scrape_failures": sum(x.get("scrape_failures", 0) for x in on_runs),
            "runs": len(on_runs),
        }
    if any(key.endswith(".baseline") for key in results):
        s["baseline"] = summarise_baseline(results, med, lat)
    r, rss, lat_ms = s["ratios"], s["rss_kb"], s["latency_ms"]

    def at_least(value, target):
        return check(value, lambda v: v >= target)

    s["targets"] = {
        "producer >= 1.0x librdkafka": at_least(r["producer_vs_librdkafka"], 1.0),
        "producer >= 20x kafka-python-ng": at_least(r["producer_vs_kafka_python"], 20.0),
        "consumer >= 1.0x librdkafka": at_least(r["consumer_vs_librdkafka"], 1.0),
        "consumer >= 20x kafka-python-ng (mock)": at_least(r["consumer_vs_kafka_python_mock"],
                                                           20.0),
        "verifier >= 1.0x librdkafka scan": at_least(r["verifier_vs_librdkafka"], 1.0),
        "consumer steady RSS <= 20 MB": check(rss["consumer_steady"], lambda v: v <= 20 * 1024),
        "e2e p99 < 50 ms at 1,000 events/s": check(lat_ms["p99"], lambda v: v < 50),
        "producer: --http (metrics scraped) costs <= 5% of events/s":
            at_least(s["metrics"]["producer"]["ratio"], 0.95),
        "consumer: --http (metrics scraped) costs <= 5% of events/s":
            at_least(s["metrics"]["consumer"]["ratio"], 0.95),
    }
    return s


def summarise_baseline(results, med, lat):
    """The build under test (`ours`) against the baseline build, row by row: medians of each,
    their ratio (ours / baseline) and the median of the pairs' ratios (each pair ran back to
    back); events/s, peak RSS and CPU s per million events; latency p50/p99 in ms."""
    def compare(field, ours, baseline, paired=True):
        return {"ours": ours, "baseline": baseline, "ratio": ratio(ours, baseline),
                **({"paired_ratio": paired_ratio(results, f"{field}.baseline", f"{field}.ours")}
                   if paired else {})}

    out = {}
    for row in ROWS:
        if not results.get(f"{row}.baseline"):
            continue
        out[row] = {
            "events_per_s": compare(row, med(f"{row}.ours"), med(f"{row}.baseline")),
            "peak_rss_kb": compare(row, med(f"{row}.ours", "peak_rss_kb"),
                                   med(f"{row}.baseline", "peak_rss_kb"), paired=False),
            "cpu_s_per_million": compare(row, med(f"{row}.ours", "cpu_s_per_million"),
                                         med(f"{row}.baseline", "cpu_s_per_million"),
                                         paired=False),
        }
    if results.get("latency.baseline"):
        out["latency_ms"] = {p: compare("latency", lat(f"{p}_ms"),
                                        lat(f"{p}_ms", "latency.baseline"), paired=False)
                             for p in ("p50", "p99")}
    return out
