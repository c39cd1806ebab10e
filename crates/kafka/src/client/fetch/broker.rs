//! One broker's fetch loop: a Fetch for every partition it leads for us, the answer checked
//! and decompressed here, then handed over per partition while the next Fetch is in flight.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use kafka_protocol::error::ResponseError;
use tokio::sync::mpsc;

use super::size::Answer;
use super::{
    link::{BrokerLink, Brokers},
    partition::PartitionState,
    requests::{
        fetch_request, list_offsets_request, listed_offsets, partition_answers, FetchPosition,
        FetchShape, PartitionAnswer,
    },
    transactions::AbortedTransactions,
    FetchConfig, Fetched, IsolationLevel, OffsetReset, StartAt,
};
use crate::{
    backoff::Backoff,
    client::{Error, Result},
    connection::ConnectionError,
    protocol::records::{self, RecordBatch},
};

/// How long a broker has to answer, beyond the fetch's own wait (Kafka's `request.timeout.ms`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What a broker task tells the reader.
#[derive(Debug)]
pub(super) enum Report {
    /// This partition is no longer fetched here (its leader moved, or the broker is gone):
    /// the reader finds its leader again.
    Moved(PartitionState),
    /// A scan read this partition to its end.
    Done(i32),
}

/// Why a round of fetching ended the task.
enum Stop {
    /// The connection broke or timed out: every partition goes back to the reader.
    Connection(Box<Error>),
    /// The reader's caller stopped reading.
    Unread,
    /// An error the caller must see (corrupt records, no authorization).
    Fatal(Box<Error>),
}

/// What a round asks of the next.
#[derive(Debug, PartialEq, Eq)]
enum Pace {
    /// Fetch again at once.
    Now,
    /// Fetch again after a backoff: a retriable error, or nothing readable for now.
    Later,
}

/// The fetch loop of one broker.
pub(super) struct BrokerTask<B: Brokers> {
    /// The broker's `host:port`.
    pub address: String,
    /// The cluster, for connecting.
    pub cluster: B,
    /// How to fetch.
    pub config: Arc<FetchConfig>,
    /// The partitions fetched here.
    pub partitions: BTreeMap<i32, PartitionState>,
    /// Partitions the reader hands to this broker.
    pub adopt: mpsc::UnboundedReceiver<PartitionState>,
    /// Partitions handed back, scans done.
    pub reports: mpsc::UnboundedSender<Report>,
    /// Fetched records, to the reader's caller.
    pub out: mpsc::Sender<Result<Fetched>>,
    /// Rounds fetched so far: which partition comes first in the next request.
    pub rounds: usize,
}

impl<B: Brokers> BrokerTask<B> {
    /// Fetches until the reader's caller stops reading, the connection breaks (partitions go
    /// back to the reader), or no partition is left here.
    pub async fn run(mut self) {
        let mut retry = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut link = match self.cluster.connect(&self.address).await {
            Ok(link) => link,
            // Retrying cannot fix the settings: the caller sees the error.
            Err(error) if error.is_fatal_security() => {
                let _ = self.out.send(Err(error.into())).await;
                return;
            }
            Err(error) => return self.give_all_back(&error.into()),
        };
        while self.take_adopted().await {
            match self.round(&mut link).await {
                Ok(Pace::Now) => retry.reset(),
                Ok(Pace::Later) => tokio::select! {
                    () = retry.wait() => {}
                    // Nothing more is fetched for a caller who stopped reading.
                    () = self.out.closed() => return,
                },
                Err(Stop::Connection(error)) => return self.give_all_back(&error),
                Err(Stop::Unread) => return,
                Err(Stop::Fatal(error)) => {
                    let _ = self.out.send(Err(*error)).await;
                    return;
                }
            }
        }
    }

    /// Takes the partitions handed over since the last round, waiting for one when none is
    /// left here; false when the reader is gone.
    async fn take_adopted(&mut self) -> bool {
        if self.partitions.is_empty() {
            match self.adopt.recv().await {
                Some(state) => self.adopt_one(state),
                None => return false,
            }
        }
        while let Ok(state) = self.adopt.try_recv() {
            self.adopt_one(state);
        }
        true
    }

    fn adopt_one(&mut self, state: PartitionState) {
        self.partitions.insert(state.partition, state);
    }

