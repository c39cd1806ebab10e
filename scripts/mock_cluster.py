#!/usr/bin/env python3
"""A librdkafka mock cluster of several brokers that a test drives line by line on stdin.

usage: mock_cluster.py [--brokers N] [--debug CONTEXTS]

Unlike `mock_broker.py` (one broker, left alone), this creates the cluster through librdkafka's C
mock API (`rdkafka_mock.h`), called with ctypes on the librdkafka bundled in the confluent-kafka
wheel: that API can move partition leaders, take brokers down and up, place group coordinators,
slow brokers down and make requests answer error codes, which no Kafka client setting reaches.

The first line on stdout is the cluster's bootstrap address (`127.0.0.1:p1,127.0.0.1:p2,...`,
brokers 1..N). Then each line on stdin is one command, answered by one line on stdout: `ok`,
`ok VALUE...` for the queries, or `error REASON`. The cluster lives until stdin closes, `quit`, or
a signal.

  topic NAME PARTITIONS [REPLICATION]   create a topic (replication: every broker by default);
                                        each partition's first leader is picked at random
  leader TOPIC PARTITION BROKER         move a partition's leader (-1: no leader)
  follower TOPIC PARTITION BROKER       the partition's preferred read replica (KIP-392)
  down BROKER | up BROKER               close the broker's connections and refuse new ones /
                                        accept again (-1: every broker); leaders do NOT move
  rtt BROKER MS                         delay every answer of the broker (-1: every broker)
  coordinator GROUP BROKER              the group's coordinator (else: a hash of the group id)
  errors API_KEY CODE [CODE...]         the next requests of API_KEY, to any broker, answer
                                        these codes in turn, a code per request for all of it
                                        (a Fetch: every partition, and from v7 the top level)
  broker-errors BROKER API_KEY CODE[@MS] [CODE[@MS]...]
                                        the same, for requests to one broker, each answer
                                        held MS milliseconds (code 0 with @MS: a slow answer)
  partition-errors TOPIC PARTITION API_KEY CODE [CODE...]
                                        the next requests naming that partition answer these
                                        codes for it alone (how Kafka answers e.g.
                                        OFFSET_OUT_OF_RANGE)
  apiversion API_KEY MIN MAX            the versions of API_KEY every broker offers in ApiVersions
                                        (and accepts), e.g. Kafka 4.0's floors (KIP-896)
  pending BROKER API_KEY                `ok N`: broker-errors of API_KEY not answered yet
  clear-errors API_KEY                  forget the `errors` of API_KEY not answered yet
  track                                 count requests from now on (see `requests`)
  requests API_KEY                      `ok TOTAL B1=n B2=n ...`: requests of API_KEY received
                                        since `track`, in all and per broker
  bootstrap                             `ok ADDRESS`
  quit

API keys: 0 Produce, 1 Fetch, 2 ListOffsets, 3 Metadata, 8 OffsetCommit, 9 OffsetFetch,
10 FindCoordinator, 11 JoinGroup, 12 Heartbeat, 14 SyncGroup. Error codes are Kafka's (1
OFFSET_OUT_OF_RANGE, 3 UNKNOWN_TOPIC_OR_PARTITION, 6 NOT_LEADER_OR_FOLLOWER, 7 REQUEST_TIMED_OUT,
...); -195 (librdkafka's _TRANSPORT) makes the broker close the connection instead of answering.

Quirks of the mock worth knowing (librdkafka 2.16): a Fetch with nothing to return is held for
its whole max wait, and answers go out in request order per connection, so a held or delayed
answer holds every later answer on that connection; once a broker has had `broker-errors` for an
API key, the cluster-wide `errors` of that key no longer reach it; topics that clients create by
asking for them get 4 partitions; there is no CreateTopics.
"""
import argparse
import ctypes
import glob
import importlib.util
import os
import sys
from collections import Counter

RD_KAFKA_PRODUCER = 0


