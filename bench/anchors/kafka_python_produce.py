"""Anchor: kafka-python-ng (the seed's Python stack) producing N keyed JSON events, acks=all.

Usage: kafka_python_produce.py BROKERS TOPIC COUNT. Prints {"acked", "elapsed_s", "events_per_s"},
from the first send() to the end of flush(), acks counted in the futures' callbacks.
"""
import sys

from kafka import KafkaProducer

from common import events, now, report


def main():
    brokers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    payloads = events(count)
    producer = KafkaProducer(bootstrap_servers=brokers.split(","), acks="all",
                             client_id="anchor")
    producer.partitions_for(topic)  # metadata before the clock
    acked = 0

    def delivered(_metadata):
        nonlocal acked
        acked += 1

    started = now()
    for key, value in payloads:
        producer.send(topic, value=value, key=key).add_callback(delivered)
    producer.flush(120)
    elapsed = now() - started
    producer.close()
    report(acked=acked, elapsed_s=elapsed, events_per_s=acked / elapsed)


if __name__ == "__main__":
    main()
