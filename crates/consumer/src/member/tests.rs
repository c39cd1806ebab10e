//! The member's loop against a scripted group and a scripted record source, without a broker,
//! in paused time: what it counted, what it committed, the requests it made in order, and how
//! its run ended.

use std::{
    cell::RefCell,
    collections::{BTreeMap, VecDeque},
    rc::Rc,
};

use bytes::{Bytes, BytesMut};
use kafka::{
    client::group::{Cause, GroupRequest},
    protocol::records::{read_batches, Record, RecordBatch, RecordsError},
};
use kafka_protocol::{
    error::ResponseError::{self, *},
    records::{Compression, RecordBatchEncoder, RecordEncodeOptions, TimestampType},
};
use service::shutdown::Deadline;
use tokio::{sync::mpsc, task::JoinHandle};

use super::*;

const GROUP: &str = "pipeline";
const TOPIC: &str = "evenements";
/// Our member id, as the coordinator gives it.
const ME: &str = "m-1";
/// The topic's partition count, as the source reports it (unchanged: no topic-driven rebalance).
const PARTITIONS: usize = 3;
/// A valid event of the shop.
const GOOD: &[u8] = br#"{"timestamp":"2025-12-17T11:46:33.486910","user_id":"user1","event_type":"connexion","session_id":"session_1000"}"#;

// ---------------------------------------------------------------------------------------------
// What the member asked for
// ---------------------------------------------------------------------------------------------

/// A request the member made of its group or of its record source, with what matters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Join,
    Heartbeat {
        generation: i32,
    },
    CommittedOffsets {
        partitions: Vec<i32>,
    },
    Commit {
        generation: i32,
        offsets: BTreeMap<i32, i64>,
    },
    Leave {
        timeout: Duration,
    },
    /// A read of a generation's partitions began.
    Start {
        partitions: BTreeMap<i32, StartAt>,
    },
    /// A read was stopped at once (a rebalance).
    Stop,
    /// A read was let finish its fetches in flight (a stop of the member).
    Drain {
        limit: Duration,
    },
}

impl Call {
    fn commit(generation: i32, offsets: &[(i32, i64)]) -> Call {
        Call::Commit {
            generation,
            offsets: offsets.iter().copied().collect(),
        }
    }

    fn committed_offsets(partitions: &[i32]) -> Call {
        Call::CommittedOffsets {
            partitions: partitions.to_vec(),
        }
    }

    fn start(partitions: &[(i32, StartAt)]) -> Call {
        Call::Start {
            partitions: partitions.iter().copied().collect(),
        }
    }

    fn leave() -> Call {
        Call::Leave {
            timeout: SHUTDOWN_STEP,
        }
    }

    fn drain() -> Call {
        Call::Drain {
            limit: SHUTDOWN_STEP,
        }
    }
}

/// The calls of the group and the source, in the order made.
type Log = Rc<RefCell<Vec<Call>>>;

// ---------------------------------------------------------------------------------------------
// The scripted group
// ---------------------------------------------------------------------------------------------

/// A group answering each request with the next answer scripted for it, or its default once
/// none is left: a join then never completes, a heartbeat or a commit succeeds, and nothing is
/// committed for any partition.
struct ScriptedGroup {
    joins: VecDeque<Result<Generation, GroupError>>,
    heartbeats: VecDeque<Result<(), GroupError>>,
    committed: VecDeque<BTreeMap<i32, Option<i64>>>,
    /// `None`: this commit never answers.
    commits: VecDeque<Option<Result<(), GroupError>>>,
    generation: Option<i32>,
    log: Log,
}

impl ScriptedGroup {
    fn new(log: &Log) -> ScriptedGroup {
        ScriptedGroup {
            joins: VecDeque::new(),
            heartbeats: VecDeque::new(),
            committed: VecDeque::new(),
            commits: VecDeque::new(),
            generation: None,
            log: Rc::clone(log),
        }
    }

    fn on_join(mut self, id: i32, partitions: &[i32]) -> Self {
        self.joins.push_back(Ok(Generation {
            id,
            member_id: ME.to_string(),
            leader: true,
            partitions: partitions.to_vec(),
        }));
        self
    }

