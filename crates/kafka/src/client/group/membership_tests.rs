//! The membership state machine against a scripted coordinator, without a broker: every row of
//! the error table ([`GroupError::recovery`]) driven through [`Membership`], checked on the
//! requests it sends and the values it returns.

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    time::Duration,
};

use bytes::Bytes;
use kafka_protocol::error::ResponseError::{self, *};
use tokio::time::Instant;

use super::*;
use crate::client::group::{assignor::Assignment, requests::JoinedMember};

const GROUP: &str = "pipeline";
const TOPIC: &str = "evenements";
/// Our member id, when the coordinator gives it.
const ME: &str = "m-1";
/// Another member's id, leading when we follow.
const OTHER: &str = "m-0";

// ---------------------------------------------------------------------------------------------
// The scripted coordinator
// ---------------------------------------------------------------------------------------------

/// A request the member made, with the arguments that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    JoinGroup {
        member_id: String,
    },
    SyncGroup {
        generation_id: i32,
        member_id: String,
        /// The leader's assignments, decoded (empty for a follower).
        assignments: Assignment,
    },
    Heartbeat {
        generation_id: i32,
        member_id: String,
    },
    FetchOffsets {
        topic: String,
        partitions: Vec<i32>,
    },
    CommitOffsets {
        generation_id: i32,
        member_id: String,
        topic: String,
        offsets: BTreeMap<i32, i64>,
    },
    LeaveGroup {
        member_id: String,
    },
    PartitionCount {
        topic: String,
    },
    Rediscover,
}

impl Call {
    fn join(member_id: &str) -> Call {
        Call::JoinGroup {
            member_id: member_id.to_string(),
        }
    }

    fn sync_as_follower(generation_id: i32, member_id: &str) -> Call {
        Call::SyncGroup {
            generation_id,
            member_id: member_id.to_string(),
            assignments: Assignment::new(),
        }
    }

    fn heartbeat(generation_id: i32, member_id: &str) -> Call {
        Call::Heartbeat {
            generation_id,
            member_id: member_id.to_string(),
        }
    }

    fn fetch(partitions: &[i32]) -> Call {
        Call::FetchOffsets {
            topic: TOPIC.to_string(),
            partitions: partitions.to_vec(),
        }
    }

    fn commit(generation_id: i32, member_id: &str, offsets: &[(i32, i64)]) -> Call {
        Call::CommitOffsets {
            generation_id,
            member_id: member_id.to_string(),
            topic: TOPIC.to_string(),
            offsets: offsets.iter().copied().collect(),
        }
    }

    fn leave(member_id: &str) -> Call {
        Call::LeaveGroup {
            member_id: member_id.to_string(),
        }
    }

    fn partition_count(topic: &str) -> Call {
        Call::PartitionCount {
            topic: topic.to_string(),
        }
    }
}

/// What the last JoinGroup carried besides the member id.
#[derive(Debug, PartialEq, Eq)]
struct JoinSeen {
    group_id: String,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    /// (assignor, subscribed topics decoded from its metadata), in the order offered.
    protocols: Vec<(String, BTreeSet<String>)>,
}

type Answers<T> = VecDeque<Result<T, GroupError>>;

/// A coordinator answering each request with the next answer scripted for it (a request with
/// no answer left panics: the member made a request the test did not expect), and recording
/// every call in order.
#[derive(Default)]
struct ScriptedCoordinator {
    joins: Answers<JoinAnswer>,
    syncs: Answers<Bytes>,
    heartbeats: Answers<()>,
    fetches: Answers<BTreeMap<i32, Option<i64>>>,
    commits: Answers<()>,
    leaves: Answers<()>,
    partition_counts: Answers<i32>,
    /// LeaveGroup never answers.
    leave_hangs: bool,
    calls: Vec<Call>,
    last_join: Option<JoinSeen>,
}

impl ScriptedCoordinator {
    fn on_join(&mut self, answer: Result<JoinAnswer, GroupError>) -> &mut Self {
        self.joins.push_back(answer);
        self
    }

    fn on_sync(&mut self, answer: Result<Bytes, GroupError>) -> &mut Self {
        self.syncs.push_back(answer);
        self
    }

    fn on_heartbeat(&mut self, answer: Result<(), GroupError>) -> &mut Self {
        self.heartbeats.push_back(answer);
        self
    }

    fn on_fetch(&mut self, answer: Result<BTreeMap<i32, Option<i64>>, GroupError>) -> &mut Self {
        self.fetches.push_back(answer);
        self
    }

