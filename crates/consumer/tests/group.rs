//! End to end: real consumer-group members against a real broker (`KAFKA_TEST_BROKERS`; `just
//! test` runs this file against tansu and librdkafka's mock cluster).

use std::{
    collections::{BTreeMap, BTreeSet},
    process::Child,
    time::{Duration, Instant},
};

use events::testkit;
use serde_json::Value;

fn produce(topic: &str, count: u32) -> Value {
    let brokers = testkit::brokers();
    let count = count.to_string();
    let runs = format!("{topic}.runs");
    let out = testkit::run(
        "producer",
        &[
            "--brokers",
            &brokers,
            "--topic",
            topic,
            "--runs-topic",
            &runs,
            "--count",
            &count,
            "--rate",
            "0",
            "--json",
        ],
    );
    assert_eq!(out.code, Some(0), "producer: {}", out.stderr);
    out.json()
}

fn start_consumer(topic: &str, group: &str) -> Child {
    let brokers = testkit::brokers();
    testkit::spawn(
        testkit::binary("consumer"),
        &[
            "--brokers",
            &brokers,
            "--topic",
            topic,
            "--group-id",
            group,
            "--json",
            "--commit-interval",
            "1s",
            "--stats-interval",
            "2s",
            "--session-timeout",
            "10s",
            "--heartbeat-interval",
            "1s",
        ],
    )
}

/// Stops a member with SIGTERM and returns its summary; it must exit 0 within 2 s.
fn stop(child: Child) -> Value {
    testkit::terminate(&child);
    let out = testkit::wait(child, Duration::from_secs(10));
    assert_eq!(out.code, Some(0), "consumer: {}", out.stderr);
    assert!(
        out.elapsed < Duration::from_secs(2),
        "took {:?} to stop",
        out.elapsed
    );
    out.json()
}

/// Committed offsets of `group`, summed, as a librdkafka client sees them.
fn committed_total(topic: &str, group: &str) -> i64 {
    let script = r#"
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[3]})
parts = c.list_topics(sys.argv[2], timeout=10).topics[sys.argv[2]].partitions
offsets = c.committed([TopicPartition(sys.argv[2], p) for p in parts], timeout=10)
print(sum(max(tp.offset, 0) for tp in offsets))
"#;
    let out = testkit::wait(
        testkit::spawn(
            testkit::python(),
            &["-c", script, &testkit::brokers(), topic, group],
        ),
        Duration::from_secs(30),
    );
    out.stdout
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("committed offsets: {}", out.stderr))
}

/// Waits until the group has committed `total` offsets (everything processed).
fn wait_until_committed(topic: &str, group: &str, total: i64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while committed_total(topic, group) < total {
        assert!(
            Instant::now() < deadline,
            "group {group} never committed {total} offsets"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn partitions_of(summary: &Value) -> BTreeSet<i64> {
    summary["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_i64().unwrap())
        .collect()
}

fn seen_seqs(summaries: &[Value]) -> BTreeMap<String, Vec<u64>> {
    let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for summary in summaries {
        for (run, ranges) in summary["seen"].as_object().unwrap() {
            for range in ranges.as_array().unwrap() {
                let (first, last) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
                seen.entry(run.clone()).or_default().extend(first..=last);
            }
        }
    }
    seen
}

#[test]
fn one_member_reads_a_whole_run_and_its_counts_match_the_producer() {
    let topic = testkit::unique_topic("group-one");
    let produced = produce(&topic, 10_000);
    let group = testkit::unique_topic("g");
    let member = start_consumer(&topic, &group);
    wait_until_committed(&topic, &group, 10_000);
    let summary = stop(member);
    assert_eq!(summary["consumed"], 10_000);
    assert_eq!(summary["invalid"], 0);
    assert_eq!(summary["by_type"], produced["by_type"]);
    assert_eq!(summary["by_user"], produced["by_user"]);
    let run = produced["run_id"].as_str().unwrap();
    assert_eq!(summary["seen"][run], serde_json::json!([[0, 9_999]]));
    let committed: i64 = summary["committed"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(committed, 10_000);
}

#[test]
fn three_members_split_the_partitions_and_count_each_event_once() {
    let topic = testkit::unique_topic("group-three");
    let produced = produce(&topic, 3_000);
    let group = testkit::unique_topic("g");
    let members: Vec<Child> = (0..3).map(|_| start_consumer(&topic, &group)).collect();
    wait_until_committed(&topic, &group, 3_000);
    // Let a rebalance that started late settle, then stop everyone.
    std::thread::sleep(Duration::from_secs(3));
    let summaries: Vec<Value> = members.into_iter().map(stop).collect();

    let total: u64 = summaries
        .iter()
        .map(|s| s["consumed"].as_u64().unwrap())
        .sum();
    assert_eq!(
        total, 3_000,
        "each event counted exactly once across members"
    );
    let run = produced["run_id"].as_str().unwrap();
    let mut seqs = seen_seqs(&summaries)[run].clone();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..3_000).collect::<Vec<u64>>(),
        "no seq twice, none missing"
    );
    let owned: Vec<BTreeSet<i64>> = summaries.iter().map(partitions_of).collect();
    let all: BTreeSet<i64> = owned.iter().flatten().copied().collect();
    let sizes: usize = owned.iter().map(BTreeSet::len).sum();
    assert_eq!(sizes, all.len(), "no partition owned twice: {owned:?}");
    let sharing = owned.iter().filter(|o| !o.is_empty()).count();
    assert!(sharing >= 2, "the work was shared: {owned:?}");
}

#[test]
fn a_restarted_member_resumes_from_its_committed_offsets() {
    let topic = testkit::unique_topic("group-restart");
    produce(&topic, 2_000);
    let group = testkit::unique_topic("g");
    let first = start_consumer(&topic, &group);
    wait_until_committed(&topic, &group, 2_000);
    let first = stop(first);
    assert_eq!(first["consumed"], 2_000);

    produce(&topic, 500);
    let second = start_consumer(&topic, &group);
    wait_until_committed(&topic, &group, 2_500);
    let second = stop(second);
    assert_eq!(
        second["consumed"], 500,
        "only the new events are read again"
    );
}