    fn on_heartbeat(mut self, answer: Result<(), ResponseError>) -> Self {
        self.heartbeats
            .push_back(answer.map_err(|code| GroupError::refused(GroupRequest::Heartbeat, code)));
        self
    }

    fn on_committed_offsets(mut self, offsets: &[(i32, Option<i64>)]) -> Self {
        self.committed.push_back(offsets.iter().copied().collect());
        self
    }

    fn on_commit_hanging(mut self) -> Self {
        self.commits.push_back(None);
        self
    }

    fn call(&self, call: Call) {
        self.log.borrow_mut().push(call);
    }
}

impl Group for ScriptedGroup {
    fn group_id(&self) -> &str {
        GROUP
    }

    fn member_id(&self) -> &str {
        ME
    }

    async fn join(&mut self) -> Result<Generation, GroupError> {
        self.call(Call::Join);
        self.generation = None;
        let Some(answer) = self.joins.pop_front() else {
            return std::future::pending().await;
        };
        if let Ok(generation) = &answer {
            self.generation = Some(generation.id);
        }
        answer
    }

    async fn heartbeat(&mut self) -> Result<(), GroupError> {
        let generation = self.generation.expect("heartbeats only in a generation");
        self.call(Call::Heartbeat { generation });
        self.heartbeats.pop_front().unwrap_or(Ok(()))
    }

    async fn committed_offsets(
        &mut self,
        partitions: &[i32],
    ) -> Result<BTreeMap<i32, Option<i64>>, GroupError> {
        self.call(Call::committed_offsets(partitions));
        Ok(self
            .committed
            .pop_front()
            .unwrap_or_else(|| partitions.iter().map(|p| (*p, None)).collect()))
    }

    async fn commit(&mut self, offsets: &BTreeMap<i32, i64>) -> Result<(), GroupError> {
        let generation = self.generation.expect("commits only in a generation");
        self.call(Call::Commit {
            generation,
            offsets: offsets.clone(),
        });
        match self.commits.pop_front() {
            None => Ok(()),
            Some(Some(answer)) => answer,
            Some(None) => std::future::pending().await,
        }
    }

    async fn leave(&mut self, timeout: Duration) {
        self.call(Call::Leave { timeout });
        self.generation = None;
    }
}

// ---------------------------------------------------------------------------------------------
// The scripted record source
// ---------------------------------------------------------------------------------------------

/// One partition's answer, as the reader hands it over: complete batches only.
#[derive(Debug, Clone)]
struct ScriptedAnswer {
    partition: i32,
    from: i64,
    batches: Vec<RecordBatch>,
    next_offset: i64,
}

impl Answer for ScriptedAnswer {
    fn partition(&self) -> i32 {
        self.partition
    }

    fn high_watermark(&self) -> i64 {
        self.next_offset
    }

    fn next_offset(&self) -> i64 {
        self.next_offset
    }

    fn records(&self) -> impl Iterator<Item = Result<Record<'_>, RecordsError>> + '_ {
        self.batches.iter().flat_map(RecordBatch::records)
    }

    fn corrupt(&self, topic: &str, error: RecordsError) -> kafka::Error {
        kafka::Error::Records {
            topic: topic.to_string(),
            partition: self.partition,
            offset: self.from,
            source: error,
        }
    }
}

/// What a read hands over, and after how long since the previous one.
type Script = Vec<(Duration, Result<ScriptedAnswer, kafka::Error>)>;

/// A source whose every read hands over the next script; once a script is done, its read
/// waits as on a long poll. A drain waits `in_flight` (at most its limit) for the fetches in
/// flight.
struct ScriptedSource {
    reads: VecDeque<Script>,
    in_flight: Duration,
    log: Log,
}

impl ScriptedSource {
    fn new(log: &Log) -> ScriptedSource {
        ScriptedSource {
            reads: VecDeque::new(),
            in_flight: Duration::ZERO,
            log: Rc::clone(log),
        }
    }

