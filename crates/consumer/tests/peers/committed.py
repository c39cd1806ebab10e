#!/usr/bin/env python3
"""Prints a group's committed offsets of a topic as librdkafka sees them, as one JSON object
{partition: offset} (partitions without a commit are left out).

usage: committed.py BROKERS TOPIC GROUP
"""
import json
import sys

from confluent_kafka import Consumer, TopicPartition


def main() -> None:
    brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    offsets = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
    consumer.close()
    print(json.dumps({tp.partition: tp.offset for tp in offsets if tp.offset >= 0}))


if __name__ == "__main__":
    main()
