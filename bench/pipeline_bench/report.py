"""The markdown report: the tables printed at the end of a run and written next to the JSON
(bench/results/latest.md), the form docs/benchmarks.md quotes.

It is rendered from the report dict alone (machine, config, summary), so that it can be
re-rendered from a results file. A run of some sections only (--only) renders the tables of
those it ran, and leaves out the targets it did not measure.
"""
from .config import ALL_SECTIONS, HTTP_ADDRESS, SCRAPE_INTERVAL_S


def _cell(form, missing="—"):
    """A formatter of table cells: `form(value)`, or `missing` for a figure not measured."""
    return lambda v: missing if v is None else form(v)


rate = _cell(lambda v: f"{v:,.0f}")
times = _cell(lambda v: f"{v:.2f}×")
mb = _cell(lambda kb: f"{kb / 1024:.1f}")
ms = _cell(lambda v: f"{v:.1f}")
ms2 = _cell(lambda v: f"{v:.2f}")
pct = _cell(lambda r: f"{(1 - r) * 100:+.1f}%")
_cpu_cell = _cell(lambda v: f"{v:.2f}", missing="")


#: The rows of the CPU and baseline tables, with their labels.
ROW_LABELS = (("producer", "producer"), ("consumer", "consumer"),
              ("zstd_consumer", "consumer, zstd input"),
              ("mock_consumer", "consumer on the mock cluster"),
              ("verifier", "verifier / scan"))


def cpu(summary, row, client):
    """The CPU s per million events of `client` in `row`, blank if it was not measured."""
    return _cpu_cell(summary.get("cpu_s_per_million", {}).get(row, {}).get(client))


def render(report):
    """The whole markdown report."""
    s, m, c = report["summary"], report["machine"], report["config"]
    x = times
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
          for row, label in ROW_LABELS],
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
    lines += render_baseline(s.get("baseline"), c)
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



def render_baseline(baseline, c):
    """The table of the build under test against the baseline build (--baseline-bin-dir); no
    lines without one."""
    if not baseline:
        return []
    x = times
    lines = [
        "",
        f"Build under test (`{c.get('bin_dir')}`) against the baseline "
        f"(`{c.get('baseline_bin_dir')}`), run by run back to back, the order alternating.",
        "",
        "| figure | events/s | baseline | under test / baseline | median of the pairs' ratios | peak RSS (MiB) | baseline | CPU s per million | baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row, label in ROW_LABELS:
        if row not in baseline:
            continue
        rate_, rss, cpu_ = (baseline[row][k] for k in ("events_per_s", "peak_rss_kb",
                                                      "cpu_s_per_million"))
        lines.append(f"| {label} | {rate(rate_['ours'])} | {rate(rate_['baseline'])} | "
                     f"{x(rate_['ratio'])} | {x(rate_['paired_ratio'])} | {mb(rss['ours'])} | "
                     f"{mb(rss['baseline'])} | {ms2(cpu_['ours'])} | {ms2(cpu_['baseline'])} |")
    if "latency_ms" in baseline:
        lat = baseline["latency_ms"]
        lines += ["", "End-to-end latency, build under test vs baseline: "
                  f"p50 {ms(lat['p50']['ours'])} vs {ms(lat['p50']['baseline'])} ms, "
                  f"p99 {ms(lat['p99']['ours'])} vs {ms(lat['p99']['baseline'])} ms."]
    return lines