    /// Gives every partition back to the reader, also those handed over but not taken yet,
    /// and ends the task.
    fn give_all_back(mut self, error: &Error) {
        tracing::info!(broker = %self.address, %error, "fetching from this broker stopped: finding the partitions' leaders again");
        self.adopt.close();
        while let Ok(state) = self.adopt.try_recv() {
            self.adopt_one(state);
        }
        for (_, state) in std::mem::take(&mut self.partitions) {
            let _ = self.reports.send(Report::Moved(state));
        }
    }

    /// One Fetch of every partition, and its answer handed over.
    async fn round(&mut self, link: &mut B::Link) -> Result<Pace, Stop> {
        self.place_unplaced(link).await?;
        self.finish_scanned();
        let mut positions: Vec<FetchPosition> = self
            .partitions
            .values()
            .filter_map(|state| {
                Some(FetchPosition {
                    partition: state.partition,
                    offset: state.offset()?,
                    max_bytes: state.size.bytes(),
                })
            })
            .collect();
        if positions.is_empty() {
            return Ok(Pace::Later);
        }
        // Brokers fill an answer in the request's partition order until its byte limit: each
        // round starts from another partition, so that none waits behind the others for long.
        self.rounds = self.rounds.wrapping_add(1);
        let first = self.rounds % positions.len();
        positions.rotate_left(first);
        let limit = answer_limit(self.config.max_bytes, &positions);
        let Some(answers) = self.fetch(link, &positions, limit).await? else {
            return Ok(Pace::Later);
        };
        let answered: usize = answers.iter().map(|a| a.records.len()).sum();
        let mut pace = Pace::Now;
        for answer in answers {
            // An empty answer says something about the partition only when the whole answer
            // had room left for it; otherwise the others filled it.
            let room = self
                .partitions
                .get(&answer.partition)
                .is_some_and(|s| answered + bytes(s.size.bytes()) <= bytes(limit));
            if self.take_answer(answer, room).await? == Pace::Later {
                pace = Pace::Later;
            }
        }
        Ok(pace)
    }

    /// The answer's partitions; `None` when the broker refused the whole answer.
    async fn fetch(
        &self,
        link: &mut B::Link,
        positions: &[FetchPosition],
        max_bytes: i32,
    ) -> Result<Option<Vec<PartitionAnswer>>, Stop> {
        if self.out.is_closed() {
            return Err(Stop::Unread);
        }
        let shape = FetchShape {
            max_wait_ms: i32::try_from(self.config.max_wait.as_millis()).unwrap_or(i32::MAX),
            max_bytes,
            isolation: self.config.isolation,
        };
        let request = fetch_request(&self.config.topic, shape, positions);
        tracing::trace!(broker = %self.address, ?positions, "fetching");
        let response = self.within_timeout(link.fetch(&request), "Fetch").await?;
        match partition_answers(response, &self.config.topic) {
            Ok(answers) => Ok(Some(answers)),
            // An error of the whole answer (a fetch session we never opened, a throttle):
            // retried on this broker after a backoff, nothing handed over.
            Err(error) => {
                tracing::warn!(broker = %self.address, ?error, "fetch refused, retrying");
                Ok(None)
            }
        }
    }

    async fn within_timeout<T>(
        &self,
        request: impl std::future::Future<Output = Result<T, ConnectionError>>,
        what: &'static str,
    ) -> Result<T, Stop> {
        let timeout = self.config.max_wait + REQUEST_TIMEOUT;
        match tokio::time::timeout(timeout, request).await {
            Ok(Ok(answer)) => Ok(answer),
            // The broker answers what we cannot read, or not at our versions: trying again
            // would fail again.
            Ok(Err(
                error @ (ConnectionError::Undecodable(_)
                | ConnectionError::UnsupportedVersion { .. }),
            )) => Err(Stop::Fatal(Box::new(error.into()))),
            Ok(Err(error)) => Err(Stop::Connection(Box::new(error.into()))),
            Err(_) => Err(Stop::Connection(Box::new(
                ConnectionError::Timeout {
                    broker: self.address.clone(),
                    what,
                    timeout,
                }
                .into(),
            ))),
        }
    }

