#!/usr/bin/env python3
"""A librdkafka (confluent-kafka) member of a consumer group, to run beside ours in one group.

usage: librdkafka_member.py BROKERS TOPIC GROUP SECONDS

Consumes for SECONDS with the default assignors ("range,roundrobin"), committing what it
processed, then closes (committing and leaving the group) and prints one JSON object:
{"assigned": [every partition it was ever given], "consumed": n, "seen": {run_id: [seq, ...]}}
"""
import json
import sys
import time

from confluent_kafka import Consumer


def consume(consumer: Consumer, running) -> tuple:
    """Polls while `running()` says so; returns the records counted and the seqs seen per run
    ({run_id: [seq, ...]}, from the audit headers)."""
    consumed, seen = 0, {}
    while running():
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        consumed += 1
        headers = {k: v.decode() for k, v in (message.headers() or [])}
        if "run_id" in headers:
            seen.setdefault(headers["run_id"], []).append(int(headers["seq"]))
    return consumed, seen


def main() -> None:
    brokers, topic, group, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": group,
        "client.id": "librdkafka-member",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 1000,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 1000,
    })
    assigned = set()
    consumer.subscribe([topic], on_assign=lambda _, parts: assigned.update(p.partition for p in parts))
    deadline = time.monotonic() + seconds
    consumed, seen = consume(consumer, lambda: time.monotonic() < deadline)
    # Let the fetches in flight come back before closing: tansu 0.6.0 (sqlite) stops serving
    # everyone when a client disconnects in the middle of one.
    consumer.pause(consumer.assignment())
    consumer.poll(0.7)
    consumer.close()
    print(json.dumps({"assigned": sorted(assigned), "consumed": consumed, "seen": seen}))


if __name__ == "__main__":
    main()
