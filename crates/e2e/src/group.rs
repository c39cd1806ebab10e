//! What the consumer-group end-to-end tests share: the real producer and consumer binaries against
//! the broker under test (`KAFKA_TEST_BROKERS`), peers from other client libraries, and the
//! bookkeeping that proves every event was processed.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    process::Child,
    time::{Duration, Instant},
};

use consumer::Summary as MemberSummary;
use producer::Summary as ProducerSummary;
use serde::Deserialize;
use serde_json::Value;

use crate::{topic::as_strs, Topic};

/// Member settings that make rebalances quick enough for tests (flag, value).
const MEMBER_SETTINGS: [(&str, &str); 4] = [
    ("--commit-interval", "1s"),
    ("--stats-interval", "2s"),
    ("--session-timeout", "10s"),
    ("--heartbeat-interval", "1s"),
];

/// Produces `count` events as fast as acks come; returns the producer's summary.
pub fn produce(topic: &str, count: u32) -> ProducerSummary {
    finish_producer(spawn_producer(topic, count, 0))
}

/// Starts the producer in the background at `rate` events/s.
pub fn spawn_producer(topic: &str, count: u32, rate: u32) -> Child {
    let (count, rate) = (count.to_string(), rate.to_string());
    let args = Topic::named(topic).producer_args(&["--count", &count, "--rate", &rate]);
    crate::spawn(crate::binary("producer"), &as_strs(&args))
}

/// Waits for a producer started by [`spawn_producer`]; it must succeed.
pub fn finish_producer(producer: Child) -> ProducerSummary {
    let out = crate::wait(producer, Duration::from_secs(120));
    assert_eq!(out.code, Some(0), "producer: {}", out.stderr);
    out.parse()
}

/// Starts one of our consumers in `group` with the test settings, printing its summary as JSON.
pub fn start_member(topic: &str, group: &str) -> Child {
    start_member_with(topic, group, &[])
}

/// Like [`start_member`], with `settings` (flag, value) replacing the test defaults they name.
pub fn start_member_with(topic: &str, group: &str, settings: &[(&str, &str)]) -> Child {
    start_member_on(&crate::brokers(), topic, group, settings)
}

/// Like [`start_member_with`], on the cluster at `bootstrap` rather than the broker under test.
/// `settings` may also add flags the test defaults do not name (e.g. `--auto-offset-reset`).
pub fn start_member_on(
    bootstrap: &str,
    topic: &str,
    group: &str,
    settings: &[(&str, &str)],
) -> Child {
    let mut args = vec![
        "--brokers",
        bootstrap,
        "--topic",
        topic,
        "--group-id",
        group,
        "--json",
    ];
    for (flag, default) in MEMBER_SETTINGS {
        let value = settings
            .iter()
            .find(|(f, _)| *f == flag)
            .map_or(default, |(_, v)| *v);
        args.extend([flag, value]);
    }
    for (flag, value) in settings {
        if !MEMBER_SETTINGS.iter().any(|(f, _)| f == flag) {
            args.extend([*flag, *value]);
        }
    }
    crate::spawn(crate::binary("consumer"), &args)
}

/// Stops members together (SIGTERM to all, then their summaries), so that each reports the
/// partitions of one same generation rather than a rebalance that the first to leave started.
pub fn stop_all(members: Vec<Child>) -> Vec<MemberSummary> {
    let signalled = Instant::now();
    for member in &members {
        crate::terminate(member);
    }
    members
        .into_iter()
        .map(|member| finished_summary(member, signalled))
        .collect()
}

/// Stops a member with SIGTERM and returns its summary; it must exit 0 within 2 s.
pub fn stop(member: Child) -> MemberSummary {
    let signalled = Instant::now();
    crate::terminate(&member);
    finished_summary(member, signalled)
}

fn finished_summary(member: Child, signalled: Instant) -> MemberSummary {
    let out = crate::wait(member, Duration::from_secs(10));
    assert_eq!(out.code, Some(0), "consumer: {}", out.stderr);
    let took = signalled.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");
    out.parse()
}

