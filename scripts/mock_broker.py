#!/usr/bin/env python3
"""Serves librdkafka's mock Kafka cluster on 127.0.0.1 until killed.

librdkafka starts a mock cluster inside any client created with `test.mock.num.brokers`; it lives
as long as that client. This script creates one, writes the cluster's bootstrap address to the
file given as argument (and stdout), then sleeps until SIGTERM/SIGINT.
"""
import signal
import sys
import time

from confluent_kafka import Producer


def main() -> None:
    address_file = sys.argv[1] if len(sys.argv) > 1 else None
    client = Producer({"test.mock.num.brokers": 1, "client.id": "mock-cluster-host"})
    brokers = client.list_topics(timeout=10).brokers
    address = ",".join(f"{b.host}:{b.port}" for b in brokers.values())
    if address_file:
        with open(address_file, "w") as f:
            f.write(address + "\n")
    print(address, flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        client.poll(0.5)


if __name__ == "__main__":
    main()
