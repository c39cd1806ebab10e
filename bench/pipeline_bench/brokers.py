"""The bench's brokers, topics and datasets.

Each section starts on a fresh broker (scripts/broker.sh: tansu with memory storage on
BENCH_TANSU_PORT, or librdkafka's mock cluster on a free port), so that no section reads what an
earlier one left behind. Only the brokers this run started are stopped at its end: another run's
(or another user's) brokers are left alone.

A dataset is a topic filled once per section and read by every run of it: by our producer (audit
headers and a run manifest included, so that the verifier can audit it), or for the zstd row by
the librdkafka anchor with compression.
"""
import subprocess
import time

from . import config
from .clients import anchor, binary
from .process import run_json

STARTED = set()  # the brokers this run started: the only ones it stops at the end


def broker(action, name, *extra):
    """scripts/broker.sh ACTION NAME EXTRA…; returns the last line it printed (`start`: the
    bootstrap address)."""
    out = subprocess.run([config.ROOT / "scripts" / "broker.sh", action, name, *extra],
                         check=True, capture_output=True, text=True, cwd=config.ROOT)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def fresh_broker(name, *extra):
    """Stops broker `name` if it runs and starts it again, empty; returns its bootstrap address."""
    broker("stop", name)
    STARTED.add(name)
    return broker("start", name, *extra)


def fresh_tansu():
    """A fresh tansu with memory storage on the bench's port."""
    return fresh_broker("tansu-memory", config.TANSU_PORT)


def fresh_mock():
    """A fresh librdkafka mock cluster (one broker, on a free port)."""
    return fresh_broker("mock")


def stop_started():
    """Stops every broker this run started."""
    for name in sorted(STARTED):
        broker("stop", name)


def create_topic(brokers, topic, partitions=3):
    """Creates `topic` (replication 1) and waits until the metadata shows it."""
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
    return run_json(name, [binary("producer"), "--brokers", brokers, "--topic", topic,
                           "--count", count, "--rate", 0, "--partitions", 3, "--json", "--seed",
                           1])


def anchor_produce(script, tag, brokers, topic, count, *extra):
    """Creates `topic` (the anchors do not) and runs the anchor producer `script` into it:
    a measurement of the producer row, or a dataset (`extra`: the compression type)."""
    create_topic(brokers, topic)
    return anchor(script, tag, brokers, topic, count, *extra)