    fn on_commit(&mut self, answer: Result<(), GroupError>) -> &mut Self {
        self.commits.push_back(answer);
        self
    }

    fn on_leave(&mut self, answer: Result<(), GroupError>) -> &mut Self {
        self.leaves.push_back(answer);
        self
    }

    fn on_partition_count(&mut self, answer: Result<i32, GroupError>) -> &mut Self {
        self.partition_counts.push_back(answer);
        self
    }

    /// The calls recorded since the last time they were taken.
    fn take_calls(&mut self) -> Vec<Call> {
        std::mem::take(&mut self.calls)
    }

    /// Every answer scripted was used.
    fn assert_script_used(&self) {
        assert!(self.joins.is_empty(), "JoinGroup answers left");
        assert!(self.syncs.is_empty(), "SyncGroup answers left");
        assert!(self.heartbeats.is_empty(), "Heartbeat answers left");
        assert!(self.fetches.is_empty(), "OffsetFetch answers left");
        assert!(self.commits.is_empty(), "OffsetCommit answers left");
        assert!(self.leaves.is_empty(), "LeaveGroup answers left");
        assert!(self.partition_counts.is_empty(), "Metadata answers left");
    }
}

fn next<T>(answers: &mut Answers<T>, request: &str) -> Result<T, GroupError> {
    answers
        .pop_front()
        .unwrap_or_else(|| panic!("unscripted {request}"))
}

impl Coordinator for ScriptedCoordinator {
    async fn join_group(&mut self, params: &JoinParams<'_>) -> Result<JoinAnswer, GroupError> {
        self.calls.push(Call::join(params.member_id));
        self.last_join = Some(JoinSeen {
            group_id: params.group_id.to_string(),
            session_timeout: params.session_timeout,
            rebalance_timeout: params.rebalance_timeout,
            protocols: params
                .protocols
                .iter()
                .map(|(name, metadata)| {
                    let topics = codec::decode_subscription(metadata).expect("subscription");
                    (name.to_string(), topics)
                })
                .collect(),
        });
        next(&mut self.joins, "JoinGroup")
    }

    async fn sync_group(
        &mut self,
        joined: &Joined,
        assignments: Vec<(String, Bytes)>,
    ) -> Result<Bytes, GroupError> {
        let assignments = assignments
            .iter()
            .map(|(member, payload)| {
                let owned = codec::decode_assignment(payload).expect("assignment");
                (member.clone(), owned)
            })
            .collect();
        self.calls.push(Call::SyncGroup {
            generation_id: joined.generation_id,
            member_id: joined.member_id.clone(),
            assignments,
        });
        next(&mut self.syncs, "SyncGroup")
    }

    async fn heartbeat(&mut self, generation_id: i32, member_id: &str) -> Result<(), GroupError> {
        self.calls.push(Call::heartbeat(generation_id, member_id));
        next(&mut self.heartbeats, "Heartbeat")
    }

