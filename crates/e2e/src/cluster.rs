//! A librdkafka mock cluster of several brokers that a test starts for itself and drives:
//! partition leaders, brokers down and up, group coordinators, slow brokers and error codes
//! answered to requests. It runs `scripts/mock_cluster.py` (librdkafka's C mock API through
//! ctypes, from the project's Python venv), one command per line on its stdin; its stderr (each
//! command and its answer, and librdkafka's log) goes to the test's log folder like every
//! process [`crate::spawn`] starts. The cluster is killed when the handle is dropped.
//!
//! Its brokers have ids `1..=N`. Leaders do not move by themselves: a broker taken down keeps
//! leading its partitions (clients cannot reach them until it is up again), so a test says where
//! each leader goes ([`MockCluster::set_leader`]).

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, ChildStdin},
    sync::{mpsc, Mutex},
    time::{Duration, Instant},
};

use crate::Topic;

/// Kafka API keys, for [`MockCluster::push_errors`] and [`MockCluster::requests`].
pub mod api {
    /// Produce.
    pub const PRODUCE: i16 = 0;
    /// Fetch.
    pub const FETCH: i16 = 1;
    /// ListOffsets.
    pub const LIST_OFFSETS: i16 = 2;
    /// Metadata.
    pub const METADATA: i16 = 3;
    /// OffsetCommit.
    pub const OFFSET_COMMIT: i16 = 8;
    /// FindCoordinator.
    pub const FIND_COORDINATOR: i16 = 10;
    /// JoinGroup.
    pub const JOIN_GROUP: i16 = 11;
    /// Heartbeat.
    pub const HEARTBEAT: i16 = 12;
    /// SyncGroup.
    pub const SYNC_GROUP: i16 = 14;
}

/// Kafka error codes, for [`MockCluster::push_errors`].
pub mod code {
    /// OFFSET_OUT_OF_RANGE.
    pub const OFFSET_OUT_OF_RANGE: i16 = 1;
    /// UNKNOWN_TOPIC_OR_PARTITION.
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    /// LEADER_NOT_AVAILABLE.
    pub const LEADER_NOT_AVAILABLE: i16 = 5;
    /// NOT_LEADER_OR_FOLLOWER.
    pub const NOT_LEADER_OR_FOLLOWER: i16 = 6;
    /// REQUEST_TIMED_OUT.
    pub const REQUEST_TIMED_OUT: i16 = 7;
    /// COORDINATOR_LOAD_IN_PROGRESS.
    pub const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
    /// COORDINATOR_NOT_AVAILABLE.
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    /// NOT_COORDINATOR.
    pub const NOT_COORDINATOR: i16 = 16;
    /// REBALANCE_IN_PROGRESS.
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
}

/// How long the cluster may take to start, or to answer one command.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// A running mock cluster and the pipe that drives it.
pub struct MockCluster {
    child: Child,
    commands: Mutex<Commands>,
    bootstrap: String,
    brokers: i32,
}

/// Where commands go and answers come from.
struct Commands {
    stdin: Option<ChildStdin>,
    answers: mpsc::Receiver<String>,
}

/// Requests of one API that the cluster received since [`MockCluster::track_requests`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests {
    /// In all.
    pub total: u64,
    /// By broker id.
    pub per_broker: BTreeMap<i32, u64>,
}

