"""Anchor: one kafka-python-ng group member reading N events from a fresh group.

Usage: kafka_python_consume.py BROKERS TOPIC GROUP COUNT. Same figures as librdkafka_consume.py.
Its group join fails on tansu, so the bench runs it on librdkafka's mock cluster.
"""
import sys

from kafka import KafkaConsumer

from common import now, report


def main():
    brokers, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    started = now()
    consumer = KafkaConsumer(topic, bootstrap_servers=brokers.split(","), group_id=group,
                             auto_offset_reset="earliest", client_id="anchor")
    consumed = 0
    size = 0
    first = None
    while consumed < count:
        for records in consumer.poll(timeout_ms=1000, max_records=10_000).values():
            if first is None and records:
                first = now()
            for record in records:
                size += len(record.value)
                consumed += 1
    last = now()
    report(consumed=consumed, bytes=size, events_per_s=(consumed - 1) / (last - first),
           total_s=last - started)
    consumer.close()


if __name__ == "__main__":
    main()
