#!/usr/bin/env python3
"""Writes pipeline events in Kafka transactions with librdkafka, some committed, some aborted.

usage: transactional_producer.py BROKERS TOPIC PLAN... [--partitions N] [--runs-topic RUNS]

PLAN is a list of transactions, in order: `commit:10 abort:7 commit:5` writes 10 events and
commits them, writes 7 and aborts them, writes 5 and commits them. The events are valid events
of the seed's JSON (docs/events.md), keyed by user id (murmur2, as our producer), with the
audit headers `run_id` (one per run of this script) and `seq` (0, 1, 2… across the whole plan,
aborted transactions included).

The topic is created with N partitions (default 3) through CreateTopics when it is missing; a
broker without CreateTopics (librdkafka's mock cluster) auto-creates it on the first produce,
with its own partition count. With --runs-topic, a run manifest is published there (partition
0, outside any transaction) once the plan is done: every event sent, the aborted ones as
failed (`failed_ranges`), so that a reader of committed events finds the run complete.

Prints one JSON object on stdout:
{"run_id": …, "committed": n, "aborted": n, "committed_by_type": {type: n},
 "committed_by_user": {user: n}, "committed_seqs": [[first, last], …],
 "aborted_seqs": [[first, last], …], "end_offsets": {partition: high watermark}}
Exit code 0 when every transaction ended as planned, 1 otherwise (the error on stderr).
"""
import argparse
import json
import random
import sys
import uuid
from datetime import datetime, timezone

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

USERS = [f"user{i}" for i in range(1, 6)]
PRODUCTS = {"smartphone": 699.0, "ordinateur": 1199.0, "casque": 149.0, "tablette": 499.0}
PAGES = ["/accueil", "/produits", "/panier", "/promotions"]
QUERIES = ["smartphone", "casque sans fil", "ordinateur portable", "tablette"]
TYPES = ["connexion", "déconnexion", "achat", "navigation", "recherche"]


def parse_plan(steps):
    plan = []
    for step in steps:
        end, _, count = step.partition(":")
        if end not in ("commit", "abort") or not count.isdigit() or int(count) == 0:
            raise SystemExit(f"error: plan step {step!r}: expected commit:N or abort:N, N > 0")
        plan.append((end, int(count)))
    return plan


def now():
    """UTC with microseconds and no offset, as the seed writes timestamps."""
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def event(rng, user):
    kind = rng.choice(TYPES)
    e = {"timestamp": now(), "user_id": user, "event_type": kind,
         "session_id": f"session_{rng.randint(1000, 9999)}"}
    if kind == "achat":
        product = rng.choice(list(PRODUCTS))
        e["product"] = product
        e["price"] = round(PRODUCTS[product] * rng.uniform(0.8, 1.2), 2)
    elif kind == "navigation":
        e["page"] = rng.choice(PAGES)
    elif kind == "recherche":
        e["query"] = rng.choice(QUERIES)
    return e


def ensure_topic(brokers, topic, partitions):
    """Creates `topic` when missing; a broker without CreateTopics (the mock cluster) is left
    to auto-create it on the first produce."""
    admin = AdminClient({"bootstrap.servers": brokers})
    if topic in admin.list_topics(timeout=30).topics:
        return
    try:
        admin.create_topics([NewTopic(topic, partitions)], request_timeout=3)[topic].result(30)
    except KafkaException as e:
        print(f"CreateTopics {topic}: {e.args[0].str()}: left to auto-creation", file=sys.stderr)


def ranges(seqs):
    """Sorted seqs as inclusive [first, last] pairs."""
    out = []
    for s in seqs:
        if out and out[-1][1] + 1 == s:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def end_offsets(brokers, topic):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "transactional-producer"})
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
            for p in sorted(partitions)}
    consumer.close()
    return ends


def publish_manifest(brokers, runs_topic, manifest):
    ensure_topic(brokers, runs_topic, 1)
    producer = Producer({"bootstrap.servers": brokers, "acks": "all"})
    producer.produce(runs_topic, key=manifest["run_id"], value=json.dumps(manifest), partition=0)
    if producer.flush(30) != 0:
        raise SystemExit("error: the run manifest was not acknowledged")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("brokers")
    parser.add_argument("topic")
    parser.add_argument("plan", nargs="+", help="commit:N or abort:N, in order")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--runs-topic")
    args = parser.parse_args()
    plan = parse_plan(args.plan)

    ensure_topic(args.brokers, args.topic, args.partitions)
    run_id = f"txn-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    producer = Producer({
        "bootstrap.servers": args.brokers,
        "transactional.id": run_id,
        "partitioner": "murmur2_random",  # Java's and ours: a user's events on one partition
        "linger.ms": 5,
    })
    rng = random.Random(run_id)
    committed, aborted = [], []
    by_type, by_user = {}, {}
    first_ts = last_ts = None
    seq, step = 0, "init_transactions"
    try:
        producer.init_transactions(30)
        for number, (end, count) in enumerate(plan, 1):
            step = f"transaction {number} of {len(plan)} ({end}:{count})"
            producer.begin_transaction()
            written = []
            for _ in range(count):
                user = rng.choice(USERS)
                e = event(rng, user)
                first_ts = first_ts or e["timestamp"]
                last_ts = e["timestamp"]
                headers = [("run_id", run_id.encode()), ("seq", str(seq).encode())]
                producer.produce(args.topic, key=user, value=json.dumps(e, ensure_ascii=False),
                                 headers=headers)
                written.append((seq, e))
                seq += 1
            producer.flush(30)
            if end == "commit":
                producer.commit_transaction(30)
                committed.extend(s for s, _ in written)
                for _, e in written:
                    by_type[e["event_type"]] = by_type.get(e["event_type"], 0) + 1
                    by_user[e["user_id"]] = by_user.get(e["user_id"], 0) + 1
            else:
                producer.abort_transaction(30)
                aborted.extend(s for s, _ in written)
            print(f"transaction of {count} events: {end} done", file=sys.stderr)
    except KafkaException as e:
        print(f"error: {step}: {e.args[0].str()}", file=sys.stderr)
        sys.exit(1)

    if args.runs_topic:
        failed = ranges(aborted)
        publish_manifest(args.brokers, args.runs_topic, {
            "run_id": run_id, "topic": args.topic, "sent": seq, "acked": len(committed),
            "failed": len(aborted), "failed_ranges": failed,
            "by_type": by_type, "by_user": by_user,
            "first_timestamp": first_ts and first_ts + "Z", "last_timestamp": last_ts and last_ts + "Z",
        })
    print(json.dumps({
        "run_id": run_id,
        "committed": len(committed),
        "aborted": len(aborted),
        "committed_by_type": by_type,
        "committed_by_user": by_user,
        "committed_seqs": ranges(committed),
        "aborted_seqs": ranges(aborted),
        "end_offsets": end_offsets(args.brokers, args.topic),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
