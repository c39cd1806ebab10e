//! The reader and its broker tasks against scripted brokers, without a network: leaders that
//! move, errors per partition and per answer, broken connections, offsets out of range, large
//! records, scans, stops and drains, checked on the records handed over, the requests each
//! broker saw, and the waits between them (paused time).

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    io,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use bytes::{Bytes, BytesMut};
use kafka_protocol::{
    error::ResponseError::{self, *},
    messages::{
        fetch_response::{FetchableTopicResponse, PartitionData},
        list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse},
        FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, TopicName,
    },
    protocol::StrBytes,
    records::{Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType},
};
use tokio::time::Instant;

use super::{
    link::{BrokerLink, Brokers},
    FetchConfig, Fetched, IsolationLevel, OffsetReset, Reader, StartAt,
};
use crate::{
    client::Error,
    cluster::{self, Layout},
    connection::ConnectionError,
};

const TOPIC: &str = "evenements";
const B1: &str = "b1:9092";
const B2: &str = "b2:9092";
/// How long a fetch may wait on the broker: what an idle scripted broker waits before an
/// empty answer.
const MAX_WAIT: Duration = Duration::from_millis(500);

// ---------------------------------------------------------------------------------------------
// The scripted brokers
// ---------------------------------------------------------------------------------------------

/// A request the reader made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    /// Where the topic's partitions are led.
    Metadata,
    /// A new link to a broker.
    Connect(String),
    /// A Fetch: (partition, offset, bytes asked for), in the request's order.
    Fetch {
        broker: String,
        positions: Vec<(i32, i64, i32)>,
    },
    /// A ListOffsets of `partitions` at `timestamp` (-2 earliest, -1 latest).
    ListOffsets {
        broker: String,
        partitions: Vec<i32>,
        timestamp: i64,
    },
    /// A Fetch dropped before its answer came (the reader stopped under it).
    Cancelled(String),
}

/// What a broker does with the next Fetch it gets.
enum Step {
    /// Answers at once.
    Answer(FetchResponse),
    /// The connection breaks.
    Fail(ConnectionError),
    /// Answers after a while.
    After(Duration, FetchResponse),
    /// Never answers.
    Hold,
}

/// What the brokers will do, and what they saw.
#[derive(Default)]
struct Script {
    /// The answers to Metadata in turn; the last one stays.
    layouts: VecDeque<Layout>,
    /// broker → its next Fetch answers; once they run out, it waits [`MAX_WAIT`] and answers
    /// every partition with nothing new.
    fetches: HashMap<String, VecDeque<Step>>,
    /// broker → partition → (earliest, latest) offset, for ListOffsets.
    offsets: HashMap<String, BTreeMap<i32, (i64, i64)>>,
    /// broker → how many connections it refuses before it accepts one.
    refusals: HashMap<String, usize>,
    /// Every request, when it was made.
    calls: Vec<(Instant, Call)>,
}

/// The scripted cluster: cloned into every task of the reader.
#[derive(Clone, Default)]
struct Scripted(Arc<Mutex<Script>>);

impl Scripted {
    fn script(&self) -> MutexGuard<'_, Script> {
        self.0.lock().expect("a test thread panicked")
    }

    fn log(&self, call: Call) {
        self.script().calls.push((Instant::now(), call));
    }

    fn leads(self, layout: Layout) -> Scripted {
        self.script().layouts.push_back(layout);
        self
    }

    fn answers(self, broker: &str, steps: impl IntoIterator<Item = Step>) -> Scripted {
        self.script()
            .fetches
            .entry(broker.to_string())
            .or_default()
            .extend(steps);
        self
    }

    fn offsets(self, broker: &str, partition: i32, earliest: i64, latest: i64) -> Scripted {
        self.script()
            .offsets
            .entry(broker.to_string())
            .or_default()
            .insert(partition, (earliest, latest));
        self
    }

    fn refuses(self, broker: &str, times: usize) -> Scripted {
        self.script().refusals.insert(broker.to_string(), times);
        self
    }

    fn calls(&self) -> Vec<Call> {
        self.script().calls.iter().map(|(_, c)| c.clone()).collect()
    }

    fn times_of(&self, wanted: impl Fn(&Call) -> bool) -> Vec<Instant> {
        self.script()
            .calls
            .iter()
            .filter(|(_, c)| wanted(c))
            .map(|(at, _)| *at)
            .collect()
    }

    /// The Fetches `broker` got: (partition, offset) by partition.
    fn fetches(&self, broker: &str) -> Vec<Vec<(i32, i64)>> {
        self.calls()
            .into_iter()
            .filter_map(|call| match call {
                Call::Fetch {
                    broker: b,
                    positions,
                } if b == broker => {
                    let mut asked: Vec<(i32, i64)> =
                        positions.iter().map(|(p, o, _)| (*p, *o)).collect();
                    asked.sort_unstable();
                    Some(asked)
                }
                _ => None,
            })
            .collect()
    }
}

