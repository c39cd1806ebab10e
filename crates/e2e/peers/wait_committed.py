#!/usr/bin/env python3
"""Waits until a group has committed offsets summing to TOTAL over a topic's partitions, reading
them as librdkafka sees them, then prints them as one JSON object {partition: offset}.

usage: wait_committed.py BROKERS TOPIC GROUP TOTAL SECONDS

One client polls every 0.5 s for at most SECONDS (exit 1 then, with what it saw): a process per
poll would connect and disconnect all the time, and tansu 0.6.0 (sqlite) stops serving everyone
when a client disconnects in the middle of a request.
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition


def committed(consumer: Consumer, topic: str) -> dict:
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    offsets = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=30)
    return {tp.partition: tp.offset for tp in offsets if tp.offset >= 0}


def main() -> None:
    brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    total, seconds = int(sys.argv[4]), float(sys.argv[5])
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group})
    deadline = time.monotonic() + seconds
    offsets = committed(consumer, topic)
    while sum(offsets.values()) < total and time.monotonic() < deadline:
        time.sleep(0.5)
        offsets = committed(consumer, topic)
    consumer.close()
    print(json.dumps(offsets))
    sys.exit(0 if sum(offsets.values()) >= total else 1)


if __name__ == "__main__":
    main()