    fn on_read(mut self, script: Script) -> Self {
        self.reads.push_back(script);
        self
    }

    /// Fetches in flight come back this long after a drain begins.
    fn with_fetch_in_flight(mut self, takes: Duration) -> Self {
        self.in_flight = takes;
        self
    }
}

impl RecordSource for ScriptedSource {
    type Read = ScriptedRead;

    fn start(&mut self, partitions: BTreeMap<i32, StartAt>) -> ScriptedRead {
        self.log.borrow_mut().push(Call::Start { partitions });
        let script = self.reads.pop_front().unwrap_or_default();
        let (out, answers) = mpsc::channel(1);
        let feeder = tokio::spawn(async move {
            for (after, answer) in script {
                tokio::time::sleep(after).await;
                if out.send(answer).await.is_err() {
                    return;
                }
            }
            std::future::pending::<()>().await;
        });
        ScriptedRead {
            answers,
            feeder,
            in_flight: self.in_flight,
            log: Rc::clone(&self.log),
        }
    }

    async fn partition_count(&self) -> Result<Option<usize>, kafka::Error> {
        Ok(Some(PARTITIONS))
    }
}

/// A read handing over its script.
struct ScriptedRead {
    answers: mpsc::Receiver<Result<ScriptedAnswer, kafka::Error>>,
    feeder: JoinHandle<()>,
    in_flight: Duration,
    log: Log,
}

impl Read for ScriptedRead {
    type Answer = ScriptedAnswer;

    async fn next(&mut self) -> Option<Result<ScriptedAnswer, kafka::Error>> {
        self.answers.recv().await
    }

    fn stop(self) {
        self.log.borrow_mut().push(Call::Stop);
        self.feeder.abort();
    }