impl Brokers for Scripted {
    type Link = ScriptedLink;

    async fn connect(&self, address: &str) -> Result<ScriptedLink, ConnectionError> {
        self.log(Call::Connect(address.to_string()));
        let refused = match self.script().refusals.get_mut(address) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        };
        if refused {
            return Err(broken(address, io::ErrorKind::ConnectionRefused));
        }
        Ok(ScriptedLink {
            address: address.to_string(),
            brokers: self.clone(),
        })
    }

    async fn topic_layout(&self, topic: &str) -> cluster::Result<Layout> {
        assert_eq!(topic, TOPIC);
        self.log(Call::Metadata);
        let mut script = self.script();
        let layout = if script.layouts.len() > 1 {
            script.layouts.pop_front()
        } else {
            script.layouts.front().cloned()
        };
        Ok(layout.expect("the test scripts a layout"))
    }
}

/// A link to one scripted broker.
struct ScriptedLink {
    address: String,
    brokers: Scripted,
}

/// Logs a Fetch as cancelled when dropped before its answer.
struct Pending<'a> {
    link: &'a ScriptedLink,
    answered: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.link
                .brokers
                .log(Call::Cancelled(self.link.address.clone()));
        }
    }
}

impl BrokerLink for ScriptedLink {
    async fn fetch(&mut self, request: &FetchRequest) -> Result<FetchResponse, ConnectionError> {
        let positions: Vec<(i32, i64, i32)> = request
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|p| (p.partition, p.fetch_offset, p.partition_max_bytes))
            .collect();
        self.brokers.log(Call::Fetch {
            broker: self.address.clone(),
            positions: positions.clone(),
        });
        let step = self
            .brokers
            .script()
            .fetches
            .get_mut(&self.address)
            .and_then(VecDeque::pop_front);
        let mut pending = Pending {
            link: self,
            answered: false,
        };
        let answer = match step {
            Some(Step::Answer(response)) => Ok(response),
            Some(Step::Fail(error)) => Err(error),
            Some(Step::After(wait, response)) => {
                tokio::time::sleep(wait).await;
                Ok(response)
            }
            Some(Step::Hold) => std::future::pending().await,
            None => {
                let wait = u64::try_from(request.max_wait_ms).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let nothing_new = positions
                    .iter()
                    .map(|(partition, offset, _)| records(*partition, *offset, &[]))
                    .collect();
                Ok(answer(nothing_new))
            }
        };
        pending.answered = true;
        answer
    }

    async fn list_offsets(
        &mut self,
        request: &ListOffsetsRequest,
    ) -> Result<ListOffsetsResponse, ConnectionError> {
        let asked = &request.topics[0].partitions;
        let partitions: Vec<i32> = asked.iter().map(|p| p.partition_index).collect();
        let timestamp = asked[0].timestamp;
        self.brokers.log(Call::ListOffsets {
            broker: self.address.clone(),
            partitions: partitions.clone(),
            timestamp,
        });
        let script = self.brokers.script();
        let known = script.offsets.get(&self.address);
        let listed = partitions
            .iter()
            .map(|partition| {
                let (earliest, latest) = known
                    .and_then(|k| k.get(partition))
                    .copied()
                    .unwrap_or((0, 0));
                ListOffsetsPartitionResponse::default()
                    .with_partition_index(*partition)
                    .with_offset(if timestamp == -2 { earliest } else { latest })
            })
            .collect();
        Ok(
            ListOffsetsResponse::default().with_topics(vec![ListOffsetsTopicResponse::default()
                .with_name(topic_name())
                .with_partitions(listed)]),
        )
    }
}

