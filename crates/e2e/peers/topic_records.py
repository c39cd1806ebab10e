#!/usr/bin/env python3
"""Reads a whole topic with librdkafka, independently of our code, and prints where each
audited record sits, as one JSON object: {partition: [[offset, run_id, seq], ...]}.

usage: topic_records.py BROKERS TOPIC
"""
import json
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition


def main() -> None:
    brokers, topic = sys.argv[1], sys.argv[2]
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "topic-records", "enable.auto.commit": False})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    records = {p: [] for p in partitions}
    remaining = {p for p, end in ends.items() if end > 0}
    while remaining:
        message = consumer.poll(30)  # tansu (sqlite) takes seconds for a large fetch
        if message is None:
            raise SystemExit(f"stalled before the end of partitions {sorted(remaining)}")
        if message.error():
            continue
        headers = {k: v.decode() for k, v in (message.headers() or [])}
        row = [message.offset(), headers.get("run_id"), int(headers.get("seq", -1))]
        records[message.partition()].append(row)
        if message.offset() + 1 >= ends[message.partition()]:
            remaining.discard(message.partition())
    # Let the fetches in flight come back before closing: tansu 0.6.0 (sqlite) stops serving
    # everyone when a client disconnects in the middle of one.
    consumer.pause(consumer.assignment())
    consumer.poll(0.7)
    consumer.close()
    print(json.dumps(records))


if __name__ == "__main__":
    main()
