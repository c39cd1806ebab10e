"""Anchor: one librdkafka (confluent-kafka) group member reading N events from a fresh group.

Usage: librdkafka_consume.py BROKERS TOPIC GROUP COUNT [FETCH_WAIT_MS]. FETCH_WAIT_MS
(fetch.wait.max.ms, librdkafka's default 500) is set as our consumer's --fetch-max-wait by the
bench: tansu 0.6 holds every fetch for the whole wait. Prints {"consumed", "events_per_s",
"total_s"}: events per second from the first record to the Nth (the group join is left out, as
in our consumer's figure); total_s includes the join. Records are counted and their values
touched, not decoded: this is the client's read rate.
"""
import sys

from confluent_kafka import Consumer

from common import now, report


def main():
    brokers, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    fetch_wait_ms = int(sys.argv[5]) if len(sys.argv) > 5 else 500
    started = now()
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group,
                         "auto.offset.reset": "earliest", "client.id": "anchor",
                         "fetch.wait.max.ms": fetch_wait_ms,
                         # When its local queue is full (Python reads slower than it fetches),
                         # librdkafka stops fetching for this long: 1 s by default, which made
                         # 2 scans in 5 take 1.15 s instead of 0.2 s.
                         "fetch.queue.backoff.ms": 10})
    consumer.subscribe([topic])
    consumed = 0
    size = 0
    first = None
    while consumed < count:
        for message in consumer.consume(num_messages=10_000, timeout=1.0):
            if message.error():
                continue
            if first is None:
                first = now()
            size += len(message.value())
            consumed += 1
    last = now()
    report(consumed=consumed, bytes=size, events_per_s=(consumed - 1) / (last - first),
           total_s=last - started)
    consumer.close()


if __name__ == "__main__":
    main()