impl MockCluster {
    /// Starts a cluster of `brokers` brokers (ids `1..=brokers`) and waits for its bootstrap
    /// address. `MOCK_CLUSTER_DEBUG` (librdkafka's `debug` contexts, e.g. `mock,protocol`)
    /// makes it log to its stderr file. `None`, the test recorded as skipped ([`crate::skip`]), when the project's Python
    /// venv is not installed (`just test` installs it).
    pub fn start(brokers: i32) -> Option<MockCluster> {
        let python = crate::python();
        if !python.exists() {
            crate::skip(&format!(
                "no Python venv at {} for librdkafka's mock cluster: run `just test` \
                 (scripts/install.sh installs it)",
                python.display()
            ));
            return None;
        }
        let script = script();
        let count = brokers.to_string();
        let mut args = vec![script.to_str().expect("utf-8 path"), "--brokers", &count];
        let debug = std::env::var("MOCK_CLUSTER_DEBUG").unwrap_or_default();
        if !debug.is_empty() {
            args.extend(["--debug", &debug]);
        }
        let mut child = crate::spawn_interactive(python, &args);
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut cluster = MockCluster {
            child,
            commands: Mutex::new(Commands { stdin, answers }),
            bootstrap: String::new(),
            brokers,
        };
        cluster.bootstrap = {
            let commands = cluster.commands.lock().expect("the command pipe");
            cluster.receive(&commands.answers, "bootstrap address")
        };
        Some(cluster)
    }

    /// The bootstrap address of every broker, comma-separated, for `--brokers`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// How many brokers it has (ids `1..=N`).
    pub fn brokers(&self) -> i32 {
        self.brokers
    }

    /// A topic of `partitions` partitions (each broker a replica) no other test uses, named after
    /// `prefix`, created with its runs topic (one partition), both on this cluster. Each
    /// partition `p` is led by broker `p % N + 1`, its runs topic by broker 1.
    pub fn topic(&self, prefix: &str, partitions: i32) -> Topic {
        let topic = Topic::new(prefix).on(self.bootstrap());
        self.create_topic(&topic.name, partitions);
        for partition in 0..partitions {
            self.set_leader(&topic.name, partition, partition % self.brokers + 1);
        }
        self.create_topic(&topic.runs, 1);
        self.set_leader(&topic.runs, 0, 1);
        topic
    }

