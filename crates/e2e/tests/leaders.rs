//! End to end, on a librdkafka mock cluster of three brokers that each test starts and drives
//! itself ([`e2e::cluster`]), so this suite does not use the broker under test: partition leaders
//! that move, a broker that goes down and comes back, Fetch requests answered with errors, and a
//! group coordinator out of reach or answering retriable errors, under a consumer-group member
//! and the verifier. Each test asserts what the binaries report
//! (`--json`): every acknowledged event counted, nothing lost, no record counted twice beyond
//! what the situation makes unavoidable.
//!
//! Each topic has 4 partitions over brokers 1..3, partition `p` led by broker `p % 3 + 1` unless
//! a test says otherwise, its runs topic by broker 1.

use std::{
    collections::{BTreeMap, BTreeSet},
    process::Child,
    time::{Duration, Instant},
};

use consumer::Summary as MemberSummary;
use e2e::{
    cluster::{api, code, MockCluster},
    group::*,
    topic::as_strs,
    Topic,
};
use events::audit::SeqRanges;
use producer::Summary as ProducerSummary;

const PARTITIONS: i32 = 4;

/// How long the group may take to commit the end of every partition.
const ALL_COMMITTED_WITHIN: Duration = Duration::from_secs(60);

/// 20 users: every partition gets events (with the default 5, one of the 4 gets none).
const USERS: [&str; 2] = ["--users", "20"];

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn every_leader_moves_twice_while_a_member_consumes_and_it_counts_every_acked_event() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("leaders-move", PARTITIONS);
    let group = e2e::unique_topic("g");
    let producer = spawn_producer(&topic, 3_000, 200); // 15 s of events
    let member = start_member_on(cluster.bootstrap(), &topic.name, &group, &[]);
    // Each partition's leader moves to the next broker once the member consumes, then again.
    for (round, consumed) in [(1, 400), (2, 1_600)] {
        wait_until_committed_on(
            cluster.bootstrap(),
            &topic.name,
            &group,
            consumed,
            Duration::from_secs(30),
        );
        for partition in 0..PARTITIONS {
            cluster.set_leader(&topic.name, partition, (partition + round) % 3 + 1);
        }
    }
    let (produced, total, summary) = finish(&topic, &group, producer, member);

    assert_eq!(
        produced.manifest.acked, 3_000,
        "the producer followed the leaders"
    );
    assert_every_acked_event_counted_once(&topic, &summary, &[&produced], total);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_leader_broker_down_then_up_while_a_member_consumes_loses_nothing() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("leaders-down", PARTITIONS);
    // Broker 2 leads partitions 1 and 3; the group's coordinator and the runs topic are on
    // broker 1, which stays up.
    cluster.set_leader(&topic.name, 3, 2);
    let on_broker_2 = [1, 3];
    let group = e2e::unique_topic("g");
    cluster.set_coordinator(&group, 1);
    let (producer, member) = consuming(&cluster, &topic, &group);
    cluster.broker_down(2);
    let down = Instant::now();
    // While broker 2 is down, the partitions of the other brokers keep being consumed.
    let elsewhere = |offsets: &BTreeMap<i32, i64>| -> i64 {
        offsets
            .iter()
            .filter(|(p, _)| !on_broker_2.contains(*p))
            .map(|(_, o)| o)
            .sum()
    };
    let at_down = elsewhere(&committed_on(cluster.bootstrap(), &topic.name, &group));
    while elsewhere(&committed_on(cluster.bootstrap(), &topic.name, &group)) <= at_down {
        assert!(
            down.elapsed() < Duration::from_secs(20),
            "nothing committed on brokers 1 and 3 while broker 2 was down"
        );
        pause_ms(200);
    }
    std::thread::sleep(Duration::from_secs(5).saturating_sub(down.elapsed()));
    cluster.broker_up(2);
    let (produced, total, summary) = finish(&topic, &group, producer, member);

    assert_eq!(
        produced.manifest.acked, 3_000,
        "the producer waited for broker 2"
    );
    assert_every_acked_event_counted_once(&topic, &summary, &[&produced], total);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_coordinator_answering_retriable_errors_does_not_end_the_generation() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("coordinator-errors", PARTITIONS);
    let group = e2e::unique_topic("g");
    let (producer, member) = consuming(&cluster, &topic, &group);
    // Kafka's consumers find the coordinator again after these and keep their generation.
    cluster.push_errors(
        api::HEARTBEAT,
        &[
            code::NOT_COORDINATOR,
            code::COORDINATOR_NOT_AVAILABLE,
            code::COORDINATOR_LOAD_IN_PROGRESS,
            code::REQUEST_TIMED_OUT,
        ],
    );
    cluster.push_errors(
        api::OFFSET_COMMIT,
        &[code::NOT_COORDINATOR, code::COORDINATOR_LOAD_IN_PROGRESS],
    );
    let (produced, total, summary) = finish(&topic, &group, producer, member);

    assert_kept_its_generation(&summary);
    assert_every_acked_event_counted_once(&topic, &summary, &[&produced], total);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_coordinator_down_for_less_than_the_session_does_not_end_the_generation() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("coordinator-down", PARTITIONS);
    // Broker 3 coordinates the group and leads no partition of the topic (partitions 2 and 3
    // move to brokers 1 and 2): while it is down, consuming goes on.
    cluster.set_leader(&topic.name, 2, 1);
    cluster.set_leader(&topic.name, 3, 2);
    let group = e2e::unique_topic("g");
    cluster.set_coordinator(&group, 3);
    let (producer, member) = consuming(&cluster, &topic, &group);
    // 4 s: shorter than the session (10 s), longer than several heartbeats (1 s).
    cluster.broker_down(3);
    pause_ms(4_000);
    cluster.broker_up(3);
    let (produced, total, summary) = finish(&topic, &group, producer, member);

    assert_kept_its_generation(&summary);
    assert_every_acked_event_counted_once(&topic, &summary, &[&produced], total);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn fetches_answered_with_retriable_errors_are_retried_and_nothing_is_lost_or_counted_twice() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("leaders-errors", PARTITIONS);
    let group = e2e::unique_topic("g");
    let (producer, member) = consuming(&cluster, &topic, &group);
    // The next Fetch requests, whichever broker gets them, answer these in turn, for the whole
    // request (every partition, and from Fetch v7 the request's own error code). Only the
    // member fetches meanwhile (the producer does not, nor the offset reader).
    let errors = [
        code::NOT_LEADER_OR_FOLLOWER,
        code::NOT_LEADER_OR_FOLLOWER,
        code::NOT_LEADER_OR_FOLLOWER,
        code::UNKNOWN_TOPIC_OR_PARTITION,
        code::UNKNOWN_TOPIC_OR_PARTITION,
        code::UNKNOWN_TOPIC_OR_PARTITION,
        code::REQUEST_TIMED_OUT,
        code::REQUEST_TIMED_OUT,
    ];
    cluster.push_errors(api::FETCH, &errors);
    // Counted from after the push: once that many Fetch requests arrived, all were answered.
    cluster.track_requests();
    cluster.wait_for(
        "the member's Fetch requests took the injected errors",
        Duration::from_secs(30),
        |c| c.requests(api::FETCH).total >= errors.len() as u64,
    );
    // The same errors for one partition of the requests, as Kafka answers them: partitions 1
    // and 2, alone on brokers 2 and 3, so that each Fetch those brokers get names them.
    let for_a_partition = [
        code::NOT_LEADER_OR_FOLLOWER,
        code::UNKNOWN_TOPIC_OR_PARTITION,
        code::REQUEST_TIMED_OUT,
    ];
    for partition in [1, 2] {
        cluster.push_partition_errors(&topic.name, partition, api::FETCH, &for_a_partition);
    }
    cluster.track_requests();
    cluster.wait_for(
        "the member's Fetch requests took the errors of partitions 1 and 2",
        Duration::from_secs(30),
        |c| {
            let fetches = c.requests(api::FETCH).per_broker;
            [2, 3]
                .iter()
                .all(|b| fetches[b] >= for_a_partition.len() as u64)
        },
    );
    let committed_then: i64 = committed_on(cluster.bootstrap(), &topic.name, &group)
        .values()
        .sum();
    let (produced, total, summary) = finish(&topic, &group, producer, member);

    assert!(
        committed_then < total,
        "the member went on after the errors"
    );
    let report = assert_every_acked_event_counted_once(&topic, &summary, &[&produced], total);
    // Errors answered to fetches change nothing in the topic: not one record twice.
    assert_eq!((report.total, report.duplicates), (3_000, 0));
    assert_eq!(summary.consumed, 3_000);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_verifier_reads_every_record_after_the_leaders_moved() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("leaders-verify", PARTITIONS);
    let produced = produce(&topic, &["--count", "5000"]);
    for partition in 0..PARTITIONS {
        cluster.set_leader(&topic.name, partition, (partition + 1) % 3 + 1);
    }
    cluster.set_leader(&topic.runs, 0, 2);
    let (code, report) = topic.verify();

    assert_eq!(code, Some(0), "verifier: {report:#?}");
    assert_eq!(
        (report.total, report.lost, report.duplicates),
        (5_000, 0, 0)
    );
    assert_eq!(report.runs[0].received, produced.manifest.acked);
    assert_eq!(
        report.per_partition,
        counts_read_by_librdkafka(&cluster, &topic)
    );
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_verifier_follows_leaders_that_move_in_the_middle_of_its_scan() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    // Every event partition on broker 2, the runs topic on broker 1.
    let topic = cluster.topic("leaders-verify-moving", PARTITIONS);
    for partition in 0..PARTITIONS {
        cluster.set_leader(&topic.name, partition, 2);
    }
    let runs = [
        produce(&topic, &["--count", "10000"]),
        produce(&topic, &["--count", "10000"]),
    ];
    // Broker 2 holds the answer to the verifier's first Fetch of an event partition for 3 s
    // (the answers behind it on that connection wait too): the leaders move meanwhile, while
    // every partition is still to be read.
    cluster.push_broker_errors(2, api::FETCH, &[(0, Duration::from_secs(3))]);
    let verifier = e2e::spawn(e2e::binary("verifier"), &as_strs(&topic.verifier_args()));
    cluster.wait_for(
        "the verifier's first Fetch of an event partition",
        Duration::from_secs(20),
        |c| c.pending_broker_errors(2, api::FETCH) == 0,
    );
    cluster.track_requests();
    for partition in 0..PARTITIONS {
        cluster.set_leader(&topic.name, partition, [1, 3][partition as usize % 2]);
    }
    let out = e2e::wait(verifier, Duration::from_secs(60));
    let report: verifier::ReportJson = out.parse();

    assert_eq!(out.code, Some(0), "verifier: {report:#?}\n{}", out.stderr);
    assert_eq!(
        (report.total, report.lost, report.duplicates),
        (20_000, 0, 0)
    );
    for produced in &runs {
        let run = &produced.manifest.run_id;
        let verdict = report.runs.iter().find(|r| &r.run_id == run);
        assert_eq!(
            verdict.map(|v| v.received),
            Some(produced.manifest.acked),
            "{run}"
        );
    }
    assert_eq!(
        report.per_partition,
        counts_read_by_librdkafka(&cluster, &topic)
    );
    let fetches = cluster.requests(api::FETCH);
    assert!(
        fetches.per_broker[&1] > 0 && fetches.per_broker[&3] > 0,
        "after the move the verifier fetched from the new leaders: {fetches:?}"
    );
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn offset_out_of_range_with_reset_earliest_rereads_the_partition_from_its_start() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("leaders-oor-earliest", PARTITIONS);
    let first = produce(&topic, &["--count", "2000"]);
    let ends = end_offsets(&topic);
    let group = e2e::unique_topic("g");
    let member = start_member_on(
        cluster.bootstrap(),
        &topic.name,
        &group,
        &[("--auto-offset-reset", "earliest")],
    );
    wait_until_committed_on(
        cluster.bootstrap(),
        &topic.name,
        &group,
        ends.values().sum(),
        Duration::from_secs(30),
    );
    // The member is at the end of every partition: its next Fetch of the fullest one answers
    // OFFSET_OUT_OF_RANGE.
    let (&partition, &end) = ends
        .iter()
        .max_by_key(|(_, end)| **end)
        .expect("partitions");
    cluster.push_partition_errors(
        &topic.name,
        partition,
        api::FETCH,
        &[code::OFFSET_OUT_OF_RANGE],
    );
    let warning = wait_for_out_of_range_warning(&member);
    let second = produce(&topic, &["--count", "500"]);
    let total = topic.wait_until_all_committed(&group, PARTITIONS, ALL_COMMITTED_WITHIN);
    let summary = stop(member);

    // A user of `earliest` expects the partition to be read again from its start: nothing lost,
    // that partition's records counted twice, and a warning naming where it happened.
    assert_eq!(
        (field(&warning, "partition="), field(&warning, "offset=")),
        (Some(i64::from(partition)), Some(end)),
        "the warning names the partition and the offset refused: {warning}"
    );
    assert_counted_every_acked(&summary, &[&first, &second]);
    assert_eq!(
        summary.consumed,
        (total + end) as u64,
        "every record once, plus partition {partition} again up to {end}"
    );
    let (code, report) = topic.verify();
    assert_eq!(code, Some(0), "verifier: {report:#?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn offset_out_of_range_with_reset_latest_skips_to_the_end_of_that_partition_only() {
    let Some(cluster) = MockCluster::start(3) else {
        return;
    };
    let topic = cluster.topic("leaders-oor-latest", PARTITIONS);
    // The partition of user1 alone on broker 1 (so that broker 1's next Fetch is one of it);
    // the others, the runs topic and the group's coordinator on brokers 2 and 3.
    let gated =
        kafka::client::produce::partitioner::partition_for_key(b"user1", PARTITIONS as usize)
            as i32;
    for partition in 0..PARTITIONS {
        let leader = if partition == gated {
            1
        } else {
            2 + partition % 2
        };
        cluster.set_leader(&topic.name, partition, leader);
    }
    cluster.set_leader(&topic.runs, 0, 3);
    let group = e2e::unique_topic("g");
    cluster.set_coordinator(&group, 2);
    let member = start_member_on(
        cluster.bootstrap(),
        &topic.name,
        &group,
        &[("--auto-offset-reset", "latest")],
    );
    wait_until_settled(std::slice::from_ref(&member), Duration::from_secs(30));
    let first = produce(&topic, &["--count", "1000", "--seed", "1"]);
    let after_first = end_offsets(&topic);
    wait_until_committed_on(
        cluster.bootstrap(),
        &topic.name,
        &group,
        after_first.values().sum(),
        Duration::from_secs(30),
    );
    // Broker 1 holds its answer to the member's next Fetch (of the gated partition, at its end)
    // for 30 s; once that fetch is in flight, the gated partition's next Fetch is to answer
    // OFFSET_OUT_OF_RANGE (for that partition only, as Kafka would, not for the whole request).
    // Meanwhile a second run is written; taking broker 1 down and up drops the held answer, and
    // the member's fetch again gets the error.
    cluster.push_broker_errors(1, api::FETCH, &[(0, Duration::from_secs(30))]);
    cluster.wait_for(
        "the member's Fetch of the gated partition",
        Duration::from_secs(10),
        |c| c.pending_broker_errors(1, api::FETCH) == 0,
    );
    cluster.push_partition_errors(&topic.name, gated, api::FETCH, &[code::OFFSET_OUT_OF_RANGE]);
    let second = produce(&topic, &["--count", "1000", "--seed", "2"]);
    let after_second = end_offsets(&topic);
    cluster.broker_down(1);
    cluster.broker_up(1);
    let warning = wait_for_out_of_range_warning(&member);
    let third = produce(&topic, &["--count", "500", "--seed", "3"]);
    let total = topic.wait_until_all_committed(&group, PARTITIONS, ALL_COMMITTED_WITHIN);
    let summary = stop(member);

    // A user of `latest` expects the member to jump to the end of that partition: what was
    // written to it while the member was held is skipped, and nothing else.
    let (from, to) = (after_first[&gated], after_second[&gated]);
    assert!(to > from, "the second run wrote to partition {gated}");
    assert_eq!(
        (field(&warning, "partition="), field(&warning, "offset=")),
        (Some(i64::from(gated)), Some(from)),
        "the warning names the partition and the offset refused: {warning}"
    );
    assert_counted_every_acked(&summary, &[&first, &third]);
    let skipped: BTreeSet<u64> = records_by_partition_on(cluster.bootstrap(), &topic.name)[&gated]
        .iter()
        .filter(|r| (from..to).contains(&r.offset))
        .map(|r| r.seq)
        .collect();
    let run = &second.manifest.run_id;
    let missing: BTreeSet<u64> = (0..second.manifest.sent)
        .filter(|s| !seqs_of(&summary, run).contains(s))
        .collect();
    assert_eq!(
        missing, skipped,
        "only the records of partition {gated} in [{from}, {to}) were skipped"
    );
    assert_eq!(summary.consumed, (total - (to - from)) as u64);
    let (code, report) = topic.verify();
    assert_eq!(code, Some(0), "the topic itself lost nothing: {report:#?}");
}

