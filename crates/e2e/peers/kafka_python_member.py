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
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            polled = consumer.poll(timeout_ms=200)
        except InvalidRequestError:
            # librdkafka's mock cluster refuses a follower that syncs after the leader with
            # INVALID_REQUEST (docs/brokers.md); kafka-python-ng raises it from poll() instead
            # of rejoining. The next poll joins again, as an application would retry.
            print("SyncGroup refused with INVALID_REQUEST: joining again", file=sys.stderr)
            continue
        for records in polled.values():
            for record in records:
                consumed += 1
                headers = {k: v.decode() for k, v in (record.headers or [])}
                if "run_id" in headers:
                    seen.setdefault(headers["run_id"], []).append(int(headers["seq"]))
    # Let the fetches in flight come back before closing (see librdkafka_member.py).
    consumer.pause(*consumer.assignment())
    consumer.poll(timeout_ms=700)
    consumer.close(autocommit=True)
    print(json.dumps({"assigned": sorted(recorder.assigned), "consumed": consumed, "seen": seen}))


if __name__ == "__main__":
    main()
