#!/usr/bin/env python3
"""The compose test: the real compose.yaml on this machine's Docker engine, with
docker/compose.test.yaml swapping Apache Kafka for tansu and the public base images for the local
ones of docker/base.sh (nothing is pulled).

It reads structured state only: the services' `--json` summaries on stdout (PRODUCER_JSON,
CONSUMER_JSON, VERIFIER_JSON, set by the overrides), their JSON log events on stderr
(LOG_FORMAT=json), each replica's /metrics (Prometheus text) and /healthz on its host port
(`compose port --index N`), Prometheus's query API, and `docker inspect` (health, exit codes,
start and finish times; containers found by their compose labels). Checks, in order:
  - compose.yaml is valid,
  - the producer sends N events, all acknowledged, and exits 0,
  - the 3 consumer containers (--scale consumer=3) become healthy (`consumer healthcheck`),
  - each replica's /metrics and /healthz answer on a host port of its own of CONSUMER_HOST_PORTS,
  - the 3 replicas split the 3 partitions, in one generation (their metrics),
  - each replica logs the `dashboard:` link, its dashboard answers, and so does the link when a
    replica holds the range's first port,
  - the monitoring profile's Prometheus (docker/prometheus.yml; the host's Debian prometheus
    binary in the local Debian image; SKIPPED without it) finds and scrapes the 3 replicas,
  - the verifier starts after the producer has finished and reports 100%, 0 lost (exit 0),
  - a consumer killed with SIGTERM exits 0 with its summary, leaves the group, and its partition
    moves to the 2 others,
  - a crashed one's (SIGKILL) move to the last one after its session timeout (6 s here),
  - `compose run --rm --no-deps verifier` reports 100% again (exit 0),
  - `compose stop` stops the last consumer cleanly (exit 0, final summary, group left),
  - compose.cluster.yaml runs the pipeline on an external SASL_SSL cluster (tansu behind a TLS
    relay, scripts/broker.sh) from a mounted client.properties and CA: 100%, exit 0.
Ends with `N passed, N failed, N skipped` (each skip with its reason); exits 1 on any failure.
Cleans up (compose down -v, the cluster's broker) always. Logs of every container (stdout and
stderr apart, and its `docker inspect`) stay in .run/compose-test/.

Env: COMPOSE_TEST_COUNT (default 3000) events; COMPOSE=docker-compose to force compose v1;
CONSUMER_HOST_PORTS (default 19601-19610) the consumers' host port range;
COMPOSE_TEST_CLUSTER_PORT (default 19292, and the 3 ports after it) the SASL_SSL tansu's port;
KAFKA_HOST_PORT, PROMETHEUS_PORT (default: free ports); PROMETHEUS_BINARY (/usr/bin/prometheus).
Standard library only (Python 3.11).
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import unittest
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".run" / "compose-test"
COUNT = int(os.environ.get("COMPOSE_TEST_COUNT", "3000"))
HOST_PORTS = os.environ.get("CONSUMER_HOST_PORTS", "19601-19610")
FIRST_PORT, LAST_PORT = (int(port) for port in HOST_PORTS.split("-"))
DASHBOARD_URL = f"http://localhost:{FIRST_PORT}/"
CLUSTER_PORT = int(os.environ.get("COMPOSE_TEST_CLUSTER_PORT", "19292"))
CLUSTER_BROKER = "tansu-sasl-ssl-compose"
CLUSTER_COUNT = 500
PROMETHEUS_BINARY = os.environ.get("PROMETHEUS_BINARY", "/usr/bin/prometheus")
PROJECT = f"pipeline-test-{os.getpid()}"
GROUP = "statistiques"
PARTITIONS = [0, 1, 2]
STARTED = time.monotonic()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


PROMETHEUS_PORT = os.environ.get("PROMETHEUS_PORT") or free_port()

# The test's settings, through the variables a user would set. A short session timeout so that a
# killed consumer's partitions move within seconds, not Kafka's default 45 s; JSON log events.
ENV = dict(
    os.environ,
    PATH=f"{Path.home()}/.cargo/bin:{os.environ.get('PATH', '')}",
    COMPOSE_PROJECT_NAME=PROJECT,
    PRODUCER_COUNT=str(COUNT),
    PRODUCER_RATE="0",
    PRODUCER_PARTITIONS="3",
    CONSUMER_SESSION_TIMEOUT="6s",
    CONSUMER_HEARTBEAT_INTERVAL="1s",
    CONSUMER_STATS_INTERVAL="2s",
    CONSUMER_COMMIT_INTERVAL="1s",
    LOG_FORMAT="json",
    # Away from compose.yaml's default range (9101-9110); the link is the range's first port.
    CONSUMER_HOST_PORTS=HOST_PORTS,
    CONSUMER_DASHBOARD_URL=DASHBOARD_URL,
    # Unused by tansu, but compose.yaml publishes the broker's host port.
    KAFKA_HOST_PORT=os.environ.get("KAFKA_HOST_PORT") or free_port(),
    PROMETHEUS_PORT=PROMETHEUS_PORT,
)


# --- commands --------------------------------------------------------------------------------


class CommandFailed(Exception):
    """A command the test needs exited non-zero or hung."""


def tail(text, lines=15):
    return "\n".join(text.strip().splitlines()[-lines:])


def sh(args, *, env=None, timeout=300, check=True, log=None):
    """Runs `args` in the checkout; stdout and stderr captured apart (and written to `log`)."""
    try:
        done = subprocess.run(
            args,
            cwd=ROOT,
            env=env or ENV,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"`{' '.join(args)}` still running after {timeout} s") from None
    if log:
        Path(log).write_text(done.stdout + done.stderr)
    if check and done.returncode != 0:
        raise CommandFailed(
            f"`{' '.join(args)}` exited {done.returncode}:\n{tail(done.stderr or done.stdout)}"
        )
    return done


def compose_command():
    if os.environ.get("COMPOSE"):
        return os.environ["COMPOSE"].split()
    if sh(["docker", "compose", "version"], check=False).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


COMPOSE = compose_command()


def dc(*args, **kwargs):
    """compose on compose.yaml with the test override, in the test's project."""
    return sh([*COMPOSE, "-f", "compose.yaml", "-f", "docker/compose.test.yaml", *args], **kwargs)