    async fn drain(self, limit: Duration) {
        self.log.borrow_mut().push(Call::Drain { limit });
        self.feeder.abort();
        if !self.in_flight.is_zero() {
            tokio::time::sleep(self.in_flight.min(limit)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Records, answers, runs
// ---------------------------------------------------------------------------------------------

/// One batch of `count` valid events at offsets `first..first + count`, as a broker sends it.
fn batch(first: i64, count: i64) -> Bytes {
    let records: Vec<kafka_protocol::records::Record> = (first..first + count)
        .map(|offset| kafka_protocol::records::Record {
            transactional: false,
            control: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset,
            sequence: -1,
            timestamp: chrono::Utc::now().timestamp_millis(),
            key: Some(Bytes::from_static(b"user1")),
            value: Some(Bytes::from_static(GOOD)),
            headers: Default::default(),
            delete_horizon: false,
        })
        .collect();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(&mut buf, &records, &options).expect("the batch encodes");
    buf.freeze()
}

/// `partition`'s answer to a fetch from `from` that brought `records` (a partial batch at the
/// end is left out, as the reader leaves it out).
fn answer_of(partition: i32, from: i64, records: Bytes) -> ScriptedAnswer {
    let read = read_batches(records).expect("the batches read");
    let next_offset = read.batches.last().map_or(from, RecordBatch::next_offset);
    ScriptedAnswer {
        partition,
        from,
        batches: read.batches,
        next_offset,
    }
}

/// `count` records of `partition` from offset `first`, handed over `after_ms` after the
/// previous answer.
fn records(after_ms: u64, partition: i32, first: i64, count: i64) -> Script {
    vec![(
        Duration::from_millis(after_ms),
        Ok(answer_of(partition, first, batch(first, count))),
    )]
}

fn member_config() -> MemberConfig {
    MemberConfig {
        topic: TOPIC.to_string(),
        commit_interval: Duration::from_secs(5),
        stats_interval: Duration::from_secs(5),
        heartbeat_interval: Duration::from_secs(1),
        session_timeout: Duration::from_secs(10),
        max_messages: None,
        json: false,
    }
}

/// How a member's run ended.
struct Ran {
    result: Result<Summary, Error>,
    /// Every call but heartbeats, in order.
    calls: Vec<Call>,
    /// The heartbeats' generations, in order.
    heartbeats: Vec<i32>,
    /// How long the run took.
    took: Duration,
}

impl Ran {
    fn summary(self) -> (Summary, Vec<Call>) {
        match self.result {
            Ok(summary) => (summary, self.calls),
            Err(error) => panic!("the run failed: {error}"),
        }
    }

    fn joins(&self) -> usize {
        self.calls.iter().filter(|c| **c == Call::Join).count()
    }
}

/// Runs a member of `group` reading `source`, stopped `stop_after` its start.
async fn run(
    config: MemberConfig,
    group: ScriptedGroup,
    source: ScriptedSource,
    stop_after: Duration,
) -> Ran {
    let log = Rc::clone(&group.log);
    let stop: Deadline = Shutdown::listen().with_deadline(stop_after);
    let began = Instant::now();
    let result = Member::new(config, group, source, stop.shutdown(), None)
        .run_to_summary()
        .await;
    let took = began.elapsed();
    let (heartbeats, calls): (Vec<Call>, Vec<Call>) = log
        .take()
        .into_iter()
        .partition(|c| matches!(c, Call::Heartbeat { .. }));
    let heartbeats = heartbeats
        .into_iter()
        .map(|c| match c {
            Call::Heartbeat { generation } => generation,
            _ => unreachable!(),
        })
        .collect();
    Ran {
        result,
        calls,
        heartbeats,
        took,
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// `s` seconds and a half: a stop between two ticks of the intervals, never at the same
/// instant as one.
fn secs_and_a_half(s: u64) -> Duration {
    Duration::from_millis(s * 1_000 + 500)
}

// ---------------------------------------------------------------------------------------------
// Consuming a generation
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn records_of_a_generation_are_counted_and_committed_at_the_commit_interval_and_on_stop() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log)
        .on_join(1, &[0, 1])
        .on_committed_offsets(&[(0, Some(10)), (1, None)]);
    let script = [
        records(1_000, 0, 10, 3),
        records(1_000, 1, 0, 2),
        records(6_000, 0, 13, 2), // at 8 s, after the commit at 5 s
    ]
    .into_iter()
    .flatten()
    .collect::<Script>();
    let source = ScriptedSource::new(&log).on_read(script);

    let ran = run(member_config(), group, source, secs_and_a_half(9)).await;

    assert_eq!(ran.heartbeats, vec![1; 9]);
    let (summary, calls) = ran.summary();
    assert_eq!(
        calls,
        vec![
            Call::Join,
            Call::committed_offsets(&[0, 1]),
            Call::start(&[(0, StartAt::Offset(10)), (1, StartAt::Reset)]),
            Call::commit(1, &[(0, 13), (1, 2)]),
            Call::drain(),
            Call::commit(1, &[(0, 15)]),
            Call::leave(),
        ]
    );
    assert_eq!(
        (summary.consumed, summary.valid, summary.invalid),
        (7, 7, 0)
    );
    assert_eq!(summary.committed, BTreeMap::from([(0, 15), (1, 2)]));
    assert_eq!(summary.partitions, vec![0, 1]);
    assert_eq!((summary.generation, summary.rebalances), (Some(1), 0));
    assert_eq!(
        (summary.member_id.as_str(), summary.group_id.as_str()),
        (ME, GROUP)
    );
}

#[tokio::test(start_paused = true)]
async fn a_rebalance_commits_what_was_processed_then_rejoins_and_consumes_the_new_assignment() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log)
        .on_join(1, &[0, 1])
        .on_committed_offsets(&[(0, None), (1, None)])
        .on_heartbeat(Ok(()))
        .on_heartbeat(Err(RebalanceInProgress)) // at 2 s
        .on_join(2, &[1, 2])
        .on_committed_offsets(&[(1, Some(7)), (2, None)]);
    let source = ScriptedSource::new(&log)
        .on_read(records(1_000, 0, 0, 3))
        .on_read(
            [records(1_000, 1, 7, 2), records(0, 2, 0, 4)]
                .into_iter()
                .flatten()
                .collect::<Script>(),
        );

    let ran = run(member_config(), group, source, secs_and_a_half(6)).await;

    assert_eq!(ran.heartbeats, vec![1, 1, 2, 2, 2, 2]);
    let (summary, calls) = ran.summary();
    assert_eq!(
        calls,
        vec![
            Call::Join,
            Call::committed_offsets(&[0, 1]),
            Call::start(&[(0, StartAt::Reset), (1, StartAt::Reset)]),
            Call::commit(1, &[(0, 3)]),
            Call::Stop,
            Call::Join,
            Call::committed_offsets(&[1, 2]),
            Call::start(&[(1, StartAt::Offset(7)), (2, StartAt::Reset)]),
            Call::drain(),
            Call::commit(2, &[(1, 9), (2, 4)]),
            Call::leave(),
        ]
    );
    assert_eq!(summary.consumed, 9);
    assert_eq!(summary.partitions, vec![1, 2]);
    assert_eq!(summary.committed, BTreeMap::from([(0, 3), (1, 9), (2, 4)]));
    assert_eq!((summary.generation, summary.rebalances), (Some(2), 1));
}

// ---------------------------------------------------------------------------------------------
// What the source hands over
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_fatal_fetch_error_that_ends_the_read_ends_the_run_with_it() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log).on_join(1, &[0]);
    let refused = kafka::Error::Broker {
        request: "Fetch",
        code: TopicAuthorizationFailed,
        message: None,
    };
    let script = [
        records(1_000, 0, 0, 3),
        vec![(Duration::from_millis(1_000), Err(refused))],
    ]
    .into_iter()
    .flatten()
    .collect::<Script>();
    let source = ScriptedSource::new(&log).on_read(script);