fn broken(broker: &str, kind: io::ErrorKind) -> ConnectionError {
    ConnectionError::Io {
        broker: broker.to_string(),
        source: io::Error::new(kind, "scripted"),
    }
}

// ---------------------------------------------------------------------------------------------
// Answers, batches, layouts
// ---------------------------------------------------------------------------------------------

fn topic_name() -> TopicName {
    TopicName(StrBytes::from_static_str(TOPIC))
}

/// A Fetch answer with these partitions.
fn answer(partitions: Vec<PartitionData>) -> FetchResponse {
    FetchResponse::default().with_responses(vec![FetchableTopicResponse::default()
        .with_topic(topic_name())
        .with_partitions(partitions)])
}

/// A partition's part of an answer: these batches, at this high watermark.
fn records(partition: i32, high_watermark: i64, batches: &[Bytes]) -> PartitionData {
    PartitionData::default()
        .with_partition_index(partition)
        .with_high_watermark(high_watermark)
        .with_last_stable_offset(high_watermark)
        .with_records(Some(batches.concat().into()))
}

/// A partition's part of an answer: this error.
fn failed(partition: i32, error: ResponseError) -> PartitionData {
    PartitionData::default()
        .with_partition_index(partition)
        .with_error_code(error.code())
        .with_high_watermark(-1)
}

/// One batch of `count` records from `first`, each worth `"v{offset}"` and `padding` bytes of
/// header value.
fn padded_batch(first: i64, count: i64, padding: usize) -> Bytes {
    let records: Vec<Record> = (first..first + count)
        .map(|offset| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset,
            // One batch: the encoder starts a new one where offset - sequence changes.
            sequence: i32::try_from(offset - first).expect("a small batch"),
            timestamp: 1_700_000_000_000 + offset,
            key: None,
            value: Some(Bytes::from(format!("v{offset}{}", " ".repeat(padding)))),
            headers: Default::default(),
            delete_horizon: false,
        })
        .collect();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(&mut buf, &records, &options).expect("encodes");
    buf.freeze()
}

fn batch(first: i64, count: i64) -> Bytes {
    padded_batch(first, count, 0)
}

/// `batch` without its last bytes, as a broker cuts an answer at its byte limit.
fn cut(batch: Bytes) -> Bytes {
    batch.slice(..batch.len() - 7)
}