# --- containers ------------------------------------------------------------------------------


def containers(service=None, project=PROJECT):
    """`docker inspect` of the project's containers (of `service`), in compose's index order;
    not the one-off ones of `compose run`."""
    filters = [f"label=com.docker.compose.project={project}", "label=com.docker.compose.oneoff=False"]
    if service:
        filters.append(f"label=com.docker.compose.service={service}")
    ids = sh(["docker", "ps", "-aq", *(f"--filter={f}" for f in filters)]).stdout.split()
    if not ids:
        return []
    found = json.loads(sh(["docker", "inspect", *ids]).stdout)
    return sorted(found, key=lambda c: (service_of(c), index_of(c)))


def service_of(container):
    return container["Config"]["Labels"].get("com.docker.compose.service", "")


def index_of(container):
    return int(container["Config"]["Labels"].get("com.docker.compose.container-number", "0"))


def name_of(container):
    return container["Name"].lstrip("/")


def inspect(container_id):
    return json.loads(sh(["docker", "inspect", container_id]).stdout)[0]


def output(container_id):
    """The container's stdout (where --json puts the summary) and stderr (its logs), apart."""
    done = sh(["docker", "logs", container_id])
    return done.stdout, done.stderr


def wait_exit(container, seconds):
    """The container's exit code, once it has exited (at most `seconds`)."""
    try:
        return int(sh(["docker", "wait", container["Id"]], timeout=seconds).stdout.strip())
    except CommandFailed:
        raise AssertionError(f"{name_of(container)} still running after {seconds} s") from None