def load_librdkafka() -> ctypes.CDLL:
    """The librdkafka that the confluent-kafka wheel bundles (it exports the mock API)."""
    spec = importlib.util.find_spec("confluent_kafka")
    if spec is None or spec.origin is None:
        raise SystemExit("confluent-kafka is not installed in this Python")
    site = os.path.dirname(os.path.dirname(spec.origin))
    found = sorted(glob.glob(os.path.join(site, "confluent_kafka.libs", "librdkafka*.so*")))
    if not found:
        raise SystemExit(f"no librdkafka*.so in {site}/confluent_kafka.libs")
    lib = ctypes.CDLL(found[0])
    p, s, i, i16, i32, size = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int16,
                               ctypes.c_int32, ctypes.c_size_t)
    signatures = {
        "rd_kafka_conf_new": (p, []),
        "rd_kafka_conf_set": (i, [p, s, s, s, size]),
        "rd_kafka_new": (p, [i, p, s, size]),
        "rd_kafka_destroy": (None, [p]),
        "rd_kafka_err2name": (s, [i]),
        "rd_kafka_mock_cluster_new": (p, [p, i]),
        "rd_kafka_mock_cluster_destroy": (None, [p]),
        "rd_kafka_mock_cluster_bootstraps": (s, [p]),
        "rd_kafka_mock_topic_create": (i, [p, s, i, i]),
        "rd_kafka_mock_partition_set_leader": (i, [p, s, i32, i32]),
        "rd_kafka_mock_partition_set_follower": (i, [p, s, i32, i32]),
        "rd_kafka_mock_broker_set_down": (i, [p, i32]),
        "rd_kafka_mock_broker_set_up": (i, [p, i32]),
        "rd_kafka_mock_broker_set_rtt": (i, [p, i32, i]),
        "rd_kafka_mock_coordinator_set": (i, [p, s, s, i32]),
        "rd_kafka_mock_push_request_errors_array": (None, [p, i16, size, ctypes.POINTER(i)]),
        "rd_kafka_mock_clear_request_errors": (None, [p, i16]),
        # Variadic: only the fixed arguments are declared, the rest are passed as C ints.
        "rd_kafka_mock_partition_push_request_errors": (i, [p, s, i32, i16, size]),
        "rd_kafka_mock_broker_push_request_error_rtts": (i, [p, i32, i16, size]),
        "rd_kafka_mock_broker_error_stack_cnt": (i, [p, i32, i16, ctypes.POINTER(size)]),
        "rd_kafka_mock_set_apiversion": (i, [p, i16, i16, i16]),
        "rd_kafka_mock_start_request_tracking": (None, [p]),
        "rd_kafka_mock_get_requests": (ctypes.POINTER(p), [p, ctypes.POINTER(size)]),
        "rd_kafka_mock_request_destroy_array": (None, [ctypes.POINTER(p), size]),
        "rd_kafka_mock_request_id": (i32, [p]),
        "rd_kafka_mock_request_api_key": (i16, [p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


class Cluster:
    """One mock cluster and the rd_kafka_t it needs for its bookkeeping."""

    def __init__(self, lib: ctypes.CDLL, brokers: int, debug: str | None) -> None:
        self.lib = lib
        self.brokers = brokers
        conf = lib.rd_kafka_conf_new()
        errstr = ctypes.create_string_buffer(512)
        settings = {"client.id": "mock-cluster-host"}
        if debug:
            settings["debug"] = debug
        for key, value in settings.items():
            if lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), errstr, len(errstr)) != 0:
                raise SystemExit(f"conf {key}: {errstr.value.decode()}")
        # rd_kafka_new takes the conf over, on success only.
        self.rk = lib.rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, len(errstr))
        if not self.rk:
            raise SystemExit(f"rd_kafka_new: {errstr.value.decode()}")
        self.mcluster = lib.rd_kafka_mock_cluster_new(self.rk, brokers)
        if not self.mcluster:
            raise SystemExit("rd_kafka_mock_cluster_new failed")
        self.bootstrap = lib.rd_kafka_mock_cluster_bootstraps(self.mcluster).decode()

    def close(self) -> None:
        self.lib.rd_kafka_mock_cluster_destroy(self.mcluster)
        self.lib.rd_kafka_destroy(self.rk)

    def check(self, err: int) -> None:
        if err != 0:
            raise CommandError(self.lib.rd_kafka_err2name(err).decode())

    def run(self, words: list[str]) -> str:
        """Runs one command; returns the answer after `ok` (often nothing)."""
        lib, m = self.lib, self.mcluster
        command, args = words[0], words[1:]
        if command == "topic":
            need(args, 2, 3)
            replication = int(args[2]) if len(args) > 2 else self.brokers
            name, partitions = args[0].encode(), int(args[1])
            self.check(lib.rd_kafka_mock_topic_create(m, name, partitions, replication))
        elif command in ("leader", "follower"):
            need(args, 3, 3)
            set_ = (lib.rd_kafka_mock_partition_set_leader if command == "leader"
                    else lib.rd_kafka_mock_partition_set_follower)
            self.check(set_(m, args[0].encode(), int(args[1]), int(args[2])))
        elif command in ("down", "up"):
            need(args, 1, 1)
            set_ = (lib.rd_kafka_mock_broker_set_down if command == "down"
                    else lib.rd_kafka_mock_broker_set_up)
            self.check(set_(m, int(args[0])))
        elif command == "rtt":
            need(args, 2, 2)
            self.check(lib.rd_kafka_mock_broker_set_rtt(m, int(args[0]), int(args[1])))
        elif command == "coordinator":
            need(args, 2, 2)
            group, broker = args[0].encode(), int(args[1])
            self.check(lib.rd_kafka_mock_coordinator_set(m, b"group", group, broker))
        elif command == "errors":
            need(args, 2)
            codes = [int(c) for c in args[1:]]
            array = (ctypes.c_int * len(codes))(*codes)
            lib.rd_kafka_mock_push_request_errors_array(m, int(args[0]), len(codes), array)
        elif command == "partition-errors":
            need(args, 4)
            codes = [ctypes.c_int(int(c)) for c in args[3:]]
            self.check(lib.rd_kafka_mock_partition_push_request_errors(
                m, args[0].encode(), int(args[1]), int(args[2]), len(codes), *codes))
        elif command == "broker-errors":
            need(args, 3)
            pairs = []
            for item in args[2:]:
                code, _, delay = item.partition("@")
                pairs += [ctypes.c_int(int(code)), ctypes.c_int(int(delay or 0))]
            self.check(lib.rd_kafka_mock_broker_push_request_error_rtts(
                m, int(args[0]), int(args[1]), len(pairs) // 2, *pairs))
        elif command == "apiversion":
            need(args, 3, 3)
            self.check(lib.rd_kafka_mock_set_apiversion(m, int(args[0]), int(args[1]),
                                                        int(args[2])))
        elif command == "pending":
            need(args, 2, 2)
            count = ctypes.c_size_t(0)
            self.check(lib.rd_kafka_mock_broker_error_stack_cnt(
                m, int(args[0]), int(args[1]), ctypes.byref(count)))
            return str(count.value)
        elif command == "clear-errors":
            need(args, 1, 1)
            lib.rd_kafka_mock_clear_request_errors(m, int(args[0]))
        elif command == "track":
            need(args, 0, 0)
            lib.rd_kafka_mock_start_request_tracking(m)
        elif command == "requests":
            need(args, 1, 1)
            api_key = int(args[0])
            count = ctypes.c_size_t(0)
            requests = lib.rd_kafka_mock_get_requests(m, ctypes.byref(count))
            per_broker = Counter()
            for n in range(count.value):
                if lib.rd_kafka_mock_request_api_key(requests[n]) == api_key:
                    per_broker[lib.rd_kafka_mock_request_id(requests[n])] += 1
            if count.value:
                lib.rd_kafka_mock_request_destroy_array(requests, count.value)
            brokers = " ".join(f"{b}={per_broker[b]}" for b in range(1, self.brokers + 1))
            return f"{sum(per_broker.values())} {brokers}"
        elif command == "bootstrap":
            need(args, 0, 0)
            return self.bootstrap
        else:
            raise CommandError(f"unknown command {command!r}")
        return ""


class CommandError(Exception):
    """A command the cluster refused, or one that is malformed."""


def need(args: list[str], least: int, most: int | None = None) -> None:
    """Checks the number of arguments: at least `least`, at most `most` (None: no limit)."""
    if len(args) < least or (most is not None and len(args) > most):
        if most == least:
            wanted = str(least)
        else:
            wanted = f"{least} or more" if most is None else f"{least} to {most}"
        raise CommandError(f"expected {wanted} arguments, got {len(args)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", type=int, default=3, help="brokers in the cluster (ids 1..N)")
    parser.add_argument("--debug", help="librdkafka debug contexts for its log on stderr, e.g. mock")
    options = parser.parse_args()
    if options.brokers < 1:
        parser.error("--brokers must be at least 1")
    cluster = Cluster(load_librdkafka(), options.brokers, options.debug)
    print(cluster.bootstrap, flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words == ["quit"]:
                print("ok", flush=True)
                break
            try:
                value = cluster.run(words)
                answer = f"ok {value}" if value else "ok"
            except (CommandError, ValueError) as error:
                answer = f"error {error}"
            print(answer, flush=True)
            # The test's log of what it did to the cluster, next to librdkafka's own log.
            print(f"mock_cluster: {' '.join(words)} -> {answer}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