/// The producer (3,000 events at 200/s: 15 s) and a member under way: the member has committed
/// 400 events.
fn consuming(cluster: &MockCluster, topic: &Topic, group: &str) -> (Child, Child) {
    let producer = spawn_producer(topic, 3_000, 200);
    let member = start_member_on(cluster.bootstrap(), &topic.name, group, &[]);
    wait_until_committed_on(
        cluster.bootstrap(),
        &topic.name,
        group,
        400,
        Duration::from_secs(30),
    );
    (producer, member)
}

/// Lets the producer finish and the group commit everything, then stops the member: the
/// producer's summary, the records in all, the member's summary.
fn finish(
    topic: &Topic,
    group: &str,
    producer: Child,
    member: Child,
) -> (ProducerSummary, i64, MemberSummary) {
    let produced = finish_producer(producer);
    let total = topic.wait_until_all_committed(group, PARTITIONS, ALL_COMMITTED_WITHIN);
    (produced, total, stop(member))
}

/// The member went through no rebalance.
fn assert_kept_its_generation(summary: &MemberSummary) {
    assert_eq!(
        (summary.generation.is_some(), summary.rebalances),
        (true, 0),
        "the member kept its generation"
    );
}

/// Starts the producer in the background on `topic`'s cluster, `count` events at `rate`/s.
fn spawn_producer(topic: &Topic, count: u32, rate: u32) -> Child {
    let (count, rate) = (count.to_string(), rate.to_string());
    let args = topic.producer_args(&[&["--count", &count, "--rate", &rate], &USERS[..]].concat());
    e2e::spawn(e2e::binary("producer"), &as_strs(&args))
}