/// The generation and partitions a member of ours is consuming, read from its log: its last
/// `joined group … generation=N … partitions=[…]` line, unless a later line says it is
/// rejoining (a rebalance, a refused commit, a topic change). `None` before its first join and
/// while it rejoins.
pub fn current_generation(member: &Child) -> Option<(i32, Vec<i32>)> {
    let log = strip_colours(&crate::stderr_so_far(member));
    let lines: Vec<&str> = log.lines().collect();
    let joined_at = lines.iter().rposition(|l| l.contains("joined group"))?;
    let leaving = [
        "rebalance",
        "rejoin",
        "did not complete",
        "kept the generation",
    ];
    if lines[joined_at + 1..]
        .iter()
        .any(|l| leaving.iter().any(|word| l.contains(word)))
    {
        return None;
    }
    let line = lines[joined_at];
    let generation = field(line, "generation=")?.parse().ok()?;
    let list = line.split("partitions=[").nth(1)?.split(']').next()?;
    let partitions = list
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    Some((generation, partitions))
}

/// How long a group must look settled before it is taken to be: past a heartbeat interval of
/// the test settings (1 s), so that a rebalance under way has reached every member.
const SETTLED_FOR: Duration = Duration::from_secs(2);

/// Waits until every member consumes in one same generation with partitions of its own, and
/// has for two seconds (past a heartbeat interval of the test settings), for at most `limit`; returns that generation.
pub fn wait_until_settled(members: &[Child], limit: Duration) -> i32 {
    try_wait_until_settled(members, limit).unwrap_or_else(|unsettled| panic!("{unsettled}"))
}

/// Like [`wait_until_settled`], saying what the members were doing when the group did not
/// settle within `limit`.
pub fn try_wait_until_settled(members: &[Child], limit: Duration) -> Result<i32, String> {
    let started = Instant::now();
    let mut settled_since: Option<(i32, Instant)> = None;
    loop {
        let now: Vec<Option<(i32, Vec<i32>)>> = members.iter().map(current_generation).collect();
        let generations: BTreeSet<Option<i32>> =
            now.iter().map(|m| m.as_ref().map(|(g, _)| *g)).collect();
        let all_own = now
            .iter()
            .all(|m| m.as_ref().is_some_and(|(_, p)| !p.is_empty()));
        let one = match generations.into_iter().collect::<Vec<_>>()[..] {
            [Some(generation)] if all_own => Some(generation),
            _ => None,
        };
        settled_since = match (one, settled_since) {
            (Some(g), Some((since_g, since))) if g == since_g => Some((g, since)),
            (Some(g), _) => Some((g, Instant::now())),
            (None, _) => None,
        };
        if let Some((generation, since)) = settled_since {
            if since.elapsed() >= SETTLED_FOR {
                return Ok(generation);
            }
        }
        if started.elapsed() >= limit {
            return Err(format!(
                "the group did not settle within {limit:?}: {now:?}"
            ));
        }
        pause_ms(200);
    }
}

/// The text after `key` in a log line, up to the next space.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split(key).nth(1)?.split_whitespace().next()
}

/// A log without its terminal colour codes (`ESC [ … m`).
fn strip_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().take_while(|c| *c != 'm').for_each(drop);
        } else {
            plain.push(c);
        }
    }
    plain
}

/// Kills a member with SIGKILL: no commit, no LeaveGroup, no summary.
pub fn kill(mut member: Child) {
    member.kill().expect("SIGKILL");
    member.wait().expect("reaping the killed member");
}

fn peer_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join(name)
}

/// Runs one of the Python scripts of `peers/` to completion and parses its JSON output.
pub fn run_peer(name: &str, args: &[&str]) -> Value {
    crate::wait(spawn_peer(name, args), Duration::from_secs(120)).json()
}

/// Starts one of the Python scripts of `peers/` in the background.
pub fn spawn_peer(name: &str, args: &[&str]) -> Child {
    let script = peer_script(name);
    let mut all = vec![script.to_str().expect("utf-8 path")];
    all.extend(args);
    crate::spawn(crate::python(), &all)
}

/// The group's committed offsets now (partition → offset), as a librdkafka client reads them.
pub fn committed(topic: &str, group: &str) -> BTreeMap<i32, i64> {
    committed_on(&crate::brokers(), topic, group)
}

