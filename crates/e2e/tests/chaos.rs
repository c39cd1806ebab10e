//! The chaos suite (`just chaos`): the producer, a consumer group and the verifier while a
//! timeline of faults plays, each scenario ending in one verdict row ([`e2e::chaos`]): events
//! acknowledged, received, lost (seq ranges), duplicates against what the faults allow,
//! rebalances, and per fault the time until the group had committed everything acknowledged
//! before it.
//!
//! - `consumers` and `brokers` run on librdkafka's mock cluster (3 brokers), which each test
//!   starts: members killed, scaled and frozen; leaders and the coordinator moved, a broker
//!   down, retriable errors answered to every request the pipeline makes.
//! - `consumers-tansu` plays the `consumers` churn on tansu, with our members, then with
//!   librdkafka's: the anchor, whose group getting stuck the same way shows the broker at fault.
//! - `crash` and `network` run on tansu started by `scripts/chaos.sh`, behind this suite's
//!   fault proxy ([`e2e::proxy`]): tansu (sqlite, `broker.sh start tansu-chaos`, named in
//!   `KAFKA_CHAOS_TANSU_DIR`) killed and restarted on its data; latency, a stall, a black hole
//!   and connection resets on tansu with memory storage (`tansu-chaos-memory`,
//!   `KAFKA_CHAOS_TANSU_MEMORY_DIR`), as its sqlite storage stops serving everyone once a
//!   client is cut off in the middle of a request (docs/brokers.md). The churns on tansu run
//!   there too.
//! - `soak` (opt-in, `CHAOS_SOAK=1`): a million events with the `consumers` churn throughout,
//!   on tansu's memory storage, the RSS of a member that lives through it at the start and the
//!   end.
//!
//! `CHAOS_LENGTH=full` plays longer timelines (`just chaos --full`); the default is the short
//! one, which CI runs.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

use consumer::Summary as MemberSummary;
use e2e::{
    chaos::{Observations, RecoveryWatch, Verdict},
    cluster::{api, code, MockCluster},
    group::*,
    proxy::{Fault, FaultProxy},
    topic::as_strs,
    Topic,
};
use producer::Summary as ProducerSummary;

const PARTITIONS: i32 = 6;

/// The members' settings: a short session, so that a killed member's partitions move within
/// seconds; commits every second, so that commit windows are short.
const MEMBER: [(&str, &str); 4] = [
    ("--session-timeout", "6s"),
    ("--heartbeat-interval", "1s"),
    ("--commit-interval", "1s"),
    ("--fetch-max-wait", "100ms"),
];

/// The session timeout above.
const SESSION: Duration = Duration::from_secs(6);

/// How long the group may take to catch up with a fault, from its start.
const RECOVERY_LIMIT: Duration = Duration::from_secs(120);

/// Whether to play the long timelines.
fn full() -> bool {
    std::env::var("CHAOS_LENGTH").as_deref() == Ok("full")
}

/// `short` by default (`just chaos`, CI), `long` for `just chaos --full`.
fn pick<T>(short: T, long: T) -> T {
    if full() {
        long
    } else {
        short
    }
}

#[test]
#[ignore = "chaos: run `just chaos`"]
fn consumers_killed_scaled_and_frozen_lose_nothing() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("chaos-consumers", PARTITIONS);
    let churn = Churn {
        rate: 300,
        seconds: pick(80, 200),
        kills: pick(2, 8),
        watch_rss: false,
        leave_one_at_a_time: false,
    };
    let verdict = consumer_churn(&topic, MOCK, "consumers", Members::Ours, &churn);
    verdict.record();
    assert_eq!(verdict.verdict, "OK", "{verdict:#?}");
}