def timestamp(text):
    return datetime.fromisoformat(text)


def json_objects(text):
    """Each line of `text` that is a JSON object."""
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


def summary(text, what, keys):
    """The last JSON object of `text` with all of `keys` that is not a log event: a --json summary."""
    for value in reversed(json_objects(text)):
        if "level" not in value and all(key in value for key in keys):
            return value
    raise AssertionError(f"{what} printed no JSON summary with {', '.join(keys)}: {tail(text, 3)!r}")


def consumer_summary(container_id, what):
    return summary(output(container_id)[0], what, ["member_id", "group_id", "partitions"])


def verifier_report(text, what):
    return summary(text, what, ["runs", "ok", "lost", "total"])


def log_messages(container_id):
    """The JSON log events (LOG_FORMAT=json) of the container's stderr."""
    return json_objects(output(container_id)[1])


# --- HTTP and metrics ------------------------------------------------------------------------


def get(url, timeout=5):
    """(status, content type, body) of GET url."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            body = answer.read().decode(errors="replace")
            return answer.status, answer.headers.get("Content-Type", ""), body
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Content-Type", ""), answer.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        raise AssertionError(f"GET {url}: {e}") from None


SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(port):
    """The samples of /metrics on `port`: name -> [(labels, value)]."""
    status, _, body = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200, f"GET :{port}/metrics answered {status}"
    samples = {}
    for line in body.splitlines():
        match = SAMPLE.match(line)
        if match:
            name, labels, value = match.groups()
            samples.setdefault(name, []).append((dict(LABEL.findall(labels or "")), float(value)))
    return samples


def single(samples, name, port):
    assert name in samples, f"no {name} in :{port}/metrics"
    return samples[name][0][1]


@dataclass
class Replica:
    """A consumer container and its host port."""

    id: str
    name: str
    index: int
    port: int | None

    def assignment(self):
        """(generation, partitions) from the replica's metrics: consumer_generation (-1 while
        joining) and the partition label of consumer_records_lag, one per owned partition."""
        assert self.port, f"{self.name} has no host port"
        samples = scrape(self.port)
        generation = int(single(samples, "consumer_generation", self.port))
        owned = sorted(int(labels["partition"]) for labels, _ in samples.get("consumer_records_lag", []))
        return generation, owned


def assert_split(replicas):
    """Asserts that `replicas` consume in one generation and own each partition once, each at
    least one; returns their assignment, one line each."""
    seen = {replica.name: replica.assignment() for replica in replicas}
    text = "; ".join(f"{name}: generation {g}, partitions {p}" for name, (g, p) in seen.items())
    generations = {generation for generation, _ in seen.values()}
    assert len(generations) == 1 and min(generations) >= 0, f"not one generation yet: {text}"
    owned = sorted(p for _, partitions in seen.values() for p in partitions)
    assert owned == PARTITIONS, f"partitions owned {owned}, not {PARTITIONS} once each: {text}"
    assert all(partitions for _, partitions in seen.values()), f"a replica owns nothing: {text}"
    return [f"{name}: generation {g}, partitions {p}" for name, (g, p) in seen.items()]


def eventually(seconds, check):
    """check() until it stops failing, at most `seconds`; its last failure otherwise."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except AssertionError as failure:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{failure} (after {seconds} s)") from None
        time.sleep(1)


def assert_run_complete(report, run_id, count):
    """The verifier's report has the producer's run `run_id` finished with all `count` acked
    events received, and nothing lost anywhere: 100%."""
    runs = {run["run_id"]: run for run in report["runs"]}
    assert run_id in runs, f"the producer's run {run_id} is not in the report (runs: {sorted(runs)})"
    run = runs[run_id]
    numbers = f"acked {run['acked']}, received {run['received']}, lost {run['lost']}"
    assert run["finished"] and run["complete"], f"{run_id} not complete: {numbers}"
    assert (run["acked"], run["received"], run["lost"]) == (count, count, 0), f"{run_id}: {numbers}"
    assert report["ok"] and report["lost"] == 0, f"report not ok: lost {report['lost']}"
    note(f"{run_id}: {numbers}, duplicates {run['duplicates']} (100%); topic: {report['total']} "
         f"records, per partition {report['per_partition']}")