    async fn fetch_offsets(
        &mut self,
        topic: &str,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError> {
        self.calls.push(Call::FetchOffsets {
            topic: topic.to_string(),
            partitions: partitions.to_vec(),
        });
        next(&mut self.fetches, "OffsetFetch")
    }

    async fn commit_offsets(
        &mut self,
        generation_id: i32,
        member_id: &str,
        topic: &str,
        offsets: &BTreeMap<i32, i64>,
    ) -> Result<(), GroupError> {
        self.calls.push(Call::CommitOffsets {
            generation_id,
            member_id: member_id.to_string(),
            topic: topic.to_string(),
            offsets: offsets.clone(),
        });
        next(&mut self.commits, "OffsetCommit")
    }

    async fn leave_group(&mut self, member_id: &str, _timeout: Duration) -> Result<(), GroupError> {
        self.calls.push(Call::leave(member_id));
        if self.leave_hangs {
            std::future::pending::<()>().await;
        }
        next(&mut self.leaves, "LeaveGroup")
    }

    async fn partition_count(&mut self, topic: &str) -> Result<i32, GroupError> {
        self.calls.push(Call::partition_count(topic));
        next(&mut self.partition_counts, "Metadata")
    }

    fn rediscover(&mut self) {
        self.calls.push(Call::Rediscover);
    }
}

// ---------------------------------------------------------------------------------------------
// Answers and members
// ---------------------------------------------------------------------------------------------

fn refused(request: GroupRequest, code: ResponseError) -> GroupError {
    GroupError::refused(request, code)
}

fn timed_out(request: GroupRequest) -> GroupError {
    GroupError::new(
        request,
        crate::connection::ConnectionError::Timeout {
            broker: "coordinator:9092".into(),
            what: "a group request",
            timeout: Duration::from_secs(10),
        },
    )
}

fn unsupported_version(request: GroupRequest) -> GroupError {
    GroupError::new(
        request,
        crate::connection::ConnectionError::UnsupportedVersion {
            broker: "coordinator:9092".into(),
            api: "JoinGroup".into(),
            detail: "broker 6..=9, client 0..=5".into(),
        },
    )
}

/// A JoinGroup answer.
fn joined(
    generation_id: i32,
    member_id: &str,
    leader: &str,
    protocol: &str,
    members: &[(&str, &[&str])],
) -> Joined {
    Joined {
        generation_id,
        member_id: member_id.to_string(),
        leader: leader.to_string(),
        protocol: protocol.to_string(),
        members: members
            .iter()
            .map(|(id, topics)| {
                let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
                JoinedMember {
                    id: id.to_string(),
                    metadata: codec::encode_subscription(&topics).expect("subscription"),
                }
            })
            .collect(),
    }
}

/// Joined as a follower of `OTHER` (followers get no member list), the range assignor chosen.
fn as_follower(generation_id: i32, member_id: &str) -> JoinAnswer {
    JoinAnswer::Joined(joined(generation_id, member_id, OTHER, "range", &[]))
}

/// Joined as the leader, the range assignor chosen, with every member's subscribed topics.
fn as_leader(generation_id: i32, member_id: &str, members: &[(&str, &[&str])]) -> JoinAnswer {
    JoinAnswer::Joined(joined(
        generation_id,
        member_id,
        member_id,
        "range",
        members,
    ))
}

/// A SyncGroup payload assigning topic → partitions.
fn assignment(partitions: &[(&str, &[i32])]) -> Bytes {
    let owned: BTreeMap<String, Vec<i32>> = partitions
        .iter()
        .map(|(topic, partitions)| (topic.to_string(), partitions.to_vec()))
        .collect();
    codec::encode_assignment(&owned).expect("assignment")
}

fn config() -> GroupConfig {
    GroupConfig {
        group_id: GROUP.to_string(),
        topic: TOPIC.to_string(),
        session_timeout: Duration::from_secs(10),
        rebalance_timeout: Duration::from_secs(30),
    }
}

fn new_member() -> Membership<ScriptedCoordinator> {
    Membership::with_coordinator(config(), ScriptedCoordinator::default())
}

/// A member that completed generation 5 as follower `ME`, owning partitions 1 and 3, its calls
/// so far taken.
async fn member_in_generation_5() -> Membership<ScriptedCoordinator> {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Ok(as_follower(5, ME)))
        .on_sync(Ok(assignment(&[(TOPIC, &[3, 1])])));
    let generation = member.join().await.expect("joined generation 5");
    assert_eq!(generation.id, 5);
    assert_eq!(generation.partitions, [1, 3]);
    member.coordinator.take_calls();
    member
}

fn generation(id: i32, member_id: &str, leader: bool, partitions: &[i32]) -> Generation {
    Generation {
        id,
        member_id: member_id.to_string(),
        leader,
        partitions: partitions.to_vec(),
    }
}

fn offsets(offsets: &[(i32, i64)]) -> BTreeMap<i32, i64> {
    offsets.iter().copied().collect()
}

