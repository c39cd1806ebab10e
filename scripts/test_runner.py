#!/usr/bin/env python3
"""`just test` after the install (scripts/test.sh calls it): the unit tests, every end-to-end test
on each broker it applies to, side by side, then the chaos suite alone; one report at the end.

Each end-to-end test (crates/e2e/tests/*.rs, every one `#[ignore]`d) runs on a broker started
fresh for it, so that no test inherits topics, groups or a wedged broker from another
(docs/brokers.md: tansu stops serving everyone when a client is killed mid-request). Tests run
in TEST_JOBS slots at once (default 4): they mostly wait on brokers and timeouts. Slot i owns the
ports TEST_PORT_BASE + 10 i .. + 10 i + 9 and its own broker instances (`tansu@e2e-i`, ... in
.run/, scripts/broker.sh), so two slots never share a port, a data directory or a broker.
The workspace is built once; the test executables are run directly (`<binary> --ignored --exact
NAME`), not through `cargo test`, whose build lock would run the slots one after another. The
e2e testkit finds the service binaries next to the test executable, in the same target folder.

Which suites run where: the suites that start their own mock cluster in each test run once,
under the pseudo-broker `mock-cluster` (nothing to start); the secured suite runs under
`tansu-sasl-ssl` only; every other suite under `tansu` and `mock`. The tests in SOLO assert
wall-clock bounds tight enough that a loaded machine could break them: they run with nothing
else in flight. The chaos suite (scripts/chaos.sh) measures time, memory and pauses: it runs
last, alone.

Outcomes come from exit codes and files, never from reading log lines: exit 0 is `ok`, unless
the test recorded a skip (`e2e::skip` writes the reason to `skipped` in its E2E_LOG_DIR), which
is `skip` with the reason; any other exit, or running past TEST_TIMEOUT, is `FAIL`. The output
of each test and the stderr of every process it starts stay in
.run/e2e/<broker>/<suite>/<test>/. Exit status 1 iff something failed.

Environment: TEST_BROKERS (default "tansu mock mock-cluster tansu-sasl-ssl"), TEST_FILTER (only
the end-to-end tests whose name contains it, and no chaos suite), TEST_JOBS (default 4),
TEST_PORT_BASE (default 19600), TEST_TIMEOUT (seconds per test, default 900).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(os.environ["PIPELINE_ROOT"])
RUN = Path(os.environ["PIPELINE_RUN"])
BROKER_SH = ROOT / "scripts" / "broker.sh"

BROKERS = os.environ.get("TEST_BROKERS", "tansu mock mock-cluster tansu-sasl-ssl").split()
FILTER = os.environ.get("TEST_FILTER", "")
JOBS = max(1, int(os.environ.get("TEST_JOBS", "4")))
PORT_BASE = int(os.environ.get("TEST_PORT_BASE", "19600"))
TIMEOUT = int(os.environ.get("TEST_TIMEOUT", "900"))
# Ports per slot: tansu-sasl-ssl takes port .. port+5 (broker.sh).
PORTS_PER_SLOT = 10

# Suites whose tests start their own mock cluster: they run under `mock-cluster` only.
OWN_CLUSTER_SUITES = {"leaders", "produce_errors", "several_brokers"}
# Suites that need the SASL_SSL broker: they run under `tansu-sasl-ssl` only.
SECURED_SUITES = {"security"}
# Not run here per test: scripts/chaos.sh runs it, last and alone.
CHAOS_SUITE = "chaos"
# Tests that run with nothing else in flight, and why: each asserts a wall-clock bound with
# little room, which the CPU taken by other tests could break.
SOLO = {
    (
        "produce_errors",
        "a_stop_while_the_leaders_are_down_ends_within_the_flush_timeout_naming_the_unconfirmed",
    ): "exits within 6 s of SIGTERM with --flush-timeout 2s (two flushes at most)",
}
# How long each test took last time, to start the longest first.
DURATIONS = RUN / "e2e" / "durations.json"


def runs_on(suite: str, broker: str) -> bool:
    """Whether `suite` runs under `broker` (see the module's docstring)."""
    if suite in OWN_CLUSTER_SUITES:
        return broker == "mock-cluster"
    if suite in SECURED_SUITES:
        return broker == "tansu-sasl-ssl"
    return broker not in ("mock-cluster", "tansu-sasl-ssl")


@dataclass
class Job:
    """One end-to-end test on one broker."""

    broker: str
    suite: str
    test: str
    binary: str

    @property
    def name(self) -> str:
        return f"{self.broker} {self.suite}::{self.test}"

    @property
    def logs(self) -> Path:
        return RUN / "e2e" / self.broker / self.suite / self.test

    @property
    def solo(self) -> bool:
        return (self.suite, self.test) in SOLO


@dataclass
class Result:
    """What one test (or the unit tests, or the chaos suite) came to."""

    name: str
    outcome: str  # "ok", "skip" or "FAIL"
    seconds: float
    detail: str = ""  # the skip's reasons, or where a failure's logs are


print_lock = threading.Lock()
# Set on Ctrl+C: no test starts after it.
stopping = threading.Event()
# The tests running now, each the leader of its process group.
running: set[subprocess.Popen] = set()


def say(line: str) -> None:
    with print_lock:
        print(line, flush=True)


def report(result: Result, log: Path | None = None) -> Result:
    """Prints the result's line as it comes; a failure's output follows it."""
    seconds = f"({result.seconds:.0f} s)"
    if result.outcome == "ok":
        line = f"ok    {result.name} {seconds}"
    elif result.outcome == "skip":
        line = f"skip  {result.name}: {result.detail} {seconds}"
    else:
        line = f"FAIL  {result.name} {seconds}: {result.detail}"
    with print_lock:
        print(line, flush=True)
        if result.outcome == "FAIL" and log is not None and log.exists():
            # The test harness's output, without the backtrace frames.
            for text in log.read_text(errors="replace").splitlines():
                stripped = text.lstrip()
                if not (stripped.startswith("at ") or stripped.split(":")[0].isdigit()):
                    print(f"      {text}")
            sys.stdout.flush()
    return result


def test_binaries() -> dict[str, str]:
    """The e2e test executables by suite, from cargo's own build messages (built already)."""
    out = subprocess.run(
        ["cargo", "test", "-p", "e2e", "--no-run", "--message-format=json", "--quiet"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    binaries = {}
    for line in out.splitlines():
        message = json.loads(line)
        target = message.get("target", {})
        if message.get("reason") == "compiler-artifact" and target.get("kind") == ["test"]:
            binaries[target["name"]] = message["executable"]
    return binaries


def listed_tests(binary: str) -> list[str]:
    """The ignored (end-to-end) tests of a test executable, as it lists them."""
    out = subprocess.run(
        [binary, "--list", "--ignored", "--format", "terse"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.removesuffix(": test") for line in out.splitlines() if line.endswith(": test")]


def planned_jobs() -> list[Job]:
    binaries = test_binaries()
    jobs = []
    for broker in BROKERS:
        for suite in sorted(binaries):
            if suite == CHAOS_SUITE or not runs_on(suite, broker):
                continue
            for test in listed_tests(binaries[suite]):
                if FILTER in test:
                    jobs.append(Job(broker, suite, test, binaries[suite]))
    return jobs


class Slot:
    """Ports and broker instances of one place where a test runs; one test at a time."""

    def __init__(self, index: int):
        self.index = index
        self.port = PORT_BASE + PORTS_PER_SLOT * index

    def instance(self, broker: str) -> str:
        return f"{broker}@e2e-{self.index}"

    def start(self, broker: str, log: Path) -> str:
        """Starts a fresh broker of this slot; its bootstrap address."""
        self.stop(broker)
        with open(log, "w") as err:
            out = subprocess.run(
                [BROKER_SH, "start", self.instance(broker), str(self.port)],
                check=True,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        return out.stdout.strip()

    def stop(self, broker: str) -> None:
        subprocess.run([BROKER_SH, "stop", self.instance(broker)], check=False)


def run_test(job: Job, slot: Slot) -> Result:
    """Runs one test on a fresh broker of `slot`."""
    logs = job.logs
    subprocess.run(["rm", "-rf", logs], check=True)
    logs.mkdir(parents=True)
    log = logs / "test.log"
    began = time.monotonic()
    env = dict(
        os.environ,
        E2E_LOG_DIR=str(logs),
        KAFKA_TEST_BROKER_KIND=job.broker,
        PIPELINE_VENV=os.environ["PIPELINE_VENV"],
    )
    if job.broker != "mock-cluster":  # its tests start their own clusters
        try:
            env["KAFKA_TEST_BROKERS"] = slot.start(job.broker, logs / "broker-start.log")
        except subprocess.CalledProcessError:
            elapsed = time.monotonic() - began
            detail = f"the broker did not start: {logs / 'broker-start.log'}"
            return report(Result(job.name, "FAIL", elapsed, detail))
    if job.broker == "tansu-sasl-ssl":
        env["KAFKA_TEST_SECURITY_DIR"] = str(RUN / slot.instance(job.broker))
    try:
        with open(log, "w") as out:
            # Its own process group: a test past its time is killed with everything it started.
            test = subprocess.Popen(
                [job.binary, "--ignored", "--exact", job.test],
                cwd=ROOT / "crates" / "e2e",  # where `cargo test` runs it
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            running.add(test)
            try:
                code = test.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                kill_group(test)
                test.wait()
                code = None
            finally:
                running.discard(test)
                kill_group(test)  # whatever it started and left running
    finally:
        if job.broker != "mock-cluster":
            slot.stop(job.broker)
    elapsed = time.monotonic() - began
    skipped = logs / "skipped"
    if code == 0 and skipped.exists():
        reasons = skipped.read_text().splitlines()
        return report(Result(job.name, "skip", elapsed, "; ".join(reasons)))
    if code == 0:
        return report(Result(job.name, "ok", elapsed))
    cause = f"timed out after {TIMEOUT} s" if code is None else f"exit {code}"
    detail = f"{cause}; every process's log in {logs.relative_to(ROOT)}/"
    return report(Result(job.name, "FAIL", elapsed, detail), log)


def kill_group(test: subprocess.Popen) -> None:
    """SIGKILLs the process group a test leads, if any process of it is left."""
    try:
        os.killpg(test.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_jobs(jobs: list[Job]) -> list[Result]:
    """The shared tests in JOBS slots at once, then the solo ones one by one, in slot 0."""
    results: list[Result] = []
    slots = [Slot(index) for index in range(JOBS)]

    def work(slot: Slot, todo: queue.Queue[Job]) -> None:
        while not stopping.is_set():
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            results.append(run_test(job, slot))

    def in_slots(batch: list[Job], slots: list[Slot]) -> None:
        todo: queue.Queue[Job] = queue.Queue()
        for job in batch:
            todo.put(job)
        workers = [threading.Thread(target=work, args=(slot, todo)) for slot in slots]
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():  # a timed join, so that Ctrl+C reaches this thread
                worker.join(timeout=1)

    try:
        in_slots([job for job in jobs if not job.solo], slots)
        solo = [job for job in jobs if job.solo]
        if solo and not stopping.is_set():
            say(f"=== {len(solo)} test(s) with the machine to themselves ===")
            in_slots(solo, slots[:1])
    except KeyboardInterrupt:
        stopping.set()
        for test in list(running):
            kill_group(test)
        raise
    finally:
        for slot in slots:
            for broker in BROKERS:
                if broker != "mock-cluster":
                    slot.stop(broker)
    return results


def run_step(name: str, command: list[str], env: dict[str, str] | None = None) -> Result:
    """A step that is one result: the unit tests, the chaos suite; its output streams through."""
    began = time.monotonic()
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    outcome = "ok" if code == 0 else "FAIL"
    return Result(name, outcome, time.monotonic() - began, "" if code == 0 else f"exit {code}")


def chaos() -> Result:
    """scripts/chaos.sh in its short form, on the ports of slot 0 (no test runs by then)."""
    say("=== the chaos suite, short timelines, alone (scripts/chaos.sh) ===")
    env = dict(
        os.environ,
        CHAOS_TANSU_PORT=str(PORT_BASE),
        CHAOS_TANSU_MEMORY_PORT=str(PORT_BASE + 2),
    )
    result = run_step("chaos suite", [str(ROOT / "scripts" / "chaos.sh")], env)
    skipped = RUN / "chaos" / "logs" / "skipped"
    if result.outcome == "ok" and skipped.exists():
        result.outcome, result.detail = "skip", "; ".join(skipped.read_text().splitlines())
    elif result.outcome == "FAIL":
        result.detail += "; logs in .run/chaos/"
    return report(result)


def ordered(jobs: list[Job]) -> list[Job]:
    """The longest first, as they took last time (unknown: first of all), so that no long test
    starts last and runs alone at the end."""
    try:
        took = json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        took = {}
    return sorted(jobs, key=lambda job: -took.get(job.name, float("inf")))


def remember(results: list[Result]) -> None:
    try:
        took = json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        took = {}
    took.update({r.name: round(r.seconds, 1) for r in results})
    DURATIONS.parent.mkdir(parents=True, exist_ok=True)
    DURATIONS.write_text(json.dumps(took, indent=1, sort_keys=True) + "\n")


def main() -> int:
    started = time.monotonic()
    say("=== build ===")
    subprocess.run(["cargo", "build", "--workspace", "--all-targets", "--quiet"], cwd=ROOT, check=True)
    say("=== unit tests (the end-to-end tests show as ignored here) ===")
    results = [report(run_step("unit tests", ["cargo", "test", "--workspace", "--quiet"]))]

    jobs = ordered(planned_jobs())
    solo = sum(job.solo for job in jobs)
    say(
        f"=== end-to-end: {len(jobs)} test(s) on {' '.join(BROKERS)}, each on a fresh broker, "
        f"{JOBS} at a time ({solo} alone) ==="
    )
    began = time.monotonic()
    e2e = run_jobs(jobs)
    say(f"=== end-to-end tests done in {time.monotonic() - began:.0f} s ===")
    if not jobs:  # a filter that matches nothing must not pass for a green run
        e2e.append(report(Result("end-to-end", "FAIL", 0, f"no test matches {FILTER!r}")))
    remember([r for r in e2e if r.outcome != "FAIL"])
    results += e2e
    if not FILTER:
        results.append(chaos())

    count = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("ok", "skip", "FAIL")}
    say(
        f"=== {count['ok']} passed, {count['FAIL']} failed, {count['skip']} skipped "
        f"in {time.monotonic() - started:.0f} s ==="
    )
    for r in results:
        if r.outcome == "skip":
            say(f"skipped: {r.name}: {r.detail}")
    for r in results:
        if r.outcome == "FAIL":
            say(f"FAILED: {r.name}: {r.detail}")
    return 1 if count["FAIL"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: the running tests were killed, the brokers stopped", file=sys.stderr)
        sys.exit(130)
