#!/usr/bin/env python3
"""A kafka-python-ng member of a consumer group (the seed's Python stack), beside ours.

usage: kafka_python_member.py BROKERS TOPIC GROUP SECONDS

Same contract as librdkafka_member.py: consumes for SECONDS, commits, closes (leaving the
group) and prints {"assigned": [...], "consumed": n, "seen": {run_id: [seq, ...]}}.
"""
import json
import sys
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.errors import InvalidRequestError


class Recorder(ConsumerRebalanceListener):
    """Remembers every partition the group gives this member."""

    def __init__(self) -> None:
        self.assigned = set()

    def on_partitions_revoked(self, revoked) -> None:
        pass

    def on_partitions_assigned(self, assigned) -> None:
        self.assigned.update(p.partition for p in assigned)


def poll(consumer: KafkaConsumer, timeout_ms: int) -> dict:
    """consumer.poll(), living with librdkafka's mock cluster refusing a late follower.

    The mock completes a sync as soon as the leader's SyncGroup arrives (its assignments cover
    every member) and moves the group to Up; a follower's SyncGroup that reaches it after that
    is answered INVALID_REQUEST (error 42: `rd_kafka_mock_cgrp_classic_check_state` in
    librdkafka's src/rdkafka_mock_cgrp.c takes no SyncGroup in state Up), where Kafka would
    hand the follower its assignment. Our member leads, and its SyncGroup often beats this
    Python follower's (docs/brokers.md). kafka-python-ng requests a rejoin but raises the
    error from poll(), as not retriable (coordinator/base.py, ensure_active_group): the next
    poll joins again, as an application would retry. Any poll can run a join, so every poll
    goes through here.
    """
    try:
        return consumer.poll(timeout_ms=timeout_ms)
    except InvalidRequestError:
        print("SyncGroup refused with INVALID_REQUEST: joining again", file=sys.stderr)
        return {}


def main() -> None:
    brokers, topic, group, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    consumer = KafkaConsumer(
        bootstrap_servers=brokers,
        group_id=group,
        client_id="kafka-python-member",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        auto_commit_interval_ms=1000,
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
    )
    recorder = Recorder()
    consumer.subscribe([topic], listener=recorder)
    consumed, seen = 0, {}

    def process(polled) -> None:
        nonlocal consumed
        for records in polled.values():
            for record in records:
                consumed += 1
                headers = {k: v.decode() for k, v in (record.headers or [])}
                if "run_id" in headers:
                    seen.setdefault(headers["run_id"], []).append(int(headers["seq"]))

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        process(poll(consumer, 200))
    # Let the fetches in flight come back before closing (see librdkafka_member.py). This poll
    # may still finish a rejoin (each one takes the mock 9 s), and then fetch from the partitions
    # just assigned, which pause() did not name: what it returns is processed like the rest,
    # since close() commits it.
    consumer.pause(*consumer.assignment())
    process(poll(consumer, 700))
    consumer.close(autocommit=True)
    print(json.dumps({"assigned": sorted(recorder.assigned), "consumed": consumed, "seen": seen}))


if __name__ == "__main__":
    main()