/// Each partition led by the broker named with it.
fn layout(leaders: &[(i32, &str)]) -> Layout {
    let node = |broker: &str| if broker == B1 { 1 } else { 2 };
    Layout {
        brokers: [(1, B1.to_string()), (2, B2.to_string())].into(),
        leaders: leaders.iter().map(|(p, b)| (*p, node(b))).collect(),
        partitions: leaders.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

fn config() -> FetchConfig {
    FetchConfig {
        topic: TOPIC.to_string(),
        max_wait: MAX_WAIT,
        partition_max_bytes: FetchConfig::DEFAULT_PARTITION_MAX_BYTES,
        max_bytes: 4 * FetchConfig::DEFAULT_PARTITION_MAX_BYTES,
        isolation: IsolationLevel::ReadUncommitted,
        reset: OffsetReset::Earliest,
        until_end: false,
    }
}

fn start(brokers: &Scripted, config: FetchConfig, partitions: &[(i32, StartAt)]) -> Reader {
    Reader::start_on(
        brokers.clone(),
        config,
        partitions.iter().copied().collect(),
    )
}

/// The next answer handed over.
async fn next(reader: &mut Reader) -> Fetched {
    reader
        .next()
        .await
        .expect("the read goes on")
        .expect("no error")
}

/// The next answer handed over that holds records (answers with nothing new are skipped).
async fn next_records(reader: &mut Reader) -> Fetched {
    loop {
        let fetched = next(reader).await;
        if !offsets(&fetched).is_empty() {
            return fetched;
        }
    }
}

/// The offsets of the records of `fetched`, each checked against its value.
fn offsets(fetched: &Fetched) -> Vec<i64> {
    fetched
        .records()
        .map(|record| {
            let record = record.expect("decodes");
            let value = String::from_utf8_lossy(record.value.unwrap_or_default());
            assert_eq!(value.trim_end(), format!("v{}", record.offset));
            record.offset
        })
        .collect()
}

/// Lets every task run until it waits on the clock (which is paused) or on a broker.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

fn millis(from: Instant, to: Instant) -> u128 {
    to.duration_since(from).as_millis()
}

fn fetch(broker: &str, positions: &[(i32, i64)]) -> Call {
    Call::Fetch {
        broker: broker.to_string(),
        positions: positions
            .iter()
            .map(|(p, o)| (*p, *o, FetchConfig::DEFAULT_PARTITION_MAX_BYTES))
            .collect(),
    }
}

fn connect(broker: &str) -> Call {
    Call::Connect(broker.to_string())
}

fn is_metadata(call: &Call) -> bool {
    *call == Call::Metadata
}

fn is_fetch(call: &Call) -> bool {
    matches!(call, Call::Fetch { .. })
}

// ---------------------------------------------------------------------------------------------
// Leaders
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_partition_whose_leader_moved_is_fetched_from_its_new_leader_from_the_same_offset() {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1)]))
        .leads(layout(&[(0, B2)]))
        .answers(
            B1,
            [
                Step::Answer(answer(vec![records(0, 3, &[batch(0, 3)])])),
                Step::Answer(answer(vec![failed(0, NotLeaderOrFollower)])),
            ],
        )
        .answers(
            B2,
            [Step::Answer(answer(vec![records(0, 5, &[batch(3, 2)])]))],
        );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(0))]);

    let first = next(&mut reader).await;
    assert_eq!((first.partition, offsets(&first)), (0, vec![0, 1, 2]));
    assert_eq!(first.next_offset, 3);
    let second = next(&mut reader).await;
    assert_eq!((second.partition, offsets(&second)), (0, vec![3, 4]));
    assert_eq!((second.next_offset, second.high_watermark), (5, 5));

    assert_eq!(
        brokers.calls()[..7],
        [
            Call::Metadata,
            connect(B1),
            fetch(B1, &[(0, 0)]),
            fetch(B1, &[(0, 3)]),
            Call::Metadata,
            connect(B2),
            fetch(B2, &[(0, 3)]),
        ]
    );
    assert_eq!(brokers.fetches(B1).len(), 2, "B1 is not asked again");
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn a_partition_whose_leader_moved_leaves_the_others_fetched_on_their_broker() {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1), (1, B1)]))
        .leads(layout(&[(0, B2), (1, B1)]))
        .answers(
            B1,
            [
                Step::Answer(answer(vec![
                    failed(0, FencedLeaderEpoch),
                    records(1, 2, &[batch(0, 2)]),
                ])),
                Step::Answer(answer(vec![records(1, 3, &[batch(2, 1)])])),
            ],
        )
        .answers(
            B2,
            [Step::Answer(answer(vec![records(0, 1, &[batch(0, 1)])]))],
        );
    let mut reader = start(
        &brokers,
        config(),
        &[(0, StartAt::Offset(0)), (1, StartAt::Offset(0))],
    );

    let mut seen: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    while seen.values().map(Vec::len).sum::<usize>() < 4 {
        let fetched = next_records(&mut reader).await;
        seen.entry(fetched.partition)
            .or_default()
            .extend(offsets(&fetched));
    }
    assert_eq!(seen, BTreeMap::from([(0, vec![0]), (1, vec![0, 1, 2])]));
    assert_eq!(
        brokers.fetches(B1)[..2],
        [vec![(0, 0), (1, 0)], vec![(1, 2)]]
    );
    assert_eq!(brokers.fetches(B2)[0], [(0, 0)]);
    assert!(
        brokers.fetches(B1)[1..]
            .iter()
            .all(|asked| asked.iter().all(|(partition, _)| *partition == 1)),
        "B1 is not asked for partition 0 again"
    );
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn each_broker_is_asked_only_for_the_partitions_it_leads_in_one_request() {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1), (1, B2), (2, B1)]))
        .answers(
            B1,
            [Step::Answer(answer(vec![
                records(0, 1, &[batch(0, 1)]),
                records(2, 11, &[batch(10, 1)]),
            ]))],
        )
        .answers(
            B2,
            [Step::Answer(answer(vec![records(1, 6, &[batch(5, 1)])]))],
        );
    let mut reader = start(
        &brokers,
        config(),
        &[
            (0, StartAt::Offset(0)),
            (1, StartAt::Offset(5)),
            (2, StartAt::Offset(10)),
        ],
    );

    let mut seen = BTreeMap::new();
    for _ in 0..3 {
        let fetched = next_records(&mut reader).await;
        seen.insert(fetched.partition, offsets(&fetched));
    }
    assert_eq!(
        seen,
        BTreeMap::from([(0, vec![0]), (1, vec![5]), (2, vec![10])])
    );
    assert_eq!(brokers.fetches(B1)[0], [(0, 0), (2, 10)]);
    assert_eq!(brokers.fetches(B2)[0], [(1, 5)]);
    let calls = brokers.calls();
    assert_eq!(calls.iter().filter(|c| is_metadata(c)).count(), 1);
    assert_eq!(calls.iter().filter(|c| **c == connect(B1)).count(), 1);
    assert_eq!(calls.iter().filter(|c| **c == connect(B2)).count(), 1);
    reader.stop();
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_partition_error_leaves_the_other_partitions_of_the_answer_delivered() {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1), (1, B1)]))
        .answers(
            B1,
            [
                Step::Answer(answer(vec![
                    records(0, 2, &[batch(0, 2)]),
                    failed(1, UnknownServerError),
                ])),
                Step::Answer(answer(vec![records(1, 1, &[batch(0, 1)])])),
            ],
        );
    let mut reader = start(
        &brokers,
        config(),
        &[(0, StartAt::Offset(0)), (1, StartAt::Offset(0))],
    );

    let first = next(&mut reader).await;
    assert_eq!((first.partition, offsets(&first)), (0, vec![0, 1]));
    let second = next(&mut reader).await;
    assert_eq!((second.partition, offsets(&second)), (1, vec![0]));
    assert_eq!(second.next_offset, 1);

    assert_eq!(
        brokers.fetches(B1)[..2],
        [vec![(0, 0), (1, 0)], vec![(0, 2), (1, 0)]],
        "the failed partition is asked again from the same offset"
    );
    let fetched_at = brokers.times_of(is_fetch);
    let waited = millis(fetched_at[0], fetched_at[1]);
    assert!((80..=120).contains(&waited), "retried after {waited} ms");
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn an_empty_answer_hands_over_no_record_and_the_partition_is_fetched_again_from_the_same_offset(
) {
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [
            Step::Answer(answer(vec![records(0, 5, &[])])),
            Step::Answer(answer(vec![records(0, 6, &[batch(5, 1)])])),
        ],
    );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(5))]);

    let empty = next(&mut reader).await;
    assert_eq!(offsets(&empty), Vec::<i64>::new());
    assert_eq!((empty.next_offset, empty.high_watermark), (5, 5));
    let then = next(&mut reader).await;
    assert_eq!(offsets(&then), [5]);
    assert_eq!(then.next_offset, 6);

    assert_eq!(brokers.fetches(B1)[..2], [vec![(0, 5)], vec![(0, 5)]]);
    let fetched_at = brokers.times_of(is_fetch);
    assert_eq!(
        fetched_at[0], fetched_at[1],
        "fetched again at once: the broker's wait paces an idle partition"
    );
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn a_batch_cut_at_the_end_of_an_answer_is_fetched_again_after_the_last_complete_one() {
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [
            Step::Answer(answer(vec![records(
                0,
                5,
                &[batch(0, 3), cut(batch(3, 2))],
            )])),
            Step::Answer(answer(vec![records(0, 5, &[batch(3, 2)])])),
        ],
    );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(0))]);

    let complete = next(&mut reader).await;
    assert_eq!(offsets(&complete), [0, 1, 2]);
    assert_eq!(complete.next_offset, 3);
    let rest = next(&mut reader).await;
    assert_eq!(offsets(&rest), [3, 4]);
    assert_eq!(rest.next_offset, 5);
    assert_eq!(brokers.fetches(B1)[..2], [vec![(0, 0)], vec![(0, 3)]]);
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn records_of_a_batch_below_the_fetched_offset_are_not_handed_over_again() {
    // A compressed batch is always sent whole: fetched from 2, the batch from 0 comes back.
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [Step::Answer(answer(vec![records(0, 5, &[batch(0, 5)])]))],
    );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(2))]);

    let fetched = next(&mut reader).await;
    assert_eq!(offsets(&fetched), [2, 3, 4]);
    assert_eq!(fetched.next_offset, 5);
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn an_answer_refused_whole_is_retried_on_the_same_broker_after_growing_waits() {
    let refused =
        || Step::Answer(FetchResponse::default().with_error_code(FetchSessionIdNotFound.code()));
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [
            refused(),
            refused(),
            refused(),
            Step::Answer(answer(vec![records(0, 2, &[batch(0, 2)])])),
        ],
    );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(0))]);

    let fetched = next(&mut reader).await;
    assert_eq!(offsets(&fetched), [0, 1], "nothing handed over before");

    assert_eq!(brokers.fetches(B1)[..4], vec![vec![(0, 0)]; 4]);
    let fetched_at = brokers.times_of(is_fetch);
    let waits: Vec<u128> = fetched_at
        .windows(2)
        .take(3)
        .map(|w| millis(w[0], w[1]))
        .collect();
    assert!((80..=120).contains(&waits[0]), "waits {waits:?}");
    assert!((160..=240).contains(&waits[1]), "waits {waits:?}");
    assert!((320..=480).contains(&waits[2]), "waits {waits:?}");
    let calls = brokers.calls();
    assert_eq!(
        calls.iter().filter(|c| is_metadata(c)).count(),
        1,
        "kept on its broker"
    );
    assert_eq!(calls.iter().filter(|c| **c == connect(B1)).count(), 1);
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn a_topic_authorization_failure_ends_the_read_with_that_error() {
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [Step::Answer(answer(vec![failed(
            0,
            TopicAuthorizationFailed,
        )]))],
    );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(0))]);

    let error = reader
        .next()
        .await
        .expect("an answer")
        .expect_err("an error");
    assert!(
        matches!(
            error,
            Error::Broker {
                request: "Fetch",
                code: TopicAuthorizationFailed,
                ..
            }
        ),
        "{error:?}"
    );
    settle().await;
    assert_eq!(brokers.fetches(B1).len(), 1, "not asked again");
    reader.stop();
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_broken_connection_gives_its_partitions_back_to_be_placed_again_after_growing_waits() {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1), (1, B1)]))
        .answers(
            B1,
            [
                Step::Answer(answer(vec![
                    records(0, 1, &[batch(0, 1)]),
                    records(1, 1, &[batch(0, 1)]),
                ])),
                Step::Fail(broken(B1, io::ErrorKind::ConnectionReset)),
                Step::Fail(broken(B1, io::ErrorKind::ConnectionReset)),
                Step::Fail(broken(B1, io::ErrorKind::ConnectionReset)),
                Step::Answer(answer(vec![
                    records(0, 2, &[batch(1, 1)]),
                    records(1, 2, &[batch(1, 1)]),
                ])),
            ],
        );
    let mut reader = start(
        &brokers,
        config(),
        &[(0, StartAt::Offset(0)), (1, StartAt::Offset(0))],
    );

    let mut seen: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for _ in 0..4 {
        let fetched = next_records(&mut reader).await;
        seen.entry(fetched.partition)
            .or_default()
            .extend(offsets(&fetched));
    }
    assert_eq!(seen, BTreeMap::from([(0, vec![0, 1]), (1, vec![0, 1])]));
    assert_eq!(
        brokers.fetches(B1)[..5],
        [
            vec![(0, 0), (1, 0)],
            vec![(0, 1), (1, 1)],
            vec![(0, 1), (1, 1)],
            vec![(0, 1), (1, 1)],
            vec![(0, 1), (1, 1)],
        ],
        "fetched again from where the broken connection left them"
    );
    let asked_at = brokers.times_of(is_metadata);
    let waits: Vec<u128> = asked_at.windows(2).map(|w| millis(w[0], w[1])).collect();
    assert_eq!(waits.len(), 3, "leaders asked again after each break");
    assert!((80..=120).contains(&waits[0]), "waits {waits:?}");
    assert!((160..=240).contains(&waits[1]), "waits {waits:?}");
    assert!((320..=480).contains(&waits[2]), "waits {waits:?}");
    assert_eq!(
        brokers
            .calls()
            .iter()
            .filter(|c| **c == connect(B1))
            .count(),
        4,
        "a new connection each time"
    );
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn a_broker_that_cannot_be_reached_gets_its_partitions_once_it_can() {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1)]))
        .refuses(B1, 2)
        .answers(
            B1,
            [Step::Answer(answer(vec![records(0, 1, &[batch(0, 1)])]))],
        );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(0))]);

    let fetched = next(&mut reader).await;
    assert_eq!(offsets(&fetched), [0]);
    assert_eq!(
        brokers.calls()[..7],
        [
            Call::Metadata,
            connect(B1),
            Call::Metadata,
            connect(B1),
            Call::Metadata,
            connect(B1),
            fetch(B1, &[(0, 0)]),
        ]
    );
    reader.stop();
}