    let ran = run(member_config(), group, source, secs_and_a_half(30)).await;

    assert!(
        matches!(
            ran.result,
            Err(Error::Kafka(kafka::Error::Broker {
                code: TopicAuthorizationFailed,
                ..
            }))
        ),
        "{:?}",
        ran.result.as_ref().err()
    );
    assert_eq!(
        ran.took,
        secs(2),
        "the run ends with the error, not at the stop"
    );
    assert_eq!(
        ran.calls,
        vec![
            Call::Join,
            Call::committed_offsets(&[0]),
            Call::start(&[(0, StartAt::Reset)]),
        ],
        "a fatal error exits at once: no commit, no LeaveGroup"
    );
}

/// A retriable partition error (a leader that moved, a broker that broke the connection) is
/// retried inside the reader, which never hands it over: the member sees its partition's
/// answers pause, and goes on in its generation.
#[tokio::test(start_paused = true)]
async fn a_retriable_partition_error_only_pauses_the_answers_and_the_run_goes_on() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log).on_join(1, &[0]);
    let script = [records(1_000, 0, 0, 3), records(8_000, 0, 3, 2)]
        .into_iter()
        .flatten()
        .collect::<Script>();
    let source = ScriptedSource::new(&log).on_read(script);

    let ran = run(member_config(), group, source, secs_and_a_half(9)).await;

    assert_eq!(ran.joins(), 1);
    let (summary, calls) = ran.summary();
    assert_eq!(summary.consumed, 5);
    assert_eq!(summary.committed, BTreeMap::from([(0, 5)]));
    assert_eq!(
        calls[3..],
        [
            Call::commit(1, &[(0, 3)]),
            Call::drain(),
            Call::commit(1, &[(0, 5)]),
            Call::leave(),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_answer_counts_nothing_and_keeps_the_position() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log)
        .on_join(1, &[0])
        .on_committed_offsets(&[(0, Some(5))]);
    let empty = answer_of(0, 5, Bytes::new());
    let script = vec![
        (Duration::from_millis(500), Ok(empty.clone())),
        (Duration::from_millis(500), Ok(empty)),
    ];
    let source = ScriptedSource::new(&log).on_read(script);

    let (summary, _) = run(member_config(), group, source, secs_and_a_half(3))
        .await
        .summary();

    assert_eq!(summary.consumed, 0);
    assert_eq!(summary.committed, BTreeMap::from([(0, 5)]));
}