// ---------------------------------------------------------------------------------------------
// Joining and syncing
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn first_join_takes_the_required_member_id_at_once_and_leads_with_the_chosen_assignor() {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Ok(JoinAnswer::MemberIdRequired(ME.to_string())))
        .on_join(Ok(as_leader(
            1,
            ME,
            &[(ME, &[TOPIC]), ("m-2", &[TOPIC, "other"])],
        )))
        .on_partition_count(Ok(5))
        .on_partition_count(Ok(2))
        // Unsorted, with another topic: only ours is kept, sorted.
        .on_sync(Ok(assignment(&[(TOPIC, &[2, 0, 1]), ("other", &[7])])));
    let started = Instant::now();

    let joined = member.join().await.expect("joined");

    assert_eq!(joined, generation(1, ME, true, &[0, 1, 2]));
    assert_eq!(member.generation(), Some(&joined));
    assert_eq!(member.member_id(), ME);
    let range: Assignment = BTreeMap::from([
        (
            ME.to_string(),
            BTreeMap::from([(TOPIC.to_string(), vec![0, 1, 2])]),
        ),
        (
            "m-2".to_string(),
            BTreeMap::from([
                (TOPIC.to_string(), vec![3, 4]),
                ("other".to_string(), vec![0, 1]),
            ]),
        ),
    ]);
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(""),
            Call::join(ME),
            Call::partition_count(TOPIC),
            Call::partition_count("other"),
            Call::SyncGroup {
                generation_id: 1,
                member_id: ME.to_string(),
                assignments: range,
            },
        ]
    );
    let ours = BTreeSet::from([TOPIC.to_string()]);
    assert_eq!(
        member.coordinator.last_join,
        Some(JoinSeen {
            group_id: GROUP.to_string(),
            session_timeout: Duration::from_secs(10),
            rebalance_timeout: Duration::from_secs(30),
            protocols: vec![
                ("range".to_string(), ours.clone()),
                ("roundrobin".to_string(), ours),
            ],
        })
    );
    assert_eq!(started.elapsed(), Duration::ZERO, "no backoff for KIP-394");
    member.coordinator.assert_script_used();
}

#[tokio::test(start_paused = true)]
async fn a_follower_sends_no_assignments_and_owns_the_partitions_of_its_payload() {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Ok(JoinAnswer::MemberIdRequired(ME.to_string())))
        .on_join(Ok(as_follower(3, ME)))
        .on_sync(Ok(assignment(&[(TOPIC, &[4, 0, 2])])));

    let joined = member.join().await.expect("joined");

    assert_eq!(joined, generation(3, ME, false, &[0, 2, 4]));
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(""),
            Call::join(ME),
            Call::sync_as_follower(3, ME)
        ]
    );
    member.coordinator.assert_script_used();
}

#[tokio::test(start_paused = true)]
async fn a_follower_with_an_empty_payload_owns_nothing() {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Ok(as_follower(2, ME)))
        .on_sync(Ok(Bytes::new()));

    let joined = member.join().await.expect("joined");

    assert_eq!(joined, generation(2, ME, false, &[]));
}

#[tokio::test(start_paused = true)]
async fn a_leader_rediscovers_when_the_partition_count_times_out_then_joins() {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Ok(as_leader(1, ME, &[(ME, &[TOPIC])])))
        .on_partition_count(Err(timed_out(GroupRequest::Metadata)))
        .on_join(Ok(as_leader(2, ME, &[(ME, &[TOPIC])])))
        .on_partition_count(Ok(2))
        .on_sync(Ok(assignment(&[(TOPIC, &[0, 1])])));

    let joined = member.join().await.expect("joined");

    assert_eq!(joined, generation(2, ME, true, &[0, 1]));
    let assignments = BTreeMap::from([(
        ME.to_string(),
        BTreeMap::from([(TOPIC.to_string(), vec![0, 1])]),
    )]);
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(""),
            Call::partition_count(TOPIC),
            Call::Rediscover,
            Call::join(ME),
            Call::partition_count(TOPIC),
            Call::SyncGroup {
                generation_id: 2,
                member_id: ME.to_string(),
                assignments,
            },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Rejoin: same member id
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_rebalance_seen_on_heartbeat_hands_over_in_the_old_generation_then_rejoins_as_itself() {
    for code in [RebalanceInProgress, IllegalGeneration] {
        let mut member = member_in_generation_5().await;
        member
            .coordinator
            .on_heartbeat(Err(refused(GroupRequest::Heartbeat, code)))
            .on_commit(Ok(()));

        let error = member
            .heartbeat()
            .await
            .expect_err("the generation is over");
        assert_eq!(error.recovery(), Recovery::Rejoin, "{code:?}");
        assert!(error.allows_hand_over(), "{code:?}");
        assert!(!error.is_fatal(), "{code:?}");
        member
            .commit(&offsets(&[(1, 42), (3, 7)]))
            .await
            .expect("hand-over commit");
        assert_eq!(
            member.coordinator.take_calls(),
            [
                Call::heartbeat(5, ME),
                Call::commit(5, ME, &[(1, 42), (3, 7)])
            ],
            "{code:?}: the hand-over goes out in the generation being left"
        );

        member
            .coordinator
            .on_join(Ok(as_follower(6, ME)))
            .on_sync(Ok(assignment(&[(TOPIC, &[1])])));
        let rejoined = member.join().await.expect("rejoined");
        assert_eq!(rejoined, generation(6, ME, false, &[1]));
        assert_eq!(
            member.coordinator.take_calls(),
            [Call::join(ME), Call::sync_as_follower(6, ME)],
            "{code:?}"
        );
        member.coordinator.assert_script_used();
    }
}