// ---------------------------------------------------------------------------------------------
// Offsets
// ---------------------------------------------------------------------------------------------

/// A read of partition 0 from 100, out of the broker's range [20, 50]: where it goes with
/// `reset`, and the records it reads there.
async fn out_of_range(reset: OffsetReset, resumes_at: i64) {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1)]))
        .offsets(B1, 0, 20, 50)
        .answers(
            B1,
            [
                Step::Answer(answer(vec![failed(0, OffsetOutOfRange)])),
                Step::Answer(answer(vec![records(0, 52, &[batch(resumes_at, 2)])])),
            ],
        );
    let config = FetchConfig { reset, ..config() };
    let mut reader = start(&brokers, config, &[(0, StartAt::Offset(100))]);

    let fetched = next(&mut reader).await;
    assert_eq!(offsets(&fetched), [resumes_at, resumes_at + 1]);
    assert_eq!(fetched.next_offset, resumes_at + 2);
    assert_eq!(
        brokers.calls()[2..5],
        [
            fetch(B1, &[(0, 100)]),
            Call::ListOffsets {
                broker: B1.to_string(),
                partitions: vec![0],
                timestamp: if reset == OffsetReset::Earliest {
                    -2
                } else {
                    -1
                },
            },
            fetch(B1, &[(0, resumes_at)]),
        ]
    );
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn an_offset_out_of_range_resumes_at_the_earliest_offset_under_the_earliest_policy() {
    out_of_range(OffsetReset::Earliest, 20).await;
}