#[tokio::test(start_paused = true)]
async fn a_partial_answer_counts_only_its_complete_records_and_commits_past_them() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log).on_join(1, &[0]);
    // A broker cuts its answer at the byte limit: the last batch comes half.
    let second = batch(3, 1);
    let mut cut = BytesMut::from(&batch(0, 3)[..]);
    cut.extend_from_slice(&second[..second.len() / 2]);
    let script = vec![(Duration::from_secs(1), Ok(answer_of(0, 0, cut.freeze())))];
    let source = ScriptedSource::new(&log).on_read(script);

    let (summary, _) = run(member_config(), group, source, secs_and_a_half(3))
        .await
        .summary();

    assert_eq!(summary.consumed, 3);
    assert_eq!(summary.committed, BTreeMap::from([(0, 3)]));
}

/// OFFSET_OUT_OF_RANGE never reaches the member: the reader's broker task sends the partition
/// to the reset policy itself (`auto.offset.reset`) and goes on. What the member sees is the
/// partition's answers resuming elsewhere than where it started: here past records that
/// retention deleted after offset 10 was committed.
#[tokio::test(start_paused = true)]
async fn an_offset_out_of_range_shows_as_answers_resuming_at_the_reset_offset() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log)
        .on_join(1, &[0])
        .on_committed_offsets(&[(0, Some(10))]);
    let source = ScriptedSource::new(&log).on_read(records(1_000, 0, 50, 3));

    let ran = run(member_config(), group, source, secs_and_a_half(3)).await;

    assert_eq!(ran.joins(), 1);
    let (summary, calls) = ran.summary();
    assert_eq!(calls[2], Call::start(&[(0, StartAt::Offset(10))]));
    assert_eq!(summary.consumed, 3);
    assert_eq!(summary.committed, BTreeMap::from([(0, 53)]));
}

// ---------------------------------------------------------------------------------------------
// Stopping
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_stop_in_the_middle_of_a_fetch_commits_leaves_and_returns_within_the_shutdown_bound() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log).on_join(1, &[0]);
    // The next fetch is held by the broker past the shutdown bound.
    let source = ScriptedSource::new(&log)
        .on_read(records(1_000, 0, 0, 4))
        .with_fetch_in_flight(secs(10));

    let ran = run(member_config(), group, source, secs_and_a_half(3)).await;

    let after_stop = ran.took - secs_and_a_half(3);
    assert!(after_stop <= SHUTDOWN_STEP, "{after_stop:?}");
    let (summary, calls) = ran.summary();
    assert_eq!(
        calls[3..],
        [Call::drain(), Call::commit(1, &[(0, 4)]), Call::leave()]
    );
    assert_eq!(summary.consumed, 4);
    assert_eq!(summary.committed, BTreeMap::from([(0, 4)]));
}

#[tokio::test(start_paused = true)]
async fn a_last_commit_without_answer_is_given_up_at_the_shutdown_step_and_the_member_still_leaves()
{
    let log = Log::default();
    let group = ScriptedGroup::new(&log)
        .on_join(1, &[0])
        .on_commit_hanging();
    let source = ScriptedSource::new(&log).on_read(records(1_000, 0, 0, 4));

    let ran = run(member_config(), group, source, secs_and_a_half(3)).await;

    assert_eq!(ran.took - secs_and_a_half(3), SHUTDOWN_STEP);
    let (summary, calls) = ran.summary();
    assert_eq!(
        calls[3..],
        [Call::drain(), Call::commit(1, &[(0, 4)]), Call::leave()]
    );
    assert_eq!(summary.consumed, 4);
    assert!(summary.committed.is_empty(), "{:?}", summary.committed);
}