#[test]
#[ignore = "chaos: run `just chaos`"]
fn consumer_churn_on_tansu_is_judged_against_librdkafka_members() {
    let Some((_dir, proxy)) = tansu_behind_proxy("KAFKA_CHAOS_TANSU_MEMORY_DIR") else {
        return;
    };
    let churn = Churn {
        rate: 300,
        seconds: pick(80, 160),
        kills: pick(2, 6),
        watch_rss: false,
        leave_one_at_a_time: true,
    };
    let on_tansu = |prefix: &str, members: Members| {
        let topic = Topic::new(prefix).on(proxy.address());
        consumer_churn(&topic, TANSU_MEMORY, "consumers-tansu", members, &churn)
    };
    let ours = on_tansu("chaos-tansu", Members::Ours);
    let mut anchor = on_tansu("chaos-anchor", Members::Librdkafka);
    anchor.scenario = "consumers-tansu, librdkafka's members".to_string();
    anchor.anchor = true;
    anchor.record();
    let verdict = ours.against(&anchor);
    verdict.record();
    assert!(
        ["OK", "BROKER"].contains(&verdict.verdict.as_str()),
        "{verdict:#?}"
    );
}

#[test]
#[ignore = "chaos: run `just chaos` with CHAOS_SOAK=1"]
fn soak_a_million_events_through_consumer_churn() {
    if std::env::var("CHAOS_SOAK").as_deref() != Ok("1") {
        e2e::skip("the soak runs with CHAOS_SOAK=1 (`just chaos --soak`)");
        return;
    }
    // Not on the mock cluster: it keeps at most 5 MB per partition, dropping the oldest.
    let Some((_dir, proxy)) = tansu_behind_proxy("KAFKA_CHAOS_TANSU_MEMORY_DIR") else {
        return;
    };
    let topic = Topic::new("chaos-soak").on(proxy.address());
    let churn = Churn {
        rate: 5_000,
        seconds: 200,
        kills: 8,
        watch_rss: true,
        leave_one_at_a_time: true,
    };
    let verdict = consumer_churn(&topic, TANSU_MEMORY, "soak", Members::Ours, &churn);
    verdict.record();
    assert_eq!(verdict.verdict, "OK", "{verdict:#?}");
}

/// The mock cluster the `consumers` and `brokers` scenarios run on.
const MOCK: &str = "librdkafka mock, 3 brokers";

/// The broker the `crash` scenario runs on.
const TANSU: &str = "tansu 0.6 (sqlite)";

/// The broker the anchored churn, the `network` scenario and the soak run on: tansu's sqlite
/// storage stops serving everyone when a client is cut off mid-request, which killed members
/// are.
const TANSU_MEMORY: &str = "tansu 0.6 (memory)";

/// Whose consumers play a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Members {
    /// Ours: the `consumer` binary.
    Ours,
    /// librdkafka's (`peers/librdkafka_chaos_member.py`): the anchor that tells the broker's
    /// faults from ours.
    Librdkafka,
}

/// The calm between two faults of scenario 1's churn (each takes about a session to recover).
const CHURN_PAUSE: Duration = Duration::from_secs(5);

/// The shape of scenario 1's churn.
struct Churn {
    /// Events per second the producer sends throughout.
    rate: u32,
    /// For how long: past the end of the faults, so that each one strikes a flowing stream.
    seconds: u32,
    /// Members killed and replaced, one at a time, every [`CHURN_PAUSE`].
    kills: usize,
    /// Whether one member lives through everything, its RSS reported at the start and the end.
    watch_rss: bool,
    /// Whether members leave one at a time, each once the group formed again, rather than
    /// together: tansu 0.6.0 keeps as its leader a member that leaves while the group is
    /// forming, and the group never forms again (docs/brokers.md).
    leave_one_at_a_time: bool,
}

