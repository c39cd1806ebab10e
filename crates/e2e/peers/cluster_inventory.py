#!/usr/bin/env python3
"""Prints the cluster's topics and consumer groups, as librdkafka's admin client lists them, as
one JSON object {"topics": [...], "groups": [...]}.

usage: cluster_inventory.py BROKERS [librdkafka.setting=value ...]

The settings after the brokers configure the connection (security.protocol, sasl.*, ssl.*).
"""
import json
import sys

from confluent_kafka.admin import AdminClient


def main() -> None:
    config = {"bootstrap.servers": sys.argv[1]}
    config.update(setting.split("=", 1) for setting in sys.argv[2:])
    admin = AdminClient(config)
    topics = sorted(admin.list_topics(timeout=30).topics)
    groups = admin.list_consumer_groups(request_timeout=30).result(timeout=60)
    print(json.dumps({"topics": topics, "groups": sorted(g.group_id for g in groups.valid)}))


if __name__ == "__main__":
    main()