/// Runs the producer on `topic`'s cluster as fast as acks come, 20 users, with `extra` flags.
fn produce(topic: &Topic, extra: &[&str]) -> ProducerSummary {
    topic.produce(&[&USERS[..], extra].concat())
}

/// The end offset of each partition of `topic` now.
fn end_offsets(topic: &Topic) -> BTreeMap<i32, i64> {
    topic.end_offsets(PARTITIONS)
}

/// Every acked seq of each run is among the seqs `summary` saw.
fn assert_counted_every_acked(summary: &MemberSummary, runs: &[&ProducerSummary]) {
    for produced in runs {
        let run = &produced.manifest.run_id;
        let seen = SeqRanges::from_pairs(summary.seen.get(run).map_or(&[], Vec::as_slice));
        let missing = produced.manifest.acked_seqs().difference(&seen);
        assert!(
            missing.is_empty(),
            "run {run}: acked seqs never counted: {:?}",
            missing.to_pairs()
        );
    }
}

/// The member counted every acked event and each of the topic's `total` records exactly once,
/// and its counts match the verifier's, which finds nothing lost. Returns the verifier's report.
fn assert_every_acked_event_counted_once(
    topic: &Topic,
    summary: &MemberSummary,
    runs: &[&ProducerSummary],
    total: i64,
) -> verifier::ReportJson {
    assert_counted_every_acked(summary, runs);
    let (code, report) = topic.verify();
    assert_eq!(code, Some(0), "verifier: {report:#?}");
    assert_eq!(report.lost, 0);
    assert_eq!(report.total, total as u64);
    assert_eq!(
        report.per_partition.len(),
        PARTITIONS as usize,
        "events on every partition"
    );
    assert_eq!(
        summary.consumed, report.total,
        "each record counted once (the topic holds {} duplicates)",
        report.duplicates
    );
    assert_eq!(summary.by_type, report.by_type);
    assert_eq!(summary.committed.values().sum::<i64>(), total);
    report
}

/// Records per partition, as librdkafka reads the topic.
fn counts_read_by_librdkafka(cluster: &MockCluster, topic: &Topic) -> BTreeMap<i32, u64> {
    records_by_partition_on(cluster.bootstrap(), &topic.name)
        .into_iter()
        .map(|(p, rows)| (p, rows.len() as u64))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The member's warning about an offset out of range, once it logged it (at most 15 s).
fn wait_for_out_of_range_warning(member: &Child) -> String {
    let started = Instant::now();
    loop {
        let log = e2e::stderr_so_far(member);
        if let Some(line) = log
            .lines()
            .find(|l| l.contains("WARN") && l.contains("out of range"))
        {
            return line.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no warning about an offset out of range:\n{log}"
        );
        pause_ms(200);
    }
}

/// The number after `key` in a log line.
fn field(line: &str, key: &str) -> Option<i64> {
    let after = line.split(&format!(" {key}")).nth(1)?;
    after
        .split(|c: char| !c.is_ascii_digit() && c != '-')
        .next()?
        .parse()
        .ok()
}