#[tokio::test(start_paused = true)]
async fn an_offset_out_of_range_resumes_at_the_end_offset_under_the_latest_policy() {
    out_of_range(OffsetReset::Latest, 50).await;
}

#[tokio::test(start_paused = true)]
async fn a_record_larger_than_the_partition_fetch_size_grows_the_next_fetches_until_it_comes() {
    let nothing = || Step::Answer(answer(vec![records(0, 1, &[])]));
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [
            nothing(),
            nothing(),
            Step::Answer(answer(vec![records(0, 1, &[padded_batch(0, 1, 3000)])])),
        ],
    );
    let config = FetchConfig {
        partition_max_bytes: 1024,
        max_bytes: 4096,
        ..config()
    };
    let mut reader = start(&brokers, config, &[(0, StartAt::Offset(0))]);

    let large = next_records(&mut reader).await;
    assert_eq!(offsets(&large), [0]);
    settle().await;
    let asked: Vec<i32> = brokers
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::Fetch { positions, .. } => Some(positions[0].2),
            _ => None,
        })
        .collect();
    assert_eq!(
        asked,
        [1024, 2048, 4096, 1024],
        "doubled to the maximum, then back to the usual size"
    );
    assert_eq!(brokers.fetches(B1)[..3], vec![vec![(0, 0)]; 3]);
    reader.stop();
}