    /// Creates `name` with `partitions` partitions, every broker a replica; librdkafka picks each
    /// first leader at random.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        self.command(&format!("topic {name} {partitions} {}", self.brokers));
    }

    /// Makes `broker` the leader of `topic`/`partition` (-1: no leader).
    pub fn set_leader(&self, topic: &str, partition: i32, broker: i32) {
        self.command(&format!("leader {topic} {partition} {broker}"));
    }

    /// Closes the broker's connections and refuses new ones; it keeps leading its partitions.
    pub fn broker_down(&self, broker: i32) {
        self.command(&format!("down {broker}"));
    }

    /// Lets the broker accept connections again.
    pub fn broker_up(&self, broker: i32) {
        self.command(&format!("up {broker}"));
    }

    /// Delays every answer of `broker` by `millis` (-1: every broker).
    pub fn set_rtt(&self, broker: i32, millis: u32) {
        self.command(&format!("rtt {broker} {millis}"));
    }

    /// Makes `broker` the coordinator of `group` (else a hash of the group id picks it).
    pub fn set_coordinator(&self, group: &str, broker: i32) {
        self.command(&format!("coordinator {group} {broker}"));
    }

    /// Makes every broker offer (and accept) only versions `min..=max` of `api_key`, as a
    /// broker of another Kafka release would.
    pub fn set_api_versions(&self, api_key: i16, min: i16, max: i16) {
        self.command(&format!("apiversion {api_key} {min} {max}"));
    }

    /// The next requests of `api_key`, to any broker, answer `codes` in turn, one code for the
    /// whole of each request (every partition it names).
    pub fn push_errors(&self, api_key: i16, codes: &[i16]) {
        self.command(&format!("errors {api_key} {}", join(codes)));
    }

    /// Like [`MockCluster::push_errors`], for one partition of the requests that name it.
    pub fn push_partition_errors(&self, topic: &str, partition: i32, api_key: i16, codes: &[i16]) {
        self.command(&format!(
            "partition-errors {topic} {partition} {api_key} {}",
            join(codes)
        ));
    }

    /// The next requests of `api_key` to `broker` answer these (code, delay) in turn: code 0 with
    /// a delay is a slow answer. Once a broker had these for an API, the cluster-wide
    /// [`MockCluster::push_errors`] of that API no longer reach it (librdkafka 2.16).
    pub fn push_broker_errors(&self, broker: i32, api_key: i16, answers: &[(i16, Duration)]) {
        let answers: Vec<String> = answers
            .iter()
            .map(|(code, delay)| format!("{code}@{}", delay.as_millis()))
            .collect();
        self.command(&format!(
            "broker-errors {broker} {api_key} {}",
            answers.join(" ")
        ));
    }

    /// How many of the answers of [`MockCluster::push_broker_errors`] are still to be given.
    pub fn pending_broker_errors(&self, broker: i32, api_key: i16) -> u64 {
        let count = self.command(&format!("pending {broker} {api_key}"));
        count.parse().unwrap_or_else(|_| panic!("a count: {count}"))
    }

    /// Counts the requests the cluster receives from now on (see [`MockCluster::requests`]).
    pub fn track_requests(&self) {
        self.command("track");
    }

    /// The requests of `api_key` received since [`MockCluster::track_requests`].
    pub fn requests(&self, api_key: i16) -> Requests {
        let answer = self.command(&format!("requests {api_key}"));
        let mut words = answer.split_whitespace();
        let total = words.next().and_then(|t| t.parse().ok());
        let per_broker = words
            .filter_map(|w| w.split_once('='))
            .filter_map(|(b, n)| Some((b.parse().ok()?, n.parse().ok()?)))
            .collect();
        Requests {
            total: total.unwrap_or_else(|| panic!("a count: {answer}")),
            per_broker,
        }
    }

    /// Waits until `done` holds, polling every 100 ms, for at most `limit`; panics past that,
    /// saying `what` was awaited.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        mut done: impl FnMut(&MockCluster) -> bool,
    ) {
        let started = Instant::now();
        while !done(self) {
            assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one command line; its answer after `ok` (often empty). Panics when the cluster
    /// answers `error …` or not at all.
    pub fn command(&self, line: &str) -> String {
        self.try_command(line)
            .unwrap_or_else(|error| panic!("mock cluster: `{line}`: {error}"))
    }

    /// Sends one command line: `Ok(answer after "ok")`, or `Err(reason)` when refused.
    pub fn try_command(&self, line: &str) -> Result<String, String> {
        let answer = {
            let mut commands = self.commands.lock().expect("the command pipe");
            let stdin = commands
                .stdin
                .as_mut()
                .expect("the cluster's stdin is open");
            writeln!(stdin, "{line}")
                .and_then(|()| stdin.flush())
                .unwrap_or_else(|e| panic!("mock cluster: cannot send `{line}`: {e}"));
            self.receive(&commands.answers, &format!("answer to `{line}`"))
        };
        match answer.split_once(' ').unwrap_or((&answer, "")) {
            ("ok", value) => Ok(value.to_string()),
            ("error", reason) => Err(reason.to_string()),
            _ => panic!("mock cluster: unexpected answer to `{line}`: {answer}"),
        }
    }

    /// The next line the cluster prints, or a panic naming `what`, with the cluster's log, if
    /// none comes within [`ANSWER_WITHIN`] or it exited.
    fn receive(&self, answers: &mpsc::Receiver<String>, what: &str) -> String {
        answers.recv_timeout(ANSWER_WITHIN).unwrap_or_else(|e| {
            panic!(
                "mock cluster: no {what} ({e}, waited at most {ANSWER_WITHIN:?}); its log:\n{}",
                crate::stderr_so_far(&self.child)
            )
        })
    }
}

impl Drop for MockCluster {
    /// Closes its stdin (it exits), killing it if it has not within a second.
    fn drop(&mut self) {
        if let Ok(mut commands) = self.commands.lock() {
            commands.stdin = None;
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn join(codes: &[i16]) -> String {
    let codes: Vec<String> = codes.iter().map(i16::to_string).collect();
    codes.join(" ")
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mock_cluster.py")
}
