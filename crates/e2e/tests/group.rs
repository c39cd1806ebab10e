//! End to end: our consumer-group members against a real broker (`KAFKA_TEST_BROKERS`; `just
//! test` runs these against tansu and librdkafka's mock cluster): sharing partitions, resuming
//! from committed offsets, leaving the group on SIGTERM.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use e2e::{group::*, topic::record, Topic};
use rskafka::client::partition::Compression;

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn one_member_reads_a_whole_run_and_its_counts_match_the_producer_and_the_verifier() {
    let topic = e2e::unique_topic("group-one");
    let produced = produce(&topic, 10_000);
    let group = e2e::unique_topic("g");
    let member = start_member(&topic, &group);
    wait_until_committed(&topic, &group, 10_000, Duration::from_secs(120));
    let summary = stop(member);

    assert_eq!(summary.consumed, 10_000);
    assert_eq!(summary.invalid, 0);
    assert_eq!(summary.by_type, produced.manifest.by_type);
    assert_eq!(summary.by_user, produced.manifest.by_user);
    let (code, verified) = Topic::named(&topic).verify();
    assert_eq!(code, Some(0), "verifier: {verified:#?}");
    assert_eq!(summary.by_type, verified.by_type);
    assert_eq!(summary.by_user, verified.by_user);
    assert_eq!(summary.seen[&produced.manifest.run_id], [[0, 9_999]]);
    assert_eq!(summary.committed.values().sum::<i64>(), 10_000);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn three_members_split_the_partitions_and_count_each_event_once() {
    let topic = e2e::unique_topic("group-three");
    let produced = produce(&topic, 3_000);
    let group = e2e::unique_topic("g");
    let members: Vec<_> = (0..3).map(|_| start_member(&topic, &group)).collect();
    wait_until_committed(&topic, &group, 3_000, Duration::from_secs(120));
    // A rebalance may start late (members join one by one): stop everyone once it settled.
    wait_until_settled(&members, Duration::from_secs(60));
    let summaries = stop_all(members);

    let total: u64 = summaries.iter().map(|s| s.consumed).sum();
    assert_eq!(
        total, 3_000,
        "each event counted exactly once across members"
    );
    let union = union_of(&summaries, &produced.manifest.run_id);
    assert_eq!(union, (0..3_000).collect(), "no seq missing");
    let owned: Vec<BTreeSet<i32>> = summaries
        .iter()
        .map(|s| s.partitions.iter().copied().collect())
        .collect();
    let all: BTreeSet<i32> = owned.iter().flatten().copied().collect();
    let sizes: usize = owned.iter().map(BTreeSet::len).sum();
    assert_eq!(sizes, all.len(), "no partition owned twice: {owned:?}");
    assert_eq!(
        all.len(),
        records_by_partition(&topic).len(),
        "every partition owned: {owned:?}"
    );
    let sharing = owned.iter().filter(|o| !o.is_empty()).count();
    assert!(sharing >= 2, "the work was shared: {owned:?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_restarted_member_resumes_from_its_committed_offsets() {
    let topic = e2e::unique_topic("group-restart");
    produce(&topic, 2_000);
    let group = e2e::unique_topic("g");
    let first = start_member(&topic, &group);
    wait_until_committed(&topic, &group, 2_000, Duration::from_secs(120));
    let first = stop(first);
    assert_eq!(first.consumed, 2_000);

    produce(&topic, 500);
    let second = start_member(&topic, &group);
    wait_until_committed(&topic, &group, 2_500, Duration::from_secs(120));
    let second = stop(second);
    assert_eq!(second.consumed, 500, "only the new events are read again");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_member_stopped_with_sigterm_leaves_and_the_others_take_over_without_waiting_for_its_session() {
    // A member that vanished without LeaveGroup would hold its partitions until its session
    // timed out; one that left is gone in the next rebalance. Kafka and tansu start that
    // rebalance at once; librdkafka's mock cluster always waits the session timeout less 1 s
    // for members to rejoin, so there "at once" means well before twice the session timeout.
    let session = Duration::from_secs(20);
    let takeover_limit = if e2e::broker_kind() == "mock" {
        session * 3 / 2
    } else {
        session / 2
    };
    let settings = [("--session-timeout", "20s")];
    let topic = e2e::unique_topic("group-leave");
    produce(&topic, 1_000);
    let group = e2e::unique_topic("g");
    let members = [0, 1].map(|_| start_member_with(&topic, &group, &settings));
    wait_until_committed(&topic, &group, 1_000, Duration::from_secs(120));
    wait_until_settled(&members, Duration::from_secs(60));
    let [leaving, staying] = members;
    let left = stop(leaving);
    assert!(!left.partitions.is_empty(), "both members had partitions");

    let more = produce(&topic, 1_000);
    wait_until_committed(&topic, &group, 2_000, takeover_limit);
    let stayed = stop(staying);
    let partitions: Vec<i32> = records_by_partition(&topic).keys().copied().collect();
    assert_eq!(
        stayed.partitions, partitions,
        "the survivor owns everything"
    );
    let new_events = seqs_of(&stayed, &more.manifest.run_id);
    assert_eq!(
        new_events,
        (0..1_000).collect(),
        "the survivor read every later event"
    );
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_member_started_before_its_topic_exists_consumes_it_once_created() {
    let topic = e2e::unique_topic("group-early");
    let group = e2e::unique_topic("g");
    let member = start_member(&topic, &group);
    pause(5); // joined, with nothing to own
    let produced = produce(&topic, 1_000);
    wait_until_committed(&topic, &group, 1_000, Duration::from_secs(60));
    let summary = stop(member);
    assert_eq!(summary.consumed, 1_000);
    assert_eq!(
        seqs_of(&summary, &produced.manifest.run_id),
        (0..1_000).collect()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs a broker, run `just test`"]
async fn a_record_larger_than_the_usual_fetch_is_read_not_stalled_on() {
    // 900 KB: more than the consumer's usual 512 KiB fetch, which some brokers answer with
    // nothing at all rather than with the record (docs/brokers.md).
    let topic = Topic::new("group-large");
    topic.produce(&["--count", "100", "--partitions", "1"]);
    let large = vec![b'x'; 900_000];
    topic
        .partition(&topic.name, 0)
        .await
        .produce(
            vec![record(b"large", &large, BTreeMap::new())],
            Compression::NoCompression,
        )
        .await
        .expect("the broker takes a 900 KB record");
    topic.produce(&["--count", "100"]);

    let group = e2e::unique_topic("g");
    let member = start_member(&topic.name, &group);
    wait_until_committed(&topic.name, &group, 201, Duration::from_secs(60));
    let summary = stop(member);
    assert_eq!(summary.consumed, 201, "{summary:?}");
    assert_eq!(summary.invalid, 1, "the large record is not an event");
    let (code, report) = topic.verify();
    assert_eq!(code, Some(0), "{report:#?}");
    assert_eq!((report.total, report.invalid), (201, 1));
}