#[tokio::test(start_paused = true)]
async fn a_scan_ends_once_every_partition_reached_its_end_offset() {
    let brokers = Scripted::default()
        .leads(layout(&[(0, B1), (1, B1)]))
        .offsets(B1, 0, 0, 3)
        .offsets(B1, 1, 0, 0)
        .answers(
            B1,
            [Step::Answer(answer(vec![records(0, 3, &[batch(0, 3)])]))],
        );
    let config = FetchConfig {
        until_end: true,
        ..config()
    };
    let mut reader = start(
        &brokers,
        config,
        &[(0, StartAt::Offset(0)), (1, StartAt::Offset(0))],
    );

    let fetched = next(&mut reader).await;
    assert_eq!((fetched.partition, offsets(&fetched)), (0, vec![0, 1, 2]));
    assert!(reader.next().await.is_none(), "the scan is over");
    assert_eq!(
        brokers.calls(),
        [
            Call::Metadata,
            connect(B1),
            Call::ListOffsets {
                broker: B1.to_string(),
                partitions: vec![0, 1],
                timestamp: -1,
            },
            fetch(B1, &[(0, 0)]),
        ],
        "the empty partition is never fetched"
    );
}

// ---------------------------------------------------------------------------------------------
// Stopping
// ---------------------------------------------------------------------------------------------