    /// Learns the offsets not known yet: where a partition without a position starts (the
    /// reset policy), and where a scan ends.
    async fn place_unplaced(&mut self, link: &mut B::Link) -> Result<(), Stop> {
        let to_reset = self.partitions_where(|s| s.position == StartAt::Reset);
        for (partition, offset) in self
            .list_offsets(link, &to_reset, self.config.reset)
            .await?
        {
            if let Some(state) = self.partitions.get_mut(&partition) {
                state.position = StartAt::Offset(offset);
            }
        }
        if self.config.until_end {
            let without_end = self.partitions_where(|s| s.end.is_none());
            for (partition, end) in self
                .list_offsets(link, &without_end, OffsetReset::Latest)
                .await?
            {
                if let Some(state) = self.partitions.get_mut(&partition) {
                    state.end = Some(end);
                }
            }
        }
        Ok(())
    }

    /// The offsets of `partitions` at `at`; partitions whose leader moved go back to the
    /// reader, those with another error are asked again at the next round.
    async fn list_offsets(
        &mut self,
        link: &mut B::Link,
        partitions: &[i32],
        at: OffsetReset,
    ) -> Result<Vec<(i32, i64)>, Stop> {
        if partitions.is_empty() {
            return Ok(Vec::new());
        }
        let request =
            list_offsets_request(&self.config.topic, partitions, at, self.config.isolation);
        let response = self
            .within_timeout(link.list_offsets(&request), "ListOffsets")
            .await?;
        let mut offsets = Vec::new();
        for (partition, offset) in listed_offsets(response, &self.config.topic) {
            match offset {
                Ok(offset) => offsets.push((partition, offset)),
                Err(error) if leader_moved(error) => self.hand_back(partition, error),
                Err(error) => {
                    tracing::warn!(partition, ?error, "listing offsets failed, retrying")
                }
            }
        }
        Ok(offsets)
    }

    /// The partitions fetched here whose state passes `test`.
    fn partitions_where(&self, test: impl Fn(&PartitionState) -> bool) -> Vec<i32> {
        self.partitions
            .values()
            .filter(|s| test(s))
            .map(|s| s.partition)
            .collect()
    }

    /// Reports the partitions a scan read to their end.
    fn finish_scanned(&mut self) {
        let scanned = self.partitions_where(PartitionState::scanned);
        for partition in scanned {
            self.partitions.remove(&partition);
            let _ = self.reports.send(Report::Done(partition));
        }
    }

    fn hand_back(&mut self, partition: i32, error: ResponseError) {
        if let Some(state) = self.partitions.remove(&partition) {
            tracing::info!(partition, broker = %self.address, ?error, "partition leader moved: finding it again");
            let _ = self.reports.send(Report::Moved(state));
        }
    }

    /// Takes one partition's answer: its batches handed over, its position and fetch size
    /// moved on, or its error dealt with. `room`: whether the whole answer had room left for
    /// this partition's records (when it had not, an empty answer is no sign of a large record).
    async fn take_answer(&mut self, answer: PartitionAnswer, room: bool) -> Result<Pace, Stop> {
        let partition = answer.partition;
        tracing::trace!(
            partition,
            error = ?answer.error,
            high_watermark = answer.high_watermark,
            bytes = answer.records.len(),
            "fetched"
        );
        if let Some(error) = answer.error {
            return self.take_error(partition, error);
        }
        let until_end = self.config.until_end;
        let isolation = self.config.isolation;
        let Some(state) = self.partitions.get_mut(&partition) else {
            return Ok(Pace::Now);
        };
        let Some(from) = state.offset() else {
            return Ok(Pace::Now);
        };
        let read = records::read_batches(answer.records.clone()).map_err(|source| {
            Stop::Fatal(Box::new(Error::Records {
                topic: self.config.topic.clone(),
                partition,
                offset: from,
                source,
            }))
        })?;
        let next = read
            .batches
            .last()
            .map(RecordBatch::next_offset)
            .filter(|next| *next > from);
        let readable_end = answer.readable_end(isolation);
        let mut pace = Pace::Now;
        if next.is_none() && !room {
            // Crowded out by the other partitions: asked again next round, as it is.
            return self.hand_over(answer, read.batches, from, None).await;
        }
        match state.size.after(from, next.is_some(), readable_end) {
            Answer::Records => {}
            Answer::Grown(bytes) => tracing::info!(
                partition,
                offset = from,
                bytes,
                "no record fits the fetch: asking for more bytes"
            ),
            Answer::Stuck => {
                if state.note_stuck(from) {
                    tracing::error!(
                        partition,
                        offset = from,
                        high_watermark = answer.high_watermark,
                        max_bytes = state.size.bytes(),
                        "stuck: the record at this offset is larger than --fetch-max-bytes \
                         (or the broker withholds it); raise --fetch-max-bytes"
                    );
                }
                pace = Pace::Later;
            }
        }
        if until_end && !state.scanned() && state.scan_gives_up(next.is_some()) {
            tracing::error!(
                partition,
                offset = from,
                end = state.end,
                max_bytes = state.size.bytes(),
                "nothing readable before the end, even in a fetch of max_bytes: a record \
                 larger than that, or one the broker withholds"
            );
            self.partitions.remove(&partition);
            let _ = self.reports.send(Report::Done(partition));
            return Ok(Pace::Now);
        }
        if until_end && next.is_none() {
            pace = Pace::Later;
        }
        if let Some(next) = next {
            state.position = StartAt::Offset(next);
        }
        self.hand_over(answer, read.batches, from, next).await?;
        Ok(pace)
    }