#[tokio::test(start_paused = true)]
async fn requests_outside_a_generation_are_refused_locally_and_call_for_a_rejoin() {
    let mut member = new_member();

    let heartbeat = member.heartbeat().await.expect_err("no generation");
    let commit = member
        .commit(&offsets(&[(0, 1)]))
        .await
        .expect_err("no generation");

    assert!(matches!(heartbeat.cause, Cause::NoGeneration));
    assert_eq!(heartbeat.request, GroupRequest::Heartbeat);
    assert!(matches!(commit.cause, Cause::NoGeneration));
    assert_eq!(commit.request, GroupRequest::OffsetCommit);
    assert_eq!(commit.recovery(), Recovery::Rejoin);
    assert_eq!(member.coordinator.take_calls(), []);
}

#[tokio::test(start_paused = true)]
async fn an_empty_commit_sends_nothing() {
    let mut member = member_in_generation_5().await;

    member
        .commit(&BTreeMap::new())
        .await
        .expect("nothing to do");

    assert_eq!(member.coordinator.take_calls(), []);
}

#[tokio::test(start_paused = true)]
async fn a_second_member_id_request_for_the_id_we_sent_rejoins_with_it_after_a_backoff() {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Ok(JoinAnswer::MemberIdRequired(ME.to_string())))
        .on_join(Ok(JoinAnswer::MemberIdRequired(ME.to_string())))
        .on_join(Ok(as_follower(1, ME)))
        .on_sync(Ok(assignment(&[(TOPIC, &[0])])));
    let started = Instant::now();

    let joined = member.join().await.expect("joined");

    assert_eq!(joined, generation(1, ME, false, &[0]));
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(""),
            Call::join(ME),
            Call::join(ME),
            Call::sync_as_follower(1, ME)
        ]
    );
    assert!(started.elapsed() >= Duration::from_millis(80), "backed off");
}

#[tokio::test(start_paused = true)]
async fn a_sync_refused_as_a_late_follower_or_by_a_rebalance_rejoins_not_fatal() {
    for code in [InvalidRequest, RebalanceInProgress] {
        let mut member = new_member();
        member
            .coordinator
            .on_join(Ok(as_follower(1, ME)))
            .on_sync(Err(refused(GroupRequest::SyncGroup, code)))
            .on_join(Ok(as_follower(2, ME)))
            .on_sync(Ok(assignment(&[(TOPIC, &[0, 1])])));

        let joined = member.join().await.expect("rejoined, not fatal");

        assert_eq!(joined, generation(2, ME, false, &[0, 1]), "{code:?}");
        assert_eq!(
            member.coordinator.take_calls(),
            [
                Call::join(""),
                Call::sync_as_follower(1, ME),
                Call::join(ME),
                Call::sync_as_follower(2, ME),
            ],
            "{code:?}: rejoined with the same id, the coordinator not looked up again"
        );
        member.coordinator.assert_script_used();
    }
}

// ---------------------------------------------------------------------------------------------
// The coordinator kept the generation: forced new generation
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_rejoin_answered_with_the_completed_generation_leaves_and_joins_as_a_new_member() {
    let mut member = member_in_generation_5().await;
    member
        .coordinator
        .on_heartbeat(Err(refused(GroupRequest::Heartbeat, RebalanceInProgress)))
        // The coordinator keeps generation 5 ...
        .on_join(Ok(as_follower(5, ME)))
        .on_leave(Ok(()))
        // ... until we left: a new member, a new generation.
        .on_join(Ok(JoinAnswer::MemberIdRequired("m-7".to_string())))
        .on_join(Ok(as_follower(6, "m-7")))
        .on_sync(Ok(assignment(&[(TOPIC, &[0, 1, 2, 3])])));
    member.heartbeat().await.expect_err("rebalance");

    let joined = member.join().await.expect("joined a new generation");

    assert_eq!(joined, generation(6, "m-7", false, &[0, 1, 2, 3]));
    assert_eq!(member.member_id(), "m-7");
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::heartbeat(5, ME),
            Call::join(ME),
            // No SyncGroup in the kept generation.
            Call::leave(ME),
            Call::join(""),
            Call::join("m-7"),
            Call::sync_as_follower(6, "m-7"),
        ]
    );
    member.coordinator.assert_script_used();
}