/// Scenario 1: members killed (SIGKILL) one at a time and replaced, the group scaled up by one,
/// down to one and up to two, one member frozen (SIGSTOP) past its session then thawed
/// (SIGCONT).
/// When the group does not catch up with a fault, the rest of the timeline is skipped and the
/// verdict is `STUCK`, with what the group had committed.
fn consumer_churn(
    topic: &Topic,
    broker: &str,
    scenario: &str,
    kind: Members,
    churn: &Churn,
) -> Verdict {
    let bootstrap = topic.bootstrap();
    let group = e2e::unique_topic("chaos");
    let mut run = Run::new(&bootstrap, topic, &group, kind);
    let producer = spawn_producer(topic, churn.rate * churn.seconds, churn.rate);
    wait_for_topic(topic);
    let mut members = Vec::new();
    let mut survivor = None;
    let timeline = play_churn(&mut run, &mut members, &mut survivor, churn);
    let produced = finish_producer(producer);
    let outcome = timeline.and_then(|()| run.try_wait_until_all_committed());
    let rss_at_end = survivor.as_ref().map(rss_kb);
    members.extend(survivor);
    match outcome {
        Ok(()) => {
            let summaries = run.stop(members);
            run.observed.summaries.extend(summaries);
        }
        Err(stuck) => run.give_up(members, stuck),
    }
    if let Some(end) = rss_at_end {
        let start = run.rss_at_start;
        run.observed.faults.push(format!(
            "RSS of the member that lived through it: {start} kB at the start, {end} kB at the end"
        ));
    }
    run.verdict(scenario, broker, &produced)
}

/// The faults of [`consumer_churn`], in order, with `members` (and the `survivor`, when one
/// is watched) as they stand; `Err` when the group did not catch up with one.
fn play_churn(
    run: &mut Run,
    members: &mut Vec<Child>,
    survivor: &mut Option<Child>,
    churn: &Churn,
) -> Result<(), String> {
    let fault = run.before_fault("3 members join: the group forms");
    *survivor = churn.watch_rss.then(|| run.member());
    members.extend((0..3).map(|_| run.member()));
    run.settle(members)?;
    run.try_caught_up(fault)?;
    if let Some(survivor) = survivor {
        run.rss_at_start = rss_kb(survivor);
    }
    for round in 1..=churn.kills {
        std::thread::sleep(CHURN_PAUSE);
        let fault = run.before_fault(format!("SIGKILL a member, start another ({round})"));
        let mut killed = members.remove(0);
        killed.kill().expect("SIGKILL");
        let _ = killed.wait();
        // Read once it is dead: what it committed up to its last moment counts as received.
        let committed = committed_on(run.bootstrap, &run.topic.name, run.group);
        run.observed.killed_with(&committed);
        members.push(run.member());
        run.try_caught_up(fault)?;
    }

    let fault = run.before_fault("scale 3 → 4 members");
    members.push(run.member());
    run.settle(members)?;
    run.try_caught_up(fault)?;
    if churn.leave_one_at_a_time {
        let fault = run.before_fault("scale 4 → 1 member, one SIGTERM at a time");
        for _ in 0..3 {
            let summaries = run.stop(vec![members.remove(0)]);
            run.observed.summaries.extend(summaries);
            run.settle(members)?;
        }
        run.try_caught_up(fault)?;
    } else {
        let fault = run.before_fault("scale 4 → 1 member (SIGTERM)");
        let leaving: Vec<Child> = members.drain(..3).collect();
        let summaries = run.stop(leaving);
        run.observed.summaries.extend(summaries);
        run.try_caught_up(fault)?;
    }

    let fault = run.before_fault("scale 1 → 2 members");
    members.push(run.member());
    run.settle(members)?;
    run.try_caught_up(fault)?;
    let fault = run.before_fault("SIGSTOP a member past its session timeout, then SIGCONT");
    signal(&members[0], "STOP");
    std::thread::sleep(SESSION + Duration::from_secs(3));
    let before_thaw = committed_on(run.bootstrap, &run.topic.name, run.group);
    signal(&members[0], "CONT");
    std::thread::sleep(Duration::from_secs(3));
    let after_thaw = committed_on(run.bootstrap, &run.topic.name, run.group);
    for (partition, offset) in &before_thaw {
        assert!(
            after_thaw.get(partition) >= Some(offset),
            "the thawed member committed over its successor on partition {partition}: \
             {before_thaw:?} then {after_thaw:?}"
        );
    }
    // The thawed member finds its generation gone and joins again: one more rebalance, the
    // fault's too.
    run.settle(members)?;
    run.try_caught_up(fault)
}

