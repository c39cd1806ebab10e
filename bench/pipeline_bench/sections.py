"""The benchmark sections: each starts its own fresh broker (and dataset), then measures its row
`runs` times, ours and the anchors alternating within each run so that both see the same load.

- producer: acked events/s of `count` events (acks=all): ours, librdkafka, kafka-python-ng
  (at most 3 runs: it is slow).
- consumer: one member of a fresh group reading a dataset of `count` events: ours, librdkafka.
- verifier: a full scan and audit of the same dataset: ours, the librdkafka scan.
- zstd: the consumer row on input librdkafka wrote with zstd.
- latency: end-to-end latency at LATENCY_RATE events/s (at most 3 runs).
- mock: the consumer row on librdkafka's mock cluster, the only broker kafka-python-ng's consumer
  can join a group on (at most 3 runs of the anchors there).
- metrics: the cost of `--http`, our producer and consumer without and with it.

With a baseline build (`Session.baseline`), every run of our binaries is also made with the
baseline's (key `ROW.baseline`); the metrics section measures --bin-dir's build only.
"""
from . import config
from .brokers import (anchor_produce, create_topic, fresh_mock, fresh_tansu, produce_dataset,
                      stop_started)
from .clients import anchor, our_consumer, our_producer, our_verifier, start_paced_producer
from .session import interleaved


def tag(side, base):
    """The name of a run of build `side` in logs, topics and groups: `base` for our build under
    test, `base-baseline` for the baseline's."""
    return base if side == "ours" else f"{base}-{side}"


def record_ours(session, i, row, events, measure):
    """Records run `i` of our binaries in `row`: `measure(side, bin_dir)` for each build
    (`Session.builds`), under `ROW.SIDE`."""
    for side, bin_dir in session.builds(i):
        session.record(f"{row}.{side}", measure(side, bin_dir), events)


def producer(s):
    brokers = fresh_tansu()
    s.section(f"producer: {s.count} events, acks=all, tansu memory at {brokers}")
    for i in range(s.runs):
        record_ours(s, i, "producer", s.count, lambda side, bin_dir: our_producer(
            brokers, f"p-{side}-{s.stamp}-{i}", s.count, tag(side, i), bin_dir=bin_dir))
        s.record("producer.librdkafka", anchor_produce(
            "librdkafka_produce.py", i, brokers, f"p-rdk-{s.stamp}-{i}", s.count), s.count)
        if i < s.few:
            s.record("producer.kafka_python", anchor_produce(
                "kafka_python_produce.py", i, brokers, f"p-kp-{s.stamp}-{i}", s.count), s.count)


def consumer_runs(s, row, brokers, data, group, base_tag):
    """`runs` runs of our consumer and librdkafka's, each in a fresh group (`GROUP-ours-…`,
    `GROUP-rdk-…`), reading the `count` events of `data` on tansu, 10 ms per fetch each."""
    for i in range(s.runs):
        run_tag = base_tag(i)
        record_ours(s, i, row, s.count, lambda side, bin_dir: our_consumer(
            brokers, data, f"{group}-{side}-{s.stamp}-{i}", s.count, tag(side, run_tag),
            config.TANSU_FETCH_WAIT_MS, bin_dir=bin_dir))
        s.record(f"{row}.librdkafka", anchor(
            "librdkafka_consume.py", run_tag, brokers, data, f"{group}-rdk-{s.stamp}-{i}",
            s.count, config.TANSU_FETCH_WAIT_MS), s.count)


def consumer_and_verifier(s):
    """The consumer and verifier sections read one dataset, written by our producer."""
    brokers = fresh_tansu()
    data = f"c-data-{s.stamp}"
    produce_dataset(brokers, data, s.count, "dataset-tansu")
    if "consumer" in s.sections:
        s.section(f"consumer: {s.count} events, fresh group each run, tansu memory")
        consumer_runs(s, "consumer", brokers, data, "g", lambda i: i)
    if "verifier" in s.sections:
        s.section(f"verifier: full scan of {s.count} events, tansu memory")
        for i in range(s.runs):
            record_ours(s, i, "verifier", s.count, lambda side, bin_dir: our_verifier(
                brokers, data, s.count, tag(side, i), bin_dir=bin_dir))
            s.record("verifier.librdkafka", anchor("librdkafka_scan.py", i, brokers, data, 0),
                     s.count)