#[tokio::test(start_paused = true)]
async fn a_generation_kept_after_a_failed_leave_is_still_escaped_as_a_new_member() {
    let mut member = member_in_generation_5().await;
    member
        .coordinator
        .on_join(Ok(as_follower(5, ME)))
        .on_leave(Err(timed_out(GroupRequest::LeaveGroup)))
        .on_join(Ok(as_follower(6, "m-8")))
        .on_sync(Ok(assignment(&[(TOPIC, &[2])])));

    let joined = member.join().await.expect("joined a new generation");

    assert_eq!(joined, generation(6, "m-8", false, &[2]));
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(ME),
            Call::leave(ME),
            Call::join(""),
            Call::sync_as_follower(6, "m-8"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// NewMember: our member id is gone
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn an_unknown_member_on_heartbeat_commits_nothing_and_rejoins_with_an_empty_id() {
    for code in [UnknownMemberId, FencedInstanceId] {
        let mut member = member_in_generation_5().await;
        member
            .coordinator
            .on_heartbeat(Err(refused(GroupRequest::Heartbeat, code)));

        let error = member.heartbeat().await.expect_err("evicted");
        assert_eq!(error.recovery(), Recovery::NewMember, "{code:?}");
        assert!(!error.allows_hand_over(), "{code:?}");
        assert_eq!(member.member_id(), "", "{code:?}");
        assert_eq!(member.generation(), None, "{code:?}");

        let commit = member
            .commit(&offsets(&[(1, 42)]))
            .await
            .expect_err("no generation to commit in");
        assert!(matches!(commit.cause, Cause::NoGeneration), "{code:?}");
        assert_eq!(
            member.coordinator.take_calls(),
            [Call::heartbeat(5, ME)],
            "{code:?}: the commit was not sent"
        );

        member
            .coordinator
            .on_join(Ok(JoinAnswer::MemberIdRequired("m-9".to_string())))
            .on_join(Ok(as_follower(6, "m-9")))
            .on_sync(Ok(assignment(&[(TOPIC, &[3])])));
        let rejoined = member.join().await.expect("rejoined");
        assert_eq!(rejoined, generation(6, "m-9", false, &[3]), "{code:?}");
        assert_eq!(
            member.coordinator.take_calls(),
            [
                Call::join(""),
                Call::join("m-9"),
                Call::sync_as_follower(6, "m-9")
            ],
            "{code:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_join_refused_as_an_unknown_member_is_retried_as_a_new_member() {
    let mut member = member_in_generation_5().await;
    member
        .coordinator
        .on_join(Err(refused(GroupRequest::JoinGroup, UnknownMemberId)))
        .on_join(Ok(as_follower(6, "m-9")))
        .on_sync(Ok(assignment(&[(TOPIC, &[0])])));

    let joined = member.join().await.expect("joined");

    assert_eq!(joined, generation(6, "m-9", false, &[0]));
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(ME),
            Call::join(""),
            Call::sync_as_follower(6, "m-9")
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Rediscover: the coordinator moved, is loading, or did not answer
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_heartbeat_timeout_rediscovers_once_still_hands_over_and_rejoins_as_itself() {
    let mut member = member_in_generation_5().await;
    member
        .coordinator
        .on_heartbeat(Err(timed_out(GroupRequest::Heartbeat)))
        .on_commit(Ok(()));

    let error = member.heartbeat().await.expect_err("timed out");
    assert_eq!(error.recovery(), Recovery::Rediscover);
    assert!(error.allows_hand_over());
    assert_eq!(
        member.coordinator.take_calls(),
        [Call::heartbeat(5, ME), Call::Rediscover]
    );

    member
        .commit(&offsets(&[(3, 100)]))
        .await
        .expect("hand-over commit");
    member
        .coordinator
        .on_join(Ok(as_follower(6, ME)))
        .on_sync(Ok(assignment(&[(TOPIC, &[1, 3])])));
    let rejoined = member.join().await.expect("rejoined");

    assert_eq!(rejoined, generation(6, ME, false, &[1, 3]));
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::commit(5, ME, &[(3, 100)]),
            Call::join(ME),
            Call::sync_as_follower(6, ME),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_commit_to_a_moved_or_loading_coordinator_rediscovers_once_and_keeps_the_member() {
    for code in [
        NotCoordinator,
        CoordinatorNotAvailable,
        CoordinatorLoadInProgress,
        UnknownServerError,
    ] {
        let mut member = member_in_generation_5().await;
        member
            .coordinator
            .on_commit(Err(refused(GroupRequest::OffsetCommit, code)));

        let error = member
            .commit(&offsets(&[(1, 9)]))
            .await
            .expect_err("refused");
        assert_eq!(error.recovery(), Recovery::Rediscover, "{code:?}");
        assert_eq!(member.member_id(), ME, "{code:?}");
        assert_eq!(
            member.generation().map(|g| g.id),
            Some(5),
            "{code:?}: the generation is kept for the hand-over"
        );
        assert_eq!(
            member.coordinator.take_calls(),
            [Call::commit(5, ME, &[(1, 9)]), Call::Rediscover],
            "{code:?}"
        );

        member
            .coordinator
            .on_join(Ok(as_follower(6, ME)))
            .on_sync(Ok(assignment(&[(TOPIC, &[1])])));
        member.join().await.expect("rejoined");
        assert_eq!(
            member.coordinator.take_calls(),
            [Call::join(ME), Call::sync_as_follower(6, ME)],
            "{code:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn offsets_are_fetched_for_our_topic_and_a_failed_fetch_rediscovers() {
    let mut member = member_in_generation_5().await;
    member
        .coordinator
        .on_fetch(Err(refused(GroupRequest::OffsetFetch, NotCoordinator)))
        .on_fetch(Ok(BTreeMap::from([(1, Some(40)), (3, None)])));

    let error = member.committed_offsets(&[1, 3]).await.expect_err("moved");
    let committed = member.committed_offsets(&[1, 3]).await.expect("fetched");

    assert_eq!(error.recovery(), Recovery::Rediscover);
    assert_eq!(committed, BTreeMap::from([(1, Some(40)), (3, None)]));
    assert_eq!(
        member.coordinator.take_calls(),
        [Call::fetch(&[1, 3]), Call::Rediscover, Call::fetch(&[1, 3])]
    );
}

#[tokio::test(start_paused = true)]
async fn a_transient_join_error_is_retried_with_backoff_after_rediscovering() {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Err(refused(
            GroupRequest::JoinGroup,
            CoordinatorNotAvailable,
        )))
        .on_join(Err(refused(
            GroupRequest::JoinGroup,
            CoordinatorNotAvailable,
        )))
        .on_join(Ok(JoinAnswer::MemberIdRequired(ME.to_string())))
        .on_join(Ok(as_follower(1, ME)))
        .on_sync(Ok(assignment(&[(TOPIC, &[0])])));
    let started = Instant::now();

    let joined = member.join().await.expect("joined");

    assert_eq!(joined, generation(1, ME, false, &[0]));
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(""),
            Call::Rediscover,
            Call::join(""),
            Call::Rediscover,
            Call::join(""),
            Call::join(ME),
            Call::sync_as_follower(1, ME),
        ]
    );
    // 100 ms then 200 ms, each ±20%.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(240) && waited <= Duration::from_millis(400),
        "waited {waited:?}"
    );

    // A success resets the backoff: the next failure waits from 100 ms again.
    member
        .coordinator
        .on_join(Err(timed_out(GroupRequest::JoinGroup)))
        .on_join(Ok(as_follower(2, ME)))
        .on_sync(Ok(assignment(&[(TOPIC, &[0])])));
    let started = Instant::now();
    member.join().await.expect("rejoined");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(80) && waited <= Duration::from_millis(130),
        "waited {waited:?}"
    );
    assert_eq!(
        member.coordinator.take_calls(),
        [
            Call::join(ME),
            Call::Rediscover,
            Call::join(ME),
            Call::sync_as_follower(2, ME)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Fatal: the user must fix something
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_join_refused_for_settings_or_rights_fails_at_once_without_retrying() {
    let refusals = [
        GroupAuthorizationFailed,
        InvalidSessionTimeout,
        InconsistentGroupProtocol,
        InvalidGroupId,
        GroupMaxSizeReached,
    ]
    .map(|code| refused(GroupRequest::JoinGroup, code));
    for answer in refusals
        .into_iter()
        .chain([unsupported_version(GroupRequest::JoinGroup)])
    {
        let cause = answer.to_string();
        let mut member = new_member();
        member.coordinator.on_join(Err(answer));
        let started = Instant::now();

        let error = member.join().await.expect_err("fatal");

        assert!(error.is_fatal(), "{cause}");
        assert_eq!(error.to_string(), cause);
        assert_eq!(member.generation(), None, "{cause}");
        assert_eq!(
            member.coordinator.take_calls(),
            [Call::join("")],
            "{cause}: neither retried nor rediscovered"
        );
        assert_eq!(started.elapsed(), Duration::ZERO, "{cause}: no backoff");
    }
}

#[tokio::test(start_paused = true)]
async fn a_heartbeat_refused_for_rights_is_fatal() {
    let mut member = member_in_generation_5().await;
    member.coordinator.on_heartbeat(Err(refused(
        GroupRequest::Heartbeat,
        GroupAuthorizationFailed,
    )));

    let error = member.heartbeat().await.expect_err("fatal");

    assert!(error.is_fatal());
    assert!(!error.allows_hand_over());
    assert!(matches!(
        error.cause,
        Cause::Refused(GroupAuthorizationFailed)
    ));
    assert_eq!(member.coordinator.take_calls(), [Call::heartbeat(5, ME)]);
}

#[tokio::test(start_paused = true)]
async fn an_assignor_the_coordinator_chose_but_we_do_not_offer_is_fatal_for_the_leader() {
    let mut member = new_member();
    member
        .coordinator
        .on_join(Ok(JoinAnswer::Joined(joined(
            1,
            ME,
            ME,
            "cooperative-sticky",
            &[(ME, &[TOPIC])],
        ))))
        .on_partition_count(Ok(3));

    let error = member.join().await.expect_err("fatal");

    assert!(error.is_fatal());
    assert!(matches!(&error.cause, Cause::UnknownAssignor(name) if name == "cooperative-sticky"));
    assert_eq!(
        member.coordinator.take_calls(),
        [Call::join(""), Call::partition_count(TOPIC)],
        "no SyncGroup, no retry"
    );
    assert_eq!(member.generation(), None);
}

#[tokio::test(start_paused = true)]
async fn an_assignment_or_subscription_we_cannot_read_is_fatal() {
    let mut follower = new_member();
    follower
        .coordinator
        .on_join(Ok(as_follower(1, ME)))
        .on_sync(Ok(Bytes::from_static(&[0])));
    let error = follower.join().await.expect_err("fatal");
    assert!(error.is_fatal());
    assert!(matches!(error.cause, Cause::Codec(_)));
    assert_eq!(
        follower.coordinator.take_calls(),
        [Call::join(""), Call::sync_as_follower(1, ME)]
    );

    let mut leader = new_member();
    let mut garbled = joined(1, ME, ME, "range", &[(ME, &[TOPIC])]);
    garbled.members.push(JoinedMember {
        id: "m-2".to_string(),
        metadata: Bytes::from_static(&[0, 0, 0]),
    });
    leader.coordinator.on_join(Ok(JoinAnswer::Joined(garbled)));
    let error = leader.join().await.expect_err("fatal");
    assert!(error.is_fatal());
    assert!(matches!(error.cause, Cause::Codec(_)));
    assert_eq!(leader.coordinator.take_calls(), [Call::join("")]);
}

// ---------------------------------------------------------------------------------------------
// Leaving
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn leave_sends_our_member_id_and_ends_the_generation() {
    let mut member = member_in_generation_5().await;
    member.coordinator.on_leave(Ok(()));

    member.leave(Duration::from_secs(1)).await;

    assert_eq!(member.coordinator.take_calls(), [Call::leave(ME)]);
    assert_eq!(member.generation(), None);
    // Kept for the final summary.
    assert_eq!(member.member_id(), ME);
    member.coordinator.assert_script_used();
}

#[tokio::test(start_paused = true)]
async fn leave_before_any_join_sends_nothing() {
    let mut member = new_member();

    member.leave(Duration::from_secs(1)).await;

    assert_eq!(member.coordinator.take_calls(), []);
    assert_eq!(member.generation(), None);
}

#[tokio::test(start_paused = true)]
async fn a_leave_that_fails_or_hangs_still_ends_the_generation_within_its_timeout() {
    let mut refused_member = member_in_generation_5().await;
    refused_member
        .coordinator
        .on_leave(Err(refused(GroupRequest::LeaveGroup, UnknownMemberId)));
    refused_member.leave(Duration::from_secs(1)).await;
    assert_eq!(refused_member.coordinator.take_calls(), [Call::leave(ME)]);
    assert_eq!(refused_member.generation(), None);

    let mut hanging_member = member_in_generation_5().await;
    hanging_member.coordinator.leave_hangs = true;
    let started = Instant::now();
    hanging_member.leave(Duration::from_secs(2)).await;
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(hanging_member.coordinator.take_calls(), [Call::leave(ME)]);
    assert_eq!(hanging_member.generation(), None);
}