#[test]
#[ignore = "chaos: run `just chaos`"]
fn leaders_coordinator_brokers_and_retriable_errors_lose_nothing() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let rate = 300;
    let topic = cluster.topic("chaos-brokers", PARTITIONS);
    let group = e2e::unique_topic("chaos");
    cluster.set_coordinator(&group, 1);
    let mut run = Run::new(cluster.bootstrap(), &topic, &group, Members::Ours);
    let producer = spawn_producer(&topic, rate * pick(60, 120), rate);
    let fault = run.before_fault("2 members join: the group forms");
    let mut members: Vec<Child> = (0..2).map(|_| run.member()).collect();
    wait_until_settled(&members, Duration::from_secs(60));
    run.caught_up(fault);
    let pause = Duration::from_secs(pick(2, 6));

    std::thread::sleep(pause);
    let fault = run.before_fault("every partition's leader moved, mid-produce and mid-consume");
    for partition in 0..PARTITIONS {
        cluster.set_leader(&topic.name, partition, (partition + 1) % 3 + 1);
    }
    run.caught_up(fault);

    std::thread::sleep(pause);
    let fault = run.before_fault("broker 2 down for 5 s, then up");
    cluster.broker_down(2);
    std::thread::sleep(Duration::from_secs(5));
    cluster.broker_up(2);
    run.caught_up(fault);

    std::thread::sleep(pause);
    let fault = run.before_fault("the group's coordinator moved from broker 1 to broker 3");
    cluster.set_coordinator(&group, 3);
    run.caught_up(fault);

    let errors: [(&str, i16, &[i16]); 5] = [
        (
            "Produce",
            api::PRODUCE,
            &[code::NOT_LEADER_OR_FOLLOWER, code::LEADER_NOT_AVAILABLE],
        ),
        (
            "Fetch",
            api::FETCH,
            &[
                code::NOT_LEADER_OR_FOLLOWER,
                code::UNKNOWN_TOPIC_OR_PARTITION,
                code::REQUEST_TIMED_OUT,
            ],
        ),
        (
            "Heartbeat",
            api::HEARTBEAT,
            &[
                code::NOT_COORDINATOR,
                code::COORDINATOR_NOT_AVAILABLE,
                code::COORDINATOR_LOAD_IN_PROGRESS,
                code::REBALANCE_IN_PROGRESS,
            ],
        ),
        (
            "OffsetCommit",
            api::OFFSET_COMMIT,
            &[
                code::NOT_COORDINATOR,
                code::COORDINATOR_LOAD_IN_PROGRESS,
                code::REBALANCE_IN_PROGRESS,
            ],
        ),
        (
            "JoinGroup and SyncGroup, while a third member joins",
            api::JOIN_GROUP,
            &[
                code::COORDINATOR_LOAD_IN_PROGRESS,
                code::NOT_COORDINATOR,
                code::REBALANCE_IN_PROGRESS,
            ],
        ),
    ];
    for (request, key, codes) in errors {
        std::thread::sleep(pause);
        let names: Vec<&str> = codes.iter().map(|c| code_name(*c)).collect();
        let fault = run.before_fault(format!("{request} answering {}", names.join(", ")));
        cluster.push_errors(key, codes);
        if key == api::JOIN_GROUP {
            cluster.push_errors(
                api::SYNC_GROUP,
                &[
                    code::COORDINATOR_LOAD_IN_PROGRESS,
                    code::REBALANCE_IN_PROGRESS,
                ],
            );
            members.push(run.member());
            wait_until_settled(&members, Duration::from_secs(60));
        }
        run.caught_up(fault);
    }

    let produced = finish_producer(producer);
    run.wait_until_all_committed();
    run.observed.summaries.extend(stop_all(members));
    let verdict = run.verdict("brokers", MOCK, &produced);
    verdict.record();
    assert_eq!(verdict.verdict, "OK", "{verdict:#?}");
}