# --- reporting -------------------------------------------------------------------------------

REPORT = []  # every line printed, for .run/compose-test/report.txt
DETAILS = []  # the current check's detail lines, printed under its result


def say(line):
    REPORT.append(line)
    print(line, flush=True)


def phase(text):
    say(f"--- [{time.monotonic() - STARTED:.0f}s] {text}")


def note(line):
    DETAILS.append(line)


class Results(unittest.TestResult):
    """PASS/FAIL/SKIP per check with its details, counted."""

    def __init__(self):
        super().__init__()
        self.passed = 0
        self.failed = 0
        self.skips = []

    def startTest(self, test):
        super().startTest(test)
        DETAILS.clear()
        self.started = time.monotonic()

    def describe(self, test):
        return test.shortDescription() or str(test)

    def show(self, status, test, extra=""):
        took = time.monotonic() - getattr(self, "started", time.monotonic())
        say(f"{status}: {self.describe(test)}{extra} ({took:.1f} s)")
        for line in DETAILS:
            say(f"    {line}")
        DETAILS.clear()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self.show("PASS", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed += 1
        self.show("FAIL", test, f": {err[1]}")

    def addError(self, test, err):
        super().addError(test, err)
        self.failed += 1
        if isinstance(err[1], (CommandFailed, AssertionError)):
            why = str(err[1])
        else:
            why = "".join(traceback.format_exception(*err)).rstrip()
        self.show("FAIL", test, f": {why}")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.skips.append((self.describe(test), reason))
        self.show("SKIP", test, f": {reason}")


# --- the checks ------------------------------------------------------------------------------


class ComposeFiles(unittest.TestCase):
    def test_compose_yaml_is_valid(self):
        """compose.yaml is valid (compose config -q)"""
        done = sh([*COMPOSE, "-f", "compose.yaml", "config", "-q"], check=False)
        self.assertEqual(done.returncode, 0, f"compose config: {tail(done.stderr)}")


def save_logs(project, prefix=""):
    """Every container's stdout, stderr and `docker inspect` into LOGS."""
    for container in containers(project=project):
        name = prefix + name_of(container)
        stdout, stderr = output(container["Id"])
        (LOGS / f"{name}.stdout").write_text(stdout)
        (LOGS / f"{name}.stderr").write_text(stderr)
        (LOGS / f"{name}.inspect.json").write_text(json.dumps(container, indent=2))


class Pipeline(unittest.TestCase):
    """compose.yaml with tansu: the producer, 3 consumers, the verifier."""

    replicas: list[Replica] = []
    run_id = None
    set_up = torn_down = False

    @classmethod
    def setUpClass(cls):
        cls.set_up = True
        cls.addClassCleanup(cls.tear_down)
        phase("local base images (docker/base.sh)")
        sh(["docker/base.sh"], timeout=1800, log=LOGS / "base.log")
        phase(f"building the service images ({' '.join(COMPOSE)} build)")
        dc("build", "-q", timeout=3600, log=LOGS / "build.log")
        phase(f"up: tansu, producer ({COUNT} events), 3 consumers, then the verifier")
        up = dc("up", "-d", "--scale", "consumer=3", timeout=600, check=False, log=LOGS / "up.log")
        if up.returncode != 0:
            say(f"    up exited {up.returncode} (checked below):\n{tail(up.stderr)}")
        cls.replicas = []
        for container in containers("consumer"):
            index = index_of(container)
            where = dc("port", "--index", str(index), "consumer", "9100", check=False).stdout.strip()
            host, _, port = where.rpartition(":")
            cls.replicas.append(
                Replica(container["Id"], name_of(container), index, int(port) if host == "127.0.0.1" else None)
            )

    @classmethod
    def tear_down(cls):
        if cls.torn_down or not cls.set_up:
            return
        cls.torn_down = True
        phase("down: logs into .run/compose-test/, compose down -v")
        try:
            save_logs(PROJECT)
        finally:
            dc("--profile", "monitoring", "down", "-v", "--remove-orphans", check=False, timeout=180)

    def replicas_needed(self, count):
        self.assertEqual(len(self.replicas), count, f"needs {count} consumer containers, found {len(self.replicas)}")

    def test_01_producer(self):
        """producer: sends COMPOSE_TEST_COUNT events, all acknowledged, exit 0"""
        (producer,) = containers("producer") or [None]
        self.assertIsNotNone(producer, "no producer container")
        code = wait_exit(producer, 120)
        sent = summary(output(producer["Id"])[0], "the producer", ["run_id", "sent", "acked"])
        Pipeline.run_id = sent["run_id"]
        note(f"{sent['run_id']}: sent {sent['sent']}, acked {sent['acked']}, failed {sent['failed']}, "
             f"unconfirmed {sent['unconfirmed']}, {sent['events_per_s']:.0f} events/s")
        self.assertEqual((sent["sent"], sent["acked"], sent["failed"], sent["unconfirmed"]), (COUNT, COUNT, 0, 0),
                         "sent, acked, failed, unconfirmed")
        self.assertEqual(code, 0, "the producer's exit code")

    def test_02_consumers_healthy(self):
        """3 consumer containers healthy (healthcheck: consumer healthcheck)"""
        self.replicas_needed(3)

        def healthy():
            states = {r.name: inspect(r.id)["State"].get("Health", {}).get("Status", "none") for r in self.replicas}
            assert set(states.values()) == {"healthy"}, f"health: {states}"

        eventually(90, healthy)
        first = inspect(self.replicas[0].id)
        self.assertEqual(first["Config"]["Healthcheck"]["Test"], ["CMD", "/usr/local/bin/consumer", "healthcheck"])
        last = first["State"]["Health"]["Log"][-1]
        note(f"{json.dumps(first['Config']['Healthcheck']['Test'])}: exit {last['ExitCode']}, {last['Output'].strip()}")

    def test_03_replica_ports(self):
        """each replica's /metrics and /healthz on a host port of its own of CONSUMER_HOST_PORTS"""
        self.replicas_needed(3)
        ports = [r.port for r in self.replicas]
        note(f"compose port --index 1..3 consumer 9100: {ports}")
        self.assertTrue(all(ports), f"a replica without a host port: {ports}")
        self.assertEqual(len(set(ports)), 3, f"ports not distinct: {ports}")
        self.assertTrue(all(FIRST_PORT <= p <= LAST_PORT for p in ports), f"{ports} not all in {HOST_PORTS}")
        for replica in self.replicas:
            binding = inspect(replica.id)["NetworkSettings"]["Ports"]["9100/tcp"][0]
            self.assertEqual(int(binding["HostPort"]), replica.port, f"{replica.name}: docker inspect's port")

        def answering():
            lines, owned = [], 0
            for r in self.replicas:
                status, _, body = get(f"http://127.0.0.1:{r.port}/healthz")
                assert (status, body.strip()) == (200, "ok"), f"{r.name} /healthz: {status} {body.strip()!r}"
                assigned = int(single(scrape(r.port), "consumer_assigned_partitions", r.port))
                owned += assigned
                lines.append(f"consumer index {r.index}: 127.0.0.1:{r.port}, /healthz ok, "
                             f"consumer_assigned_partitions {assigned}")
            # The group rebalances while the topic appears: asked again until it has settled.
            assert owned == 3, f"partitions owned by the replicas' metrics: {owned}, not 3: {lines}"
            return lines

        for line in eventually(60, answering):
            note(line)

    def test_04_split(self):
        """3 consumer containers split the 3 partitions in one generation (their /metrics)"""
        self.replicas_needed(3)
        for line in eventually(60, lambda: assert_split(self.replicas)):
            note(line)

    def test_05_dashboard(self):
        """each replica logs the dashboard: link, its dashboard (/) answers 200, and the link too"""
        self.replicas_needed(3)
        for r in self.replicas:
            messages = [e.get("message") for e in log_messages(r.id)]
            self.assertIn(f"dashboard: {DASHBOARD_URL}", messages, f"{r.name}'s log events")
            status, kind, _ = get(f"http://127.0.0.1:{r.port}/")
            self.assertEqual(status, 200, f"{r.name}: GET :{r.port}/")
            self.assertIn("text/html", kind, f"{r.name}: GET :{r.port}/ content type")
        # Docker's port allocator goes on from the last port it gave (engine-wide), so the
        # range's first port is not always a replica's: the link is asked when one holds it.
        if FIRST_PORT in [r.port for r in self.replicas]:
            status, _, _ = get(DASHBOARD_URL)
            self.assertEqual(status, 200, f"GET {DASHBOARD_URL}")
            note(f"3 log 'dashboard: {DASHBOARD_URL}'; 3 dashboards answer 200; the link answers 200")
        else:
            note(f"3 log 'dashboard: {DASHBOARD_URL}'; 3 dashboards answer 200; no replica holds "
                 f"port {FIRST_PORT} this time (Docker gave {[r.port for r in self.replicas]})")

    def test_06_prometheus(self):
        """monitoring profile: Prometheus scrapes the 3 consumer replicas (docker/prometheus.yml, DNS)"""
        if not os.access(PROMETHEUS_BINARY, os.X_OK):
            self.skipTest(f"no Prometheus binary at {PROMETHEUS_BINARY} (Debian: apt-get install prometheus)")
        self.replicas_needed(3)
        dc("--profile", "monitoring", "up", "-d", "--no-deps", "prometheus", log=LOGS / "prometheus-up.log")
        api = f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1"
        query = urllib.parse.quote('count(up{job="consumer"} == 1)')

        def three_up():
            status, _, body = get(f"{api}/query?query={query}")
            assert status == 200, f"Prometheus's query API answered {status}"
            result = json.loads(body)["data"]["result"]
            up = int(float(result[0]["value"][1])) if result else 0
            assert up == 3, f"Prometheus scrapes {up} consumer targets, not 3"

        eventually(60, three_up)
        _, _, body = get(f"{api}/targets?state=active")
        for target in json.loads(body)["data"]["activeTargets"]:
            note(f"{target['labels']['job']} {target['scrapeUrl']} {target['health']}")

    def test_07_verifier(self):
        """verifier: starts after the producer has finished, reports 100%, 0 lost, exit 0"""
        self.assertIsNotNone(self.run_id, "no producer run to verify")
        (verifier,) = containers("verifier") or [None]
        self.assertIsNotNone(verifier, "no verifier container: compose did not start it")
        code = wait_exit(verifier, 120)
        (producer,) = containers("producer")
        finished = timestamp(producer["State"]["FinishedAt"])
        started = timestamp(inspect(verifier["Id"])["State"]["StartedAt"])
        self.assertGreaterEqual(started, finished, "the verifier started before the producer finished")
        assert_run_complete(verifier_report(output(verifier["Id"])[0], "the verifier"), self.run_id, COUNT)
        self.assertEqual(code, 0, "the verifier's exit code")

    def test_08_sigterm(self):
        """docker kill --signal TERM a consumer: it exits 0 with its summary, leaves, its partition moves"""
        self.replicas_needed(3)
        victim, survivors = self.replicas[2], self.replicas[:2]
        _, lost = victim.assignment()
        sh(["docker", "kill", "--signal", "TERM", victim.id])
        code = wait_exit(inspect(victim.id), 30)
        left = consumer_summary(victim.id, victim.name)
        note(f"{victim.name}: exit {code}, summary: partitions {left['partitions']}, consumed {left['consumed']}")
        self.assertEqual(code, 0, f"{victim.name}'s exit code")
        events = [e for e in log_messages(victim.id) if e.get("message") == f"left group {left['group_id']}"]
        self.assertTrue(events, f"{victim.name} logged no 'left group' event")
        self.assertEqual(events[-1].get("member_id"), left["member_id"], "the member that left")
        for line in eventually(60, lambda: assert_split(survivors)):
            note(line)
        note(f"its partitions {lost} now the 2 others'")

    def test_09_sigkill(self):
        """docker kill (SIGKILL) a second consumer: after the session timeout the last one owns all"""
        self.replicas_needed(3)
        crashed, last = self.replicas[1], self.replicas[0]
        sh(["docker", "kill", crashed.id])
        killed = time.monotonic()
        code = wait_exit(inspect(crashed.id), 30)
        self.assertEqual(code, 137, f"{crashed.name}'s exit code")
        # No LeaveGroup: the broker notices at the session timeout (6 s). tansu 0.6.0 then keeps
        # the generation and tells nobody; our consumers force a new one (docs/brokers.md).
        for line in eventually(60, lambda: assert_split([last])):
            note(line)
        note(f"seen {time.monotonic() - killed:.1f} s after the kill (session timeout 6 s)")

    def test_10_verifier_on_demand(self):
        """compose run --rm --no-deps verifier: 100% again, exit 0"""
        self.assertIsNotNone(self.run_id, "no producer run to verify")
        done = dc("run", "--rm", "--no-deps", "-T", "verifier", timeout=180, check=False,
                  log=LOGS / "verifier-run.txt")
        assert_run_complete(verifier_report(done.stdout + "\n" + done.stderr, "compose run verifier"),
                            self.run_id, COUNT)
        self.assertEqual(done.returncode, 0, "compose run's exit code")

    def test_11_stop(self):
        """compose stop: the consumers exit 0 with their final summary, having left the group"""
        running = [r for r in self.replicas if inspect(r.id)["State"]["Running"]]
        self.assertTrue(running, "no consumer left running")
        started = time.monotonic()
        dc("stop", "consumer", timeout=120)
        note(f"{len(running)} stopped in {time.monotonic() - started:.1f} s")
        for r in running:
            state = inspect(r.id)["State"]
            self.assertEqual((state["Status"], state["ExitCode"]), ("exited", 0), f"{r.name}'s state")
            final = consumer_summary(r.id, r.name)
            self.assertEqual(final["group_id"], GROUP, f"{r.name}'s summary: group")
            self.assertEqual(sorted(final["partitions"]), PARTITIONS, f"{r.name}'s summary: partitions")
            events = [e for e in log_messages(r.id) if e.get("message") == f"left group {GROUP}"]
            self.assertTrue(events, f"{r.name} logged no 'left group' event")
            self.assertEqual(events[-1].get("member_id"), final["member_id"], "the member that left")
            note(f"{r.name}: generation {final['generation']}, rebalances {final['rebalances']}, "
                 f"partitions {final['partitions']}, consumed {final['consumed']}, committed {final['committed']}")


class Cluster(unittest.TestCase):
    """compose.cluster.yaml against an external SASL_SSL tansu (scripts/broker.sh)."""

    project = f"{PROJECT}-cluster"
    settings = LOGS / "cluster"
    set_up = torn_down = False

    @classmethod
    def dcc(cls, *args, **kwargs):
        env = dict(
            ENV,
            PIPELINE_IMAGES="kafka-pipeline-test",
            PIPELINE_CLUSTER_DIR=str(cls.settings),
            PIPELINE_NETWORK_MODE="host",
            CONSUMER_REPLICAS="1",
            PRODUCER_COUNT=str(CLUSTER_COUNT),
            COMPOSE_PROJECT_NAME=cls.project,
        )
        files = ["-f", "compose.cluster.yaml", "-f", "docker/compose.cluster.test.yaml"]
        return sh([*COMPOSE, *files, *args], env=env, **kwargs)

    @classmethod
    def setUpClass(cls):
        cls.set_up = True
        cls.addClassCleanup(cls.tear_down)
        phase(f"compose.cluster.yaml: the pipeline on an external SASL_SSL cluster (port {CLUSTER_PORT})")
        cls.address = sh(["scripts/broker.sh", "start", CLUSTER_BROKER, str(CLUSTER_PORT)], timeout=120).stdout.strip()
        # Its settings as a user would mount them: the client.properties, the CA at its path in
        # the container.
        cluster = ROOT / ".run" / CLUSTER_BROKER
        cls.settings.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cluster / "ca.pem", cls.settings / "ca.pem")
        lines = [
            "ssl.truststore.location=/etc/pipeline/ca.pem" if line.startswith("ssl.truststore.location=") else line
            for line in (cluster / "client.properties").read_text().splitlines()
        ]
        (cls.settings / "client.properties").write_text("\n".join(lines) + "\n")
        for path in cls.settings.iterdir():
            path.chmod(0o644)
        up = cls.dcc("up", "--no-build", "-d", timeout=300, check=False, log=LOGS / "cluster-up.log")
        if up.returncode != 0:
            say(f"    up exited {up.returncode} (checked below):\n{tail(up.stderr)}")

    @classmethod
    def tear_down(cls):
        if cls.torn_down or not cls.set_up:
            return
        cls.torn_down = True
        try:
            save_logs(cls.project, prefix="cluster-")
        finally:
            cls.dcc("down", "-v", check=False, timeout=180)
            sh(["scripts/broker.sh", "stop", CLUSTER_BROKER], check=False, timeout=60)

    def test_cluster(self):
        """compose.cluster.yaml on SASL_SSL (SCRAM-SHA-512, mounted client.properties and CA): 100%, exit 0"""
        note(f"tansu behind a TLS relay at {self.address}")
        (producer,) = containers("producer", project=self.project) or [None]
        self.assertIsNotNone(producer, "no producer container")
        self.assertEqual(wait_exit(producer, 120), 0, "the producer's exit code")
        sent = summary(output(producer["Id"])[0], "the producer", ["run_id", "sent", "acked"])
        (verifier,) = containers("verifier", project=self.project) or [None]
        self.assertIsNotNone(verifier, "no verifier container: compose did not start it")
        code = wait_exit(verifier, 120)
        assert_run_complete(verifier_report(output(verifier["Id"])[0], "the verifier"), sent["run_id"], CLUSTER_COUNT)
        self.assertEqual(code, 0, "the verifier's exit code")


def main():
    os.chdir(ROOT)
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    # A stop (Ctrl+C, SIGTERM) still cleans up: unittest lets KeyboardInterrupt through.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    say(f"compose test: {' '.join(COMPOSE)}, project {PROJECT}, {COUNT} events, consumer ports {HOST_PORTS}")
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(case) for case in (ComposeFiles, Pipeline, Cluster))
    results = Results()
    try:
        suite.run(results)
    except KeyboardInterrupt:
        results.failed += 1
        say("FAIL: interrupted")
    finally:
        for case in (Pipeline, Cluster):
            try:
                case.tear_down()
            except Exception as e:  # noqa: BLE001 - the other cleanup still runs
                say(f"cleanup of {case.__name__}: {e}")
    phase(f"done; logs in {LOGS.relative_to(ROOT)}/")
    say(f"{'PASS' if results.failed == 0 else 'FAIL'}: compose test")
    say(f"{results.passed} passed, {results.failed} failed, {len(results.skips)} skipped")
    for check, reason in results.skips:
        say(f"  skipped: {check}: {reason}")
    (LOGS / "report.txt").write_text("\n".join(REPORT) + "\n")
    return 0 if results.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
