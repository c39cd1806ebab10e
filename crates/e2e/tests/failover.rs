//! End to end: the group keeps every event processed while members come and go under a running
//! producer: scaling out and in, and a member killed without a chance to commit or leave.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use consumer::Summary;
use e2e::group::*;

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn scaling_from_one_to_three_members_and_back_while_producing_processes_every_event() {
    let topic = e2e::unique_topic("failover-scale");
    let group = e2e::unique_topic("g");
    // librdkafka's mock cluster waits the session timeout less 1 s for members to rejoin
    // after any change: the shortest session Kafka allows keeps the rebalances short.
    let short_session = [("--session-timeout", "6s")];
    let producer = spawn_producer(&topic, 5_000, 250); // 20 s of events
    pause(1);
    let first = start_member_with(&topic, &group, &short_session);
    pause(3);
    let added: Vec<_> = (0..2)
        .map(|_| start_member_with(&topic, &group, &short_session))
        .collect();
    pause(12);
    let added: Vec<Summary> = added.into_iter().map(stop).collect();
    let produced = finish_producer(producer);
    wait_until_committed(&topic, &group, 5_000, Duration::from_secs(120));
    let first = stop(first);

    let helped: u64 = added.iter().map(|s| s.consumed).sum();
    assert!(helped > 0, "the added members took a share: {added:?}");
    let mut summaries = added;
    summaries.push(first);
    let union = union_of(&summaries, &produced.manifest.run_id);
    let missing: Vec<u64> = (0..5_000).filter(|s| !union.contains(s)).collect();
    assert!(missing.is_empty(), "seqs never processed: {missing:?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_killed_member_loses_nothing_its_partitions_move_to_the_survivors() {
    let topic = e2e::unique_topic("failover-kill");
    let group = e2e::unique_topic("g");
    let producer = spawn_producer(&topic, 6_000, 250); // 24 s of events
    pause(1);
    let mut members: Vec<_> = (0..3).map(|_| start_member(&topic, &group)).collect();
    // Kill a member that has work to lose: once the group has settled (every member in one
    // generation, each with partitions) and it has committed on its partitions in it.
    wait_until_settled(&members, Duration::from_secs(60));
    let (_, victims) = current_generation(&members[1]).expect("the member consumes");
    let on_victims = |offsets: &BTreeMap<i32, i64>| -> i64 {
        victims.iter().filter_map(|p| offsets.get(p)).sum()
    };
    let settled = on_victims(&committed(&topic, &group));
    let waited = Instant::now();
    while on_victims(&committed(&topic, &group)) <= settled {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "no commit on {victims:?}"
        );
        pause_ms(200);
    }
    kill(members.remove(1));
    // What the killed member had committed: nobody takes its partitions over before its
    // session (10 s) times out, so these are its last commits.
    let committed_at_kill = committed(&topic, &group);
    let produced = finish_producer(producer);
    wait_until_committed(&topic, &group, 6_000, Duration::from_secs(120));
    pause(2);
    let survivors = stop_all(members);

    // What the survivors never saw must lie below the killed member's last commit on its
    // partition (it processed it, then committed); everything from there on the survivors
    // processed: its partitions moved to them. (Who owns what at the very end is not asserted:
    // on tansu a last rebalance may still be settling.)
    let records = records_by_partition(&topic);
    let seen = union_of(&survivors, &produced.manifest.run_id);
    let mut done_by_the_killed = 0;
    for (partition, rows) in &records {
        let last_commit = committed_at_kill.get(partition).copied().unwrap_or(0);
        for record in rows.iter().filter(|r| !seen.contains(&r.seq)) {
            assert!(
                record.offset < last_commit,
                "partition {partition}: {record:?} never processed (committed at the kill: {last_commit})"
            );
            done_by_the_killed += 1;
        }
    }
    assert!(
        done_by_the_killed > 0,
        "the killed member had committed work before it died"
    );
}