#[test]
#[ignore = "chaos: run `just chaos`"]
fn tansu_killed_and_restarted_on_its_data_loses_nothing_acknowledged() {
    let Some((dir, proxy)) = tansu_behind_proxy("KAFKA_CHAOS_TANSU_DIR") else {
        return;
    };
    let rate = 300;
    let topic = Topic::new("chaos-crash").on(proxy.address());
    let group = e2e::unique_topic("chaos");
    let mut run = Run::new(proxy.address(), &topic, &group, Members::Ours);
    let producer = spawn_producer(&topic, rate * pick(30, 60), rate);
    wait_for_topic(&topic);
    let fault = run.before_fault("2 members join: the group forms");
    let members: Vec<Child> = (0..2).map(|_| run.member()).collect();
    wait_until_settled(&members, Duration::from_secs(60));
    run.caught_up(fault);

    for round in 1..=pick(1, 3) {
        std::thread::sleep(Duration::from_secs(pick(4, 8)));
        let fault = run.before_fault(format!(
            "tansu SIGKILLed mid-produce, restarted on its data 3 s later ({round})"
        ));
        broker(&dir, "crash");
        std::thread::sleep(Duration::from_secs(3));
        broker(&dir, "restart");
        run.caught_up(fault);
    }

    let produced = finish_producer(producer);
    run.wait_until_all_committed();
    run.observed.summaries.extend(stop_all(members));
    let verdict = run.verdict("crash", TANSU, &produced);
    verdict.record();
    assert_eq!(verdict.verdict, "OK", "{verdict:#?}");
}

#[test]
#[ignore = "chaos: run `just chaos`"]
fn latency_a_stall_a_black_hole_and_resets_lose_nothing() {
    let Some((_dir, proxy)) = tansu_behind_proxy("KAFKA_CHAOS_TANSU_MEMORY_DIR") else {
        return;
    };
    let rate = 300;
    let topic = Topic::new("chaos-network").on(proxy.address());
    let group = e2e::unique_topic("chaos");
    let mut run = Run::new(proxy.address(), &topic, &group, Members::Ours);
    let producer = spawn_producer(&topic, rate * pick(60, 90), rate);
    wait_for_topic(&topic);
    let fault = run.before_fault("2 members join: the group forms");
    let members: Vec<Child> = (0..2).map(|_| run.member()).collect();
    wait_until_settled(&members, Duration::from_secs(60));
    run.caught_up(fault);
    let pause = Duration::from_secs(pick(2, 5));

    let faults = [
        (
            "200 ms of latency each way for 5 s",
            Fault::Latency(Duration::from_millis(200)),
            5,
        ),
        (
            "a stall of 12 s (past the session and request timeouts)",
            Fault::Stall,
            12,
        ),
        (
            "a black hole for 5 s, then its connections reset",
            Fault::BlackHole,
            5,
        ),
    ];
    for (description, fault, seconds) in faults {
        std::thread::sleep(pause);
        let started = run.before_fault(description);
        proxy.set(fault);
        std::thread::sleep(Duration::from_secs(seconds));
        proxy.set(Fault::None);
        run.caught_up(started);
    }
    std::thread::sleep(pause);
    let started = run.before_fault("every connection reset (RST)");
    proxy.reset_connections();
    run.caught_up(started);

    let produced = finish_producer(producer);
    run.wait_until_all_committed();
    run.observed.summaries.extend(stop_all(members));
    let verdict = run.verdict("network", TANSU_MEMORY, &produced);
    verdict.record();
    assert_eq!(verdict.verdict, "OK", "{verdict:#?}");
}

/// One scenario's cluster, topic, group, whose members, and what it observed.
struct Run<'a> {
    bootstrap: &'a str,
    topic: &'a Topic,
    group: &'a str,
    kind: Members,
    observed: Observations,
    /// The RSS of the member the soak watches, once the group formed.
    rss_at_start: u64,
}