/// A reader of partition 0 on B1 that read [0, 1] and whose next fetch `next_fetch` does.
async fn reading(next_fetch: Step) -> (Scripted, Reader) {
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [
            Step::Answer(answer(vec![records(0, 2, &[batch(0, 2)])])),
            next_fetch,
        ],
    );
    let mut reader = start(&brokers, config(), &[(0, StartAt::Offset(0))]);
    assert_eq!(offsets(&next(&mut reader).await), [0, 1]);
    settle().await;
    assert_eq!(brokers.fetches(B1), [vec![(0, 0)], vec![(0, 2)]]);
    (brokers, reader)
}

#[tokio::test(start_paused = true)]
async fn a_stop_in_the_middle_of_a_fetch_drops_it_at_once() {
    let (brokers, reader) = reading(Step::Hold).await;

    reader.stop();
    settle().await;
    assert_eq!(
        brokers.calls().last(),
        Some(&Call::Cancelled(B1.to_string()))
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        brokers.fetches(B1).len(),
        2,
        "nothing fetched after the stop"
    );
}

#[tokio::test(start_paused = true)]
async fn a_drain_lets_the_fetch_in_flight_come_back_and_fetches_nothing_more() {
    let late = answer(vec![records(0, 4, &[batch(2, 2)])]);
    let (brokers, reader) = reading(Step::After(Duration::from_millis(300), late)).await;

    let draining = Instant::now();
    reader.drain(Duration::from_secs(5)).await;
    let took = draining.elapsed();
    assert!(
        (Duration::from_millis(299)..Duration::from_millis(310)).contains(&took),
        "drained in {took:?}"
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(
        !brokers.calls().contains(&Call::Cancelled(B1.to_string())),
        "the fetch came back: {:?}",
        brokers.calls()
    );
    assert_eq!(
        brokers.fetches(B1).len(),
        2,
        "nothing fetched after the drain"
    );
}

#[tokio::test(start_paused = true)]
async fn a_drain_gives_up_on_a_fetch_that_does_not_come_back_within_its_limit() {
    let (brokers, reader) = reading(Step::Hold).await;

    let draining = Instant::now();
    reader.drain(Duration::from_secs(1)).await;
    assert_eq!(draining.elapsed(), Duration::from_secs(1));
    settle().await;
    assert_eq!(
        brokers.calls().last(),
        Some(&Call::Cancelled(B1.to_string()))
    );
    assert_eq!(brokers.fetches(B1).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_drain_while_a_broker_waits_to_retry_returns_at_once_without_fetching_again() {
    let brokers = Scripted::default().leads(layout(&[(0, B1)])).answers(
        B1,
        [Step::Answer(answer(vec![failed(0, UnknownServerError)]))],
    );
    let reader = start(&brokers, config(), &[(0, StartAt::Offset(0))]);
    settle().await;
    assert_eq!(brokers.fetches(B1).len(), 1);

    let draining = Instant::now();
    reader.drain(Duration::from_secs(5)).await;
    assert!(
        draining.elapsed() < Duration::from_millis(5),
        "{:?}",
        draining.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        brokers.fetches(B1).len(),
        1,
        "nothing fetched after the drain"
    );
}