/// Like [`committed`], on the cluster at `bootstrap`.
pub fn committed_on(bootstrap: &str, topic: &str, group: &str) -> BTreeMap<i32, i64> {
    let offsets = run_peer("wait_committed.py", &[bootstrap, topic, group, "0", "0"]);
    offsets
        .as_object()
        .expect("an object")
        .iter()
        .map(|(p, o)| (p.parse().unwrap(), o.as_i64().unwrap()))
        .collect()
}

/// Waits until the group has committed `total` offsets summed over partitions (everything
/// processed), for at most `limit`, as a librdkafka client reads them.
pub fn wait_until_committed(topic: &str, group: &str, total: i64, limit: Duration) {
    wait_until_committed_on(&crate::brokers(), topic, group, total, limit);
}

/// Like [`wait_until_committed`], on the cluster at `bootstrap`.
pub fn wait_until_committed_on(
    bootstrap: &str,
    topic: &str,
    group: &str,
    total: i64,
    limit: Duration,
) {
    let args = [
        bootstrap.to_string(),
        topic.to_string(),
        group.to_string(),
        total.to_string(),
        limit.as_secs().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = crate::wait(
        spawn_peer("wait_committed.py", &args),
        limit + Duration::from_secs(60),
    );
    assert_eq!(
        out.code,
        Some(0),
        "group {group} did not commit {total} offsets within {limit:?}: {} {}",
        out.stdout,
        out.stderr
    );
}

/// One record of the topic, as librdkafka read it.
#[derive(Debug, Clone, Copy)]
pub struct Placed {
    /// Its offset in its partition.
    pub offset: i64,
    /// Its seq in its producer run.
    pub seq: u64,
}

/// Every audited record of `topic`, by partition in offset order, read by librdkafka.
pub fn records_by_partition(topic: &str) -> BTreeMap<i32, Vec<Placed>> {
    records_by_partition_on(&crate::brokers(), topic)
}

/// Like [`records_by_partition`], on the cluster at `bootstrap`.
pub fn records_by_partition_on(bootstrap: &str, topic: &str) -> BTreeMap<i32, Vec<Placed>> {
    let records = run_peer("topic_records.py", &[bootstrap, topic]);
    records
        .as_object()
        .expect("an object")
        .iter()
        .map(|(partition, rows)| {
            let rows = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|row| Placed {
                    offset: row[0].as_i64().unwrap(),
                    seq: row[2].as_u64().unwrap(),
                })
                .collect();
            (partition.parse().unwrap(), rows)
        })
        .collect()
}

/// What a peer member (`peers/*_member.py`) reports when it ends.
#[derive(Debug, Clone, Deserialize)]
pub struct PeerSummary {
    /// Every partition it was ever assigned.
    pub assigned: BTreeSet<i32>,
    /// Records it processed.
    pub consumed: u64,
    /// The seqs it saw, per producer run.
    pub seen: BTreeMap<String, Vec<u64>>,
}

impl PeerSummary {
    /// The seqs of `run` it saw.
    pub fn seqs(&self, run: &str) -> BTreeSet<u64> {
        self.seen.get(run).into_iter().flatten().copied().collect()
    }
}

/// The seqs of `run` that one of our members saw (its summary gives `[first, last]` ranges).
pub fn seqs_of(summary: &MemberSummary, run: &str) -> BTreeSet<u64> {
    summary
        .seen
        .get(run)
        .into_iter()
        .flatten()
        .flat_map(|[first, last]| *first..=*last)
        .collect()
}

/// The union of the seqs of `run` that our members saw.
pub fn union_of(summaries: &[MemberSummary], run: &str) -> BTreeSet<u64> {
    summaries.iter().flat_map(|s| seqs_of(s, run)).collect()
}

/// Waits `seconds`, so that something in the background gets going.
pub fn pause(seconds: u64) {
    std::thread::sleep(Duration::from_secs(seconds));
}

/// Waits `millis` milliseconds, between two polls.
pub fn pause_ms(millis: u64) {
    std::thread::sleep(Duration::from_millis(millis));
}
