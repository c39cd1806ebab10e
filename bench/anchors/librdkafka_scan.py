"""Anchor: librdkafka (confluent-kafka) reading every partition of a topic from its start to
its high watermark, as the verifier does (assigned partitions, no group).

Usage: librdkafka_scan.py BROKERS TOPIC [FETCH_WAIT_MS]. FETCH_WAIT_MS (fetch.wait.max.ms,
librdkafka's default 500) is set as our verifier's scan wait, 0, by the bench: tansu 0.6 sleeps for
the whole wait on every fetch, records or not. Prints {"read", "elapsed_s", "events_per_s"}, timed from
the client's creation to the last record (the process start and Python imports left out).
Records are counted and their values touched, not decoded.
"""
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from common import now, report


def main():
    brokers, topic = sys.argv[1], sys.argv[2]
    fetch_wait_ms = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    started = now()
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "anchor-scan",
                         "enable.auto.commit": False, "client.id": "anchor",
                         "fetch.wait.max.ms": fetch_wait_ms,
                         # When its local queue is full (Python reads slower than it fetches),
                         # librdkafka stops fetching for this long: 1 s by default, which made
                         # 2 scans in 5 take 1.15 s instead of 0.2 s.
                         "fetch.queue.backoff.ms": 10})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    remaining = {}
    assignment = []
    for partition in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high > low:
            remaining[partition] = high
            assignment.append(TopicPartition(topic, partition, OFFSET_BEGINNING))
    consumer.assign(assignment)
    read = size = 0
    while remaining:
        for message in consumer.consume(num_messages=10_000, timeout=1.0):
            if message.error():
                continue
            read += 1
            size += len(message.value())
            partition = message.partition()
            if partition in remaining and message.offset() + 1 >= remaining[partition]:
                del remaining[partition]
    elapsed = now() - started
    report(read=read, bytes=size, elapsed_s=elapsed, events_per_s=read / elapsed)
    consumer.close()


if __name__ == "__main__":
    main()
