#!/usr/bin/env python3
"""A librdkafka (confluent-kafka) member for the chaos suite's anchor: the same churn as our
members go through, played on librdkafka's, tells the broker's faults from ours.

usage: librdkafka_chaos_member.py BROKERS TOPIC GROUP

Settings as the suite gives our members: session 6 s, heartbeat 1 s, commits every second (of
what poll returned: processed), fetch wait 100 ms. Consumes until SIGTERM, then closes
(committing and leaving the group) and prints a summary with the fields of our consumer's
`--json` that the suite reads: consumed, seen ({run_id: [[first, last], ...]}), rebalances,
partitions.
"""
import json
import signal
import sys

from confluent_kafka import Consumer

from librdkafka_member import consume


def ranges(seqs: list) -> list:
    pairs = []
    for seq in sorted(set(seqs)):
        if pairs and pairs[-1][1] + 1 == seq:
            pairs[-1][1] = seq
        else:
            pairs.append([seq, seq])
    return pairs


def main() -> None:
    brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": group,
        "client.id": "librdkafka-chaos-member",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 1000,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "fetch.wait.max.ms": 100,
    })
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    assignments = []
    consumer.subscribe([topic], on_assign=lambda _, parts: assignments.append(sorted(p.partition for p in parts)))
    consumed, seen = consume(consumer, lambda: not stopping)
    consumer.close()
    print(json.dumps({
        "member_id": "", "group_id": group,
        "partitions": assignments[-1] if assignments else [],
        "consumed": consumed, "valid": consumed, "invalid": 0, "unaudited": 0,
        "by_type": {}, "by_user": {}, "committed": {},
        "seen": {run: ranges(seqs) for run, seqs in seen.items()},
        "events_per_s": 0.0, "latency": None, "generation": None,
        "rebalances": max(len(assignments) - 1, 0),
    }))


if __name__ == "__main__":
    main()