    /// Hands a partition's batches to the reader's caller, without control batches and, under
    /// read_committed, without aborted transactions.
    async fn hand_over(
        &self,
        answer: PartitionAnswer,
        batches: Vec<RecordBatch>,
        from: i64,
        next: Option<i64>,
    ) -> Result<Pace, Stop> {
        let mut aborted = AbortedTransactions::new(match self.config.isolation {
            IsolationLevel::ReadCommitted => answer.aborted,
            IsolationLevel::ReadUncommitted => Vec::new(),
        });
        let fetched = Fetched {
            partition: answer.partition,
            batches: batches.into_iter().filter(|b| aborted.keeps(b)).collect(),
            from,
            next_offset: next.unwrap_or(from),
            high_watermark: answer.high_watermark,
        };
        self.out.send(Ok(fetched)).await.map_err(|_| Stop::Unread)?;
        Ok(Pace::Now)
    }

    fn take_error(&mut self, partition: i32, error: ResponseError) -> Result<Pace, Stop> {
        match error {
            ResponseError::OffsetOutOfRange => {
                if let Some(state) = self.partitions.get_mut(&partition) {
                    tracing::warn!(
                        partition,
                        offset = state.offset(),
                        reset = ?self.config.reset,
                        "offset out of range, resetting"
                    );
                    state.position = StartAt::Reset;
                }
                Ok(Pace::Now)
            }
            error if leader_moved(error) => {
                self.hand_back(partition, error);
                Ok(Pace::Now)
            }
            ResponseError::TopicAuthorizationFailed => Err(Stop::Fatal(Box::new(Error::Broker {
                request: "Fetch",
                code: error,
                message: None,
            }))),
            error => {
                tracing::warn!(partition, broker = %self.address, ?error, "fetch failed, retrying");
                Ok(Pace::Later)
            }
        }
    }
}

/// A byte count as a length.
fn bytes(count: i32) -> usize {
    usize::try_from(count).unwrap_or(0)
}

/// The bytes a whole answer may hold: what its partitions may hold together, within
/// `fetch.max.bytes`. Some brokers fill the answer's first partitions up to this limit
/// whatever their own (docs/brokers.md).
fn answer_limit(max_bytes: i32, positions: &[FetchPosition]) -> i32 {
    let partitions: i64 = positions.iter().map(|p| i64::from(p.max_bytes)).sum();
    i32::try_from(partitions.min(i64::from(max_bytes))).unwrap_or(max_bytes)
}

/// Whether `error` means the partition is to be found on another broker.
fn leader_moved(error: ResponseError) -> bool {
    matches!(
        error,
        ResponseError::NotLeaderOrFollower
            | ResponseError::UnknownTopicOrPartition
            | ResponseError::LeaderNotAvailable
            | ResponseError::FencedLeaderEpoch
            | ResponseError::UnknownLeaderEpoch
            | ResponseError::ReplicaNotAvailable
            | ResponseError::KafkaStorageError
            | ResponseError::UnknownTopicId
    )
}