/// A fault as it started: the group's committed offsets then, and the watch of its recovery.
struct FaultStart {
    committed: BTreeMap<i32, i64>,
    watch: RecoveryWatch,
}

impl<'a> Run<'a> {
    fn new(bootstrap: &'a str, topic: &'a Topic, group: &'a str, kind: Members) -> Run<'a> {
        Run {
            bootstrap,
            topic,
            group,
            kind,
            observed: Observations::default(),
            rss_at_start: 0,
        }
    }

    /// Starts a member of the group with the suite's settings.
    fn member(&self) -> Child {
        match self.kind {
            Members::Ours => start_member_on(self.bootstrap, &self.topic.name, self.group, &MEMBER),
            Members::Librdkafka => spawn_peer(
                "librdkafka_chaos_member.py",
                &[self.bootstrap, &self.topic.name, self.group],
            ),
        }
    }

    /// Waits until `members` consume in one generation, each with partitions of its own.
    /// librdkafka's members do not say: they get a session's time.
    fn settle(&self, members: &[Child]) -> Result<(), String> {
        match self.kind {
            Members::Ours => try_wait_until_settled(members, Duration::from_secs(60)).map(drop),
            Members::Librdkafka => {
                std::thread::sleep(SESSION);
                Ok(())
            }
        }
    }

    /// Stops `members` (SIGTERM to all), and returns their summaries.
    fn stop(&self, members: Vec<Child>) -> Vec<MemberSummary> {
        match self.kind {
            Members::Ours => stop_all(members),
            Members::Librdkafka => {
                members.iter().for_each(e2e::terminate);
                members
                    .into_iter()
                    .map(|m| e2e::wait(m, Duration::from_secs(30)).parse())
                    .collect()
            }
        }
    }

    /// Gives up on a stuck group: `members` are stopped (SIGTERM, then SIGKILL after 10 s)
    /// without their summaries, and what the group had committed counts as received.
    fn give_up(&mut self, members: Vec<Child>, stuck: String) {
        eprintln!("chaos: stuck: {stuck}");
        members.iter().for_each(e2e::terminate);
        for member in members {
            let _ = e2e::wait(member, Duration::from_secs(10));
        }
        let committed = committed_on(self.bootstrap, &self.topic.name, self.group);
        self.observed.killed_with(&committed);
        self.observed.stuck = Some(stuck);
    }

    /// Notes a fault about to play, and starts watching the group recover from it.
    fn before_fault(&mut self, description: impl Into<String>) -> FaultStart {
        let committed = committed_on(self.bootstrap, &self.topic.name, self.group);
        let ends = self.topic.end_offsets(PARTITIONS);
        self.observed.fault(description);
        let watch = RecoveryWatch::start(
            self.bootstrap,
            &self.topic.name,
            self.group,
            &ends,
            RECOVERY_LIMIT,
        );
        FaultStart { committed, watch }
    }

    /// Waits until the group has committed everything acknowledged before the fault started;
    /// notes how long that took, and the fault's commit window.
    fn caught_up(&mut self, fault: FaultStart) {
        self.try_caught_up(fault)
            .unwrap_or_else(|stuck| panic!("{stuck}"));
    }

    /// Like [`Run::caught_up`], saying what the group had committed when it did not catch up.
    fn try_caught_up(&mut self, fault: FaultStart) -> Result<(), String> {
        let recovery = fault.watch.finish()?;
        let ends = self.topic.end_offsets(PARTITIONS);
        self.observed.caught_up(recovery, &fault.committed, &ends);
        Ok(())
    }

    /// Waits until the group has committed the end of every partition.
    fn wait_until_all_committed(&self) {
        self.try_wait_until_all_committed()
            .unwrap_or_else(|stuck| panic!("{stuck}"));
    }

    /// Like [`Run::wait_until_all_committed`], saying what the group had committed when it
    /// did not.
    fn try_wait_until_all_committed(&self) -> Result<(), String> {
        let ends = self.topic.end_offsets(PARTITIONS);
        RecoveryWatch::start(
            self.bootstrap,
            &self.topic.name,
            self.group,
            &ends,
            RECOVERY_LIMIT,
        )
        .finish()
        .map(drop)
    }

    /// The verdict row: the topic read back and verified.
    fn verdict(self, scenario: &str, broker: &str, produced: &ProducerSummary) -> Verdict {
        let records = self.topic.records(PARTITIONS as usize);
        let (_, report) = self.topic.verify();
        self.observed.verdict(
            scenario,
            broker,
            &[produced],
            &records,
            report.lost,
            report.duplicates,
        )
    }
}

/// The producer on `topic`'s cluster: `count` events at `rate`/s, 20 users so that every
/// partition gets events.
fn spawn_producer(topic: &Topic, count: u32, rate: u32) -> Child {
    let (count, rate) = (count.to_string(), rate.to_string());
    let args = topic.producer_args(&[
        "--count",
        &count,
        "--rate",
        &rate,
        "--users",
        "20",
        "--partitions",
        "6",
    ]);
    e2e::spawn(e2e::binary("producer"), &as_strs(&args))
}

/// Waits until the producer created the topic (on tansu, where it makes it).
fn wait_for_topic(topic: &Topic) {
    let started = Instant::now();
    while topic.partition_count() != Some(PARTITIONS as usize) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the producer did not create {}",
            topic.name
        );
        pause_ms(200);
    }
}