def zstd(s):
    brokers = fresh_tansu()
    data = f"z-data-{s.stamp}"
    anchor_produce("librdkafka_produce.py", "zstd-dataset", brokers, data, s.count, "zstd")
    s.section(f"consumer: {s.count} events written by librdkafka with zstd, tansu memory")
    consumer_runs(s, "zstd_consumer", brokers, data, "gz", lambda i: f"zstd-{i}")


def latency(s):
    """Our consumer joins its group first; then our producer writes at LATENCY_RATE events/s and
    the consumer reports every record's latency (record timestamp → counted)."""
    brokers = fresh_tansu()
    s.section(f"latency: {s.latency_count} events at {config.LATENCY_RATE}/s, tansu memory")
    for i in range(s.few):
        def measure(side, bin_dir):
            topic = tag(side, f"e-{s.stamp}-{i}")
            create_topic(brokers, topic)
            producer = {}

            def start_producer():
                producer["proc"] = start_paced_producer(
                    brokers, topic, s.latency_count, config.LATENCY_RATE,
                    tag(side, f"latency-producer-{i}"), bin_dir=bin_dir)

            result = our_consumer(brokers, topic, tag(side, f"g-e-{s.stamp}-{i}"),
                                  s.latency_count, tag(side, f"latency-{i}"),
                                  config.TANSU_FETCH_WAIT_MS, ready=start_producer,
                                  bin_dir=bin_dir)
            producer["proc"].wait(60)
            return result

        record_ours(s, i, "latency", None, measure)


def mock(s):
    brokers = fresh_mock()
    mock_count = min(s.count, config.MOCK_COUNT)
    s.section(f"consumer on librdkafka's mock cluster at {brokers}: {mock_count} events")
    data = f"m-data-{s.stamp}"
    produce_dataset(brokers, data, mock_count, "dataset-mock")
    for i in range(s.runs):
        record_ours(s, i, "mock_consumer", mock_count, lambda side, bin_dir: our_consumer(
            brokers, data, f"mg-{side}-{s.stamp}-{i}", mock_count, tag(side, f"mock-{i}"),
            bin_dir=bin_dir))
        if i < s.few:
            s.record("mock_consumer.kafka_python", anchor(
                "kafka_python_consume.py", f"mock-{i}", brokers, data,
                f"mg-kp-{s.stamp}-{i}", mock_count), mock_count)
            # What the mock cluster serves to a fast client: the ceiling of this row.
            s.record("mock_consumer.librdkafka", anchor(
                "librdkafka_consume.py", f"mock-{i}", brokers, data,
                f"mg-rdk-{s.stamp}-{i}", mock_count), mock_count)


def metrics(s):
    """What --http costs: the same runs without and with it, interleaved (the order alternates
    from one pair to the next, so that a drifting load weighs on both sides alike), /metrics
    scraped every second while --http is on."""
    brokers = fresh_tansu()
    data = f"x-data-{s.stamp}"
    produce_dataset(brokers, data, s.count, "dataset-metrics")
    s.section(f"metrics: producer and consumer without and with --http {config.HTTP_ADDRESS}, "
              f"/metrics scraped every {config.SCRAPE_INTERVAL_S:g} s, {s.count} events, "
              f"tansu memory")
    for i in range(s.runs):
        for http in interleaved(i, False, True):
            side = "on" if http else "off"
            s.record(f"metrics_producer.{side}", our_producer(
                brokers, f"x-p-{s.stamp}-{i}-{side}", s.count, f"metrics-{side}-{i}",
                http=http), s.count)
        for http in interleaved(i, False, True):
            side = "on" if http else "off"
            s.record(f"metrics_consumer.{side}", our_consumer(
                brokers, data, f"gx-{s.stamp}-{i}-{side}", s.count, f"metrics-{side}-{i}",
                config.TANSU_FETCH_WAIT_MS, http=http), s.count)


def run_sections(s):
    """Runs the sections `s.sections` names, in this order, then stops the brokers it started
    (also when a section fails)."""
    try:
        if "producer" in s.sections:
            producer(s)
        if "consumer" in s.sections or "verifier" in s.sections:
            consumer_and_verifier(s)
        if "zstd" in s.sections:
            zstd(s)
        if "latency" in s.sections:
            latency(s)
        if "mock" in s.sections:
            mock(s)
        if "metrics" in s.sections:
            metrics(s)
    finally:
        stop_started()
