//! End to end: members from other client libraries join our group, as they would in a real
//! deployment, get a share of the partitions, and ours keep working beside them.

use std::time::Duration;

use e2e::group::*;

/// Runs `peer` (a script of `peers/`) for 15 s in our member's group while a producer runs,
/// then checks that it got a share, and that together they processed every event.
fn a_peer_shares_the_group_with_ours(peer: &str) {
    let topic = e2e::unique_topic("interop");
    let group = e2e::unique_topic("g");
    let producer = spawn_producer(&topic, 5_000, 250); // 20 s of events
    pause(1);
    let ours = start_member(&topic, &group);
    pause(2);
    let brokers = e2e::brokers();
    let peer_summary: PeerSummary = e2e::wait(
        spawn_peer(peer, &[&brokers, &topic, &group, "15"]),
        Duration::from_secs(60),
    )
    .parse();
    let produced = finish_producer(producer);
    wait_until_committed(&topic, &group, 5_000, Duration::from_secs(120));
    let ours = stop(ours);

    assert!(
        !peer_summary.assigned.is_empty(),
        "{peer} got no partition: {peer_summary:?}"
    );
    assert!(peer_summary.consumed > 0, "{peer} consumed nothing");
    let partitions: Vec<i32> = records_by_partition(&topic).keys().copied().collect();
    assert_eq!(ours.partitions, partitions, "ours took everything back");
    let run = &produced.manifest.run_id;
    let mut union = seqs_of(&ours, run);
    union.extend(peer_summary.seqs(run));
    let missing: Vec<u64> = (0..5_000).filter(|s| !union.contains(s)).collect();
    assert!(missing.is_empty(), "seqs never processed: {missing:?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_librdkafka_member_joins_our_group_and_gets_a_share() {
    a_peer_shares_the_group_with_ours("librdkafka_member.py");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_kafka_python_member_joins_our_group_and_gets_a_share() {
    if e2e::broker_kind() == "tansu" {
        // kafka-python-ng's own group join fails on tansu 0.6.0, with no consumer of ours around.
        e2e::skip("on tansu: kafka-python-ng cannot join any group there");
        return;
    }
    a_peer_shares_the_group_with_ours("kafka_python_member.py");
}