/// The folder of the tansu named in the environment variable `variable` (broker.sh's) and a
/// fault proxy on the address it advertises, or `None` (skip).
fn tansu_behind_proxy(variable: &str) -> Option<(PathBuf, FaultProxy)> {
    let Some(dir) = std::env::var_os(variable).map(PathBuf::from) else {
        e2e::skip(&format!(
            "no tansu for the chaos suite ({variable}): run `just chaos`"
        ));
        return None;
    };
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{name} of broker.sh: {e}"))
            .trim()
            .to_string()
    };
    let proxy = FaultProxy::start(&read("address"), &read("plaintext-address"));
    Some((dir, proxy))
}

/// `scripts/broker.sh ACTION tansu-chaos` (crash, restart).
fn broker(dir: &std::path::Path, action: &str) {
    let root = dir
        .ancestors()
        .nth(2)
        .expect("the project's root above .run/tansu-chaos");
    let status = Command::new(root.join("scripts/broker.sh"))
        .args([action, "tansu-chaos"])
        .status()
        .expect("running broker.sh");
    assert!(status.success(), "broker.sh {action} tansu-chaos failed");
}

/// Sends SIGSTOP or SIGCONT (`signal`) to `child`.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{signal} failed");
}

/// The resident memory of `child`, in kB.
fn rss_kb(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .expect("the member's /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// Kafka's name of an error code the suite injects.
fn code_name(code: i16) -> &'static str {
    let names: BTreeMap<i16, &str> = [
        (
            code::UNKNOWN_TOPIC_OR_PARTITION,
            "UNKNOWN_TOPIC_OR_PARTITION",
        ),
        (code::LEADER_NOT_AVAILABLE, "LEADER_NOT_AVAILABLE"),
        (code::NOT_LEADER_OR_FOLLOWER, "NOT_LEADER_OR_FOLLOWER"),
        (code::REQUEST_TIMED_OUT, "REQUEST_TIMED_OUT"),
        (
            code::COORDINATOR_LOAD_IN_PROGRESS,
            "COORDINATOR_LOAD_IN_PROGRESS",
        ),
        (code::COORDINATOR_NOT_AVAILABLE, "COORDINATOR_NOT_AVAILABLE"),
        (code::NOT_COORDINATOR, "NOT_COORDINATOR"),
        (code::REBALANCE_IN_PROGRESS, "REBALANCE_IN_PROGRESS"),
    ]
    .into_iter()
    .collect();
    names.get(&code).copied().unwrap_or("?")
}
