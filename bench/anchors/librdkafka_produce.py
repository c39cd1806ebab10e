"""Anchor: librdkafka (confluent-kafka) producing N keyed JSON events with acks=all.

Usage: librdkafka_produce.py BROKERS TOPIC COUNT [COMPRESSION]. COMPRESSION is librdkafka's
`compression.type` (none by default). Prints {"acked", "elapsed_s", "events_per_s"}:
acked events per second from the first produce() to the end of flush(), acks counted in the
delivery callbacks. librdkafka's defaults otherwise (linger.ms 5, batch.size 1 MB).
"""
import sys

from confluent_kafka import Producer

from common import events, now, report


def main():
    brokers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    compression = sys.argv[4] if len(sys.argv) > 4 else "none"
    payloads = events(count)
    producer = Producer({"bootstrap.servers": brokers, "acks": "all", "client.id": "anchor",
                         "compression.type": compression})
    producer.list_topics(topic, timeout=10)  # connect and learn the leaders before the clock
    acked = failed = 0

    def delivered(error, _message):
        nonlocal acked, failed
        if error is None:
            acked += 1
        else:
            failed += 1

    started = now()
    for key, value in payloads:
        while True:
            try:
                producer.produce(topic, value, key, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(60)
    elapsed = now() - started
    report(acked=acked, failed=failed, elapsed_s=elapsed, events_per_s=acked / elapsed)


if __name__ == "__main__":
    main()
