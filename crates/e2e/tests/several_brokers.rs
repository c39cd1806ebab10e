//! End to end, on a librdkafka mock cluster of three brokers that each test starts
//! ([`e2e::cluster`]): what a real cluster looks like to the services. Partition leaders sit on
//! different brokers and the group's coordinator on yet another; the brokers may speak only the
//! protocol versions Kafka 4.0 kept (KIP-896), or none that we speak.

use std::time::Duration;

use e2e::{
    cluster::{api, MockCluster},
    group::*,
    topic::as_strs,
    Topic,
};
use producer::Summary;

/// Partitions of each test's topic: led by brokers 1 and 2, the coordinator on broker 3.
const PARTITIONS: i32 = 4;

/// Kafka 4.0's lowest version of each API the services send (KIP-896; the `kafka-protocol`
/// crate's schemas): `(api key, min)`. The highest stays the mock cluster's.
const KAFKA_4_FLOORS: [(i16, i16, i16); 9] = [
    (api::PRODUCE, 3, 10),
    (api::FETCH, 4, 16),
    (api::LIST_OFFSETS, 1, 7),
    (api::METADATA, 0, 13),
    (api::OFFSET_COMMIT, 2, 9),
    (9, 1, 6),  // OffsetFetch
    (10, 0, 3), // FindCoordinator
    (11, 0, 6), // JoinGroup
    (19, 2, 7), // CreateTopics: the mock does not serve it; the floor is Kafka's all the same
];

/// A topic whose partitions are led by brokers 1 and 2, and a group coordinated by broker 3.
fn spread_topic(cluster: &MockCluster, prefix: &str) -> (Topic, String) {
    let topic = cluster.topic(prefix, PARTITIONS);
    for partition in 0..PARTITIONS {
        cluster.set_leader(&topic.name, partition, partition % 2 + 1);
    }
    let group = e2e::unique_topic("g");
    cluster.set_coordinator(&group, 3);
    (topic, group)
}

/// Producer → two group members → verifier, on `cluster`: every acked event arrives, is
/// counted once by the group, and the verifier finds nothing lost.
fn run_the_pipeline(cluster: &MockCluster, topic: &Topic, group: &str) {
    let args = topic.producer_args(&["--count", "3000", "--rate", "0", "--users", "20"]);
    let out = e2e::run("producer", &as_strs(&args));
    assert_eq!(out.code, Some(0), "producer: {}", out.stderr);
    let produced: Summary = out.parse();
    assert_eq!(produced.manifest.acked, 3_000);

    let (code, report) = topic.verify();
    assert_eq!(code, Some(0), "verifier: {report:#?}");
    assert_eq!((report.total, report.lost), (3_000, 0));
    assert_eq!(report.per_partition.len(), PARTITIONS as usize);

    let members = vec![
        start_member_on(cluster.bootstrap(), &topic.name, group, &[]),
        start_member_on(cluster.bootstrap(), &topic.name, group, &[]),
    ];
    wait_until_committed_on(
        cluster.bootstrap(),
        &topic.name,
        group,
        3_000,
        Duration::from_secs(60),
    );
    let summaries = stop_all(members);
    let run = &produced.manifest.run_id;
    assert_eq!(
        union_of(&summaries, run).len(),
        3_000,
        "the group counted every acked event"
    );
    let consumed: u64 = summaries.iter().map(|s| s.consumed).sum();
    assert_eq!(consumed, 3_000, "each event counted once");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_pipeline_runs_to_100_percent_with_leaders_and_coordinator_on_different_brokers() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let (topic, group) = spread_topic(&cluster, "spread");
    run_the_pipeline(&cluster, &topic, &group);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn with_the_brokers_at_kafka_4_protocol_floors_the_pipeline_still_runs() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    for (api_key, min, max) in KAFKA_4_FLOORS {
        cluster.set_api_versions(api_key, min, max);
    }
    let (topic, group) = spread_topic(&cluster, "floors");
    run_the_pipeline(&cluster, &topic, &group);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_broker_with_no_fetch_version_we_speak_gets_one_line_and_exit_2() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let (topic, _) = spread_topic(&cluster, "no-fetch");
    let args = topic.producer_args(&["--count", "100", "--rate", "0"]);
    assert_eq!(e2e::run("producer", &as_strs(&args)).code, Some(0));
    cluster.set_api_versions(api::FETCH, 0, 3);

    let started = std::time::Instant::now();
    let out = e2e::run("verifier", &as_strs(&topic.verifier_args()));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // The API and the broker's versions are named.
    out.assert_user_error("verifier", &["Fetch", "v0-v3"]);
}