#[tokio::test(start_paused = true)]
async fn reaching_max_messages_commits_leaves_and_returns_the_summary() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log).on_join(1, &[0]);
    let script = [
        records(1_000, 0, 0, 3),
        records(1_000, 0, 3, 3),
        records(1_000, 0, 6, 3),
    ]
    .into_iter()
    .flatten()
    .collect::<Script>();
    let source = ScriptedSource::new(&log).on_read(script);
    let config = MemberConfig {
        max_messages: Some(5),
        ..member_config()
    };

    let ran = run(config, group, source, secs_and_a_half(60)).await;

    assert_eq!(
        ran.took,
        secs(2),
        "stopped at the answer that reached 5, not at the stop"
    );
    let (summary, calls) = ran.summary();
    assert_eq!(
        calls[3..],
        [Call::drain(), Call::commit(1, &[(0, 6)]), Call::leave()]
    );
    assert_eq!(summary.consumed, 6);
    assert_eq!(summary.committed, BTreeMap::from([(0, 6)]));
}

// ---------------------------------------------------------------------------------------------
// Group errors
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_fatal_group_error_ends_the_run_with_it() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log)
        .on_join(1, &[0])
        .on_heartbeat(Ok(()))
        .on_heartbeat(Err(GroupAuthorizationFailed));
    let source = ScriptedSource::new(&log).on_read(records(500, 0, 0, 3));

    let ran = run(member_config(), group, source, secs_and_a_half(30)).await;

    match &ran.result {
        Err(Error::Group(error)) => assert!(
            matches!(error.cause, Cause::Refused(GroupAuthorizationFailed)),
            "{error}"
        ),
        other => panic!("expected the group error, got {:?}", other.as_ref().err()),
    }
    assert_eq!(ran.took, secs(2));
    assert_eq!(ran.joins(), 1);
    assert!(
        !ran.calls.iter().any(|c| matches!(c, Call::Leave { .. })),
        "{:?}",
        ran.calls
    );
}

#[tokio::test(start_paused = true)]
async fn a_coordinator_unreachable_for_less_than_the_session_keeps_the_generation() {
    let log = Log::default();
    let group = ScriptedGroup::new(&log)
        .on_join(1, &[0])
        .on_heartbeat(Ok(()))
        .on_heartbeat(Err(CoordinatorNotAvailable))
        .on_heartbeat(Err(CoordinatorNotAvailable))
        .on_heartbeat(Err(CoordinatorNotAvailable));
    let script = [records(1_000, 0, 0, 2), records(5_000, 0, 2, 2)]
        .into_iter()
        .flatten()
        .collect::<Script>();
    let source = ScriptedSource::new(&log).on_read(script);

    let ran = run(member_config(), group, source, secs_and_a_half(7)).await;

    assert_eq!(ran.heartbeats, vec![1; 7]);
    let (summary, calls) = ran.summary();
    assert_eq!(
        calls,
        vec![
            Call::Join,
            Call::committed_offsets(&[0]),
            Call::start(&[(0, StartAt::Reset)]),
            Call::commit(1, &[(0, 2)]),
            Call::drain(),
            Call::commit(1, &[(0, 4)]),
            Call::leave(),
        ]
    );
    assert_eq!(summary.consumed, 4);
    assert_eq!((summary.generation, summary.rebalances), (Some(1), 0));
}

#[tokio::test(start_paused = true)]
async fn a_coordinator_unreachable_for_the_whole_session_gives_the_generation_up_and_rejoins() {
    let log = Log::default();
    let mut group = ScriptedGroup::new(&log)
        .on_join(1, &[0])
        .on_heartbeat(Ok(())); // at 1 s: the last heartbeat taken
    for _ in 0..20 {
        group = group.on_heartbeat(Err(CoordinatorNotAvailable));
    }
    let source = ScriptedSource::new(&log).on_read(records(1_000, 0, 0, 2));

    let ran = run(member_config(), group, source, secs_and_a_half(13)).await;

    // Heartbeats at 1..=11 s: the one at 11 s comes a whole session after the last taken.
    assert_eq!(ran.heartbeats, vec![1; 11]);
    let (summary, calls) = ran.summary();
    assert_eq!(
        calls,
        vec![
            Call::Join,
            Call::committed_offsets(&[0]),
            Call::start(&[(0, StartAt::Reset)]),
            Call::commit(1, &[(0, 2)]),
            Call::Stop,
            Call::Join, // never answered: the stop comes first
            Call::leave(),
        ]
    );
    assert_eq!(summary.consumed, 2);
}
