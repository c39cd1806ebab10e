#!/usr/bin/env python3
"""Watches a group recover from a fault, from the moment the fault starts: when it had committed
everything written before the fault (caught up), and when it had committed, on every partition, a
record written after the fault started (or everything, where none was written since): the first
records processed after it. Prints one JSON object
{"offsets": {partition: offset}, "caught_up_at": unix seconds, "progressed_at": unix seconds}
(a time is null when it did not happen).

usage: watch_recovery.py BROKERS TOPIC GROUP ENDS SECONDS

ENDS is a JSON object {partition: end offset when the fault started}. One client polls every
0.2 s for at most SECONDS (exit 1 then, with what it saw). A poll that fails (the fault may cut
this client off too) is retried.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

from wait_committed import committed


def progressed(consumer: Consumer, topic: str, offsets: dict, ends: dict) -> bool:
    """Whether every partition committed past its end at the fault, or has nothing new and
    committed up to it (no commit at all is offset 0: librdkafka commits nothing for a
    partition it got no record from)."""
    for partition, end in ends.items():
        offset = offsets.get(partition, 0)
        if offset > end:
            continue
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high > end or offset < end:
            return False
    return True


def main() -> None:
    brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    ends = {int(p): o for p, o in json.loads(sys.argv[4]).items()}
    deadline = time.monotonic() + float(sys.argv[5])
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group})
    offsets, caught_up_at, progressed_at = {}, None, None
    while progressed_at is None and time.monotonic() < deadline:
        try:
            offsets = committed(consumer, topic)
            now = time.time()
            if caught_up_at is None and all(offsets.get(p, 0) >= end for p, end in ends.items()):
                caught_up_at = now
            if caught_up_at is not None and progressed(consumer, topic, offsets, ends):
                progressed_at = now
        except KafkaException:
            pass
        if progressed_at is None:
            time.sleep(0.2)
    consumer.close()
    print(json.dumps({"offsets": offsets, "caught_up_at": caught_up_at, "progressed_at": progressed_at}))
    sys.exit(0 if progressed_at is not None else 1)


if __name__ == "__main__":
    main()
