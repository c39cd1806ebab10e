//! The member's loop, as a state machine: joining a generation, consuming its partitions until a
//! rebalance or a stop, and stopping (last commit, leaving the group, final summary).
//!
//! ```text
//! Joining ──joined──▶ Consuming ──rebalance (commit first when the generation allows)──▶ Joining
//!    │                    │
//!    └──── stop ──────────┴──▶ Stopping: commit, LeaveGroup, summary
//! ```
//! Every request made while consuming gives way to a stop request, so that a slow broker never
//! holds a stop up. A fatal group error (authorization, invalid settings) ends the run with it.
//!
//! The loop drives its group membership through the [`Group`] trait and reads its records
//! through the [`RecordSource`] trait: kafka's `Membership` and `Reader` in the service
//! ([`ClusterSource`]), scripted fakes in the unit tests (`tests.rs`).

mod group;
mod source;

pub use group::Group;
pub use source::{Answer, ClusterSource, Read, RecordSource};

use std::{collections::BTreeMap, future::Future, io::IsTerminal, time::Duration};

use kafka::{
    backoff::Backoff,
    client::{
        fetch::StartAt,
        group::{Generation, GroupError, Membership, Recovery},
    },
};
use service::{Outcome, Shutdown};
use tokio::time::{interval, Instant, MissedTickBehavior};

use crate::{
    activity::Activity,
    config::MemberConfig,
    report::{self, Summary},
    tally::Tally,
    telemetry::{MemberView, Telemetry},
    terminal::LiveView,
    Error,
};

/// How long the last commit, then leaving the group, may each take on shutdown: together they
/// keep the exit within 2 s of the signal even when the coordinator is slow.
const SHUTDOWN_STEP: Duration = Duration::from_millis(700);

/// How often a member checks whether its topic appeared or gained partitions.
const TOPIC_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// How often the metrics are brought up to the tallies (with `--http`).
const METRICS_INTERVAL: Duration = Duration::from_secs(1);

/// How long a topic check may take before it is skipped (it must not hold up heartbeats).
const TOPIC_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the member is in its life.
enum State<R> {
    /// Joining a generation (after start, or a rebalance).
    Joining,
    /// Consuming the partitions of a generation.
    Consuming(Generation),
    /// Stop requested: the fetches still in flight, if any, come back while we leave.
    Stopping(Option<R>),
}

/// What the member does after one event of a generation.
enum Step {
    /// Keep consuming.
    Continue,
    /// The generation is over for us: rejoin.
    Rebalance,
    /// A stop was requested.
    Stop,
}

/// The topic's partition count as the member last read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TopicSize {
    /// Not read yet (the read failed).
    Unknown,
    /// The topic does not exist.
    Missing,
    /// The topic has this many partitions.
    Partitions(usize),
}

/// The consumer: its group membership (`G`), where its records come from (`S`), and what it
/// processed.
pub struct Member<G = Membership, S = ClusterSource> {
    config: MemberConfig,
    membership: G,
    /// The topic's records: its size, and reads of a generation's partitions.
    source: S,
    tally: Tally,
    committed: BTreeMap<i32, i64>,
    owned: Vec<i32>,
    topic_size: TopicSize,
    /// Waits before rejoining when a generation's partitions could not be set up.
    setup_backoff: Backoff,
    /// The generations joined, commits, failed heartbeats, rebalances.
    activity: Activity,
    /// When the coordinator last took a heartbeat (or the generation began): until a session
    /// timeout after it, a coordinator out of reach does not end the generation.
    last_heartbeat: Instant,
    shutdown: Shutdown,
    /// With `--http`: the metrics, the readiness and the dashboard it serves.
    telemetry: Option<Telemetry>,
    /// How the live statistics are printed.
    live_view: LiveView,
}

impl<G: Group, S: RecordSource> Member<G, S> {
    /// A member that has not joined yet: it joins through `membership` and reads from
    /// `source` until `shutdown`.
    pub fn new(
        config: MemberConfig,
        membership: G,
        source: S,
        shutdown: Shutdown,
        telemetry: Option<Telemetry>,
    ) -> Member<G, S> {
        let live_view = LiveView::new(prints_to_terminal(config.json));
        Member {
            config,
            membership,
            source,
            tally: Tally::default(),
            committed: BTreeMap::new(),
            owned: Vec::new(),
            topic_size: TopicSize::Unknown,
            setup_backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(5)),
            activity: Activity::default(),
            last_heartbeat: Instant::now(),
            shutdown,
            live_view,
            telemetry,
        }
    }

    /// Publishes the metrics and the dashboard (with `--http`), and whether the member is
    /// ready: consuming in a generation.
    fn publish(&mut self, consuming: bool) {
        let Some(telemetry) = &mut self.telemetry else {
            return;
        };
        let member = MemberView {
            group_id: self.membership.group_id(),
            member_id: self.membership.member_id(),
            generation: consuming
                .then_some(self.activity.generations.last)
                .flatten(),
            activity: &self.activity,
            partitions: &self.owned,
            committed: &self.committed,
        };
        telemetry.publish(&self.tally, member);
    }

    /// Runs the member until a stop request, then leaves the group and prints the summary.
    pub async fn run(self) -> Result<Outcome, Error> {
        self.run_to_summary().await.map(|_| Outcome::Success)
    }

    /// Runs the member until a stop request (or `max_messages`), then commits, leaves the
    /// group, prints the summary and returns it.
    pub async fn run_to_summary(mut self) -> Result<Summary, Error> {
        let started = Instant::now();
        let mut state = State::Joining;
        loop {
            state = match state {
                State::Joining => self.join().await?,
                State::Consuming(generation) => self.consume(generation).await?,
                State::Stopping(in_flight) => {
                    return self.finish(started.elapsed(), in_flight).await
                }
            };
        }
    }

    /// Joins a generation. The topic's size is read first, so that a topic created or grown
    /// while the group formed is noticed at the first check (at worst one extra rebalance).
    async fn join(&mut self) -> Result<State<S::Read>, Error> {
        let Some(size) = unless_stopped(self.shutdown.clone(), read_topic_size(&self.source)).await
        else {
            return Ok(State::Stopping(None));
        };
        self.topic_size = size;
        let began = Instant::now();
        Ok(
            match unless_stopped(self.shutdown.clone(), self.membership.join()).await {
                None => State::Stopping(None),
                Some(joined) => {
                    let generation = joined?;
                    self.activity.joined(generation.id, began.elapsed());
                    self.last_heartbeat = Instant::now();
                    State::Consuming(generation)
                }
            },
        )
    }

    /// Consumes the partitions of one generation until a rebalance or a stop.
    async fn consume(&mut self, generation: Generation) -> Result<State<S::Read>, Error> {
        self.owned = generation.partitions.clone();
        let Some(starts) = unless_stopped(self.shutdown.clone(), self.starting_offsets()).await
        else {
            return Ok(State::Stopping(None));
        };
        let Some(starts) = starts? else {
            self.owned.clear();
            // Rejoin, but not at once: what failed may take a moment to recover.
            let wait = tokio::time::sleep(self.setup_backoff.next_wait());
            return Ok(match unless_stopped(self.shutdown.clone(), wait).await {
                None => State::Stopping(None),
                Some(()) => State::Joining,
            });
        };
        self.setup_backoff.reset();
        self.publish(true);
        let mut published = self.telemetry.is_some().then(|| ticker(METRICS_INTERVAL));
        let mut reader = self.source.start(starts);
        let mut heartbeat = ticker(self.config.heartbeat_interval);
        let mut commit = ticker(self.config.commit_interval);
        let mut stats = ticker(self.config.stats_interval);
        let mut topic_check = ticker(TOPIC_CHECK_INTERVAL);
        let mut consumed_at_last_block = self.consumed();
        let mut shutdown = self.shutdown.clone();
        loop {
            let step = tokio::select! {
                biased;
                _ = shutdown.requested() => Step::Stop,
                _ = heartbeat.tick() => self.heartbeat().await?,
                _ = commit.tick() => self.periodic_commit().await,
                _ = topic_check.tick() => self.check_topic().await,
                _ = tick_if(&mut published) => {
                    self.publish(true);
                    Step::Continue
                }
                _ = stats.tick() => {
                    self.print_live(self.consumed() - consumed_at_last_block);
                    consumed_at_last_block = self.consumed();
                    Step::Continue
                }
                Some(fetched) = reader.next() => {
                    self.count(fetched?)?;
                    self.stop_when_counted_enough()
                }
            };
            match step {
                Step::Continue => {}
                Step::Stop => {
                    self.publish(false);
                    return Ok(State::Stopping(Some(reader)));
                }
                Step::Rebalance => {
                    // The fetches still in flight are dropped; their answers go unread, and
                    // the partitions are no longer ours until the next generation says so.
                    reader.stop();
                    self.owned.clear();
                    self.publish(false);
                    return Ok(State::Joining);
                }
            }
        }
    }

    /// Heartbeats. When the generation is over for us, commits first if it still takes our
    /// commits (so that the next owner does not reprocess), then rejoins; a fatal error ends
    /// the run.
    async fn heartbeat(&mut self) -> Result<Step, Error> {
        let Some(beat) = unless_stopped(self.shutdown.clone(), self.membership.heartbeat()).await
        else {
            return Ok(Step::Stop);
        };
        let Err(error) = beat else {
            self.last_heartbeat = Instant::now();
            return Ok(Step::Continue);
        };
        self.activity.heartbeat_failures += 1;
        if error.is_fatal() {
            return Err(error.into());
        }
        if self.keeps_generation(&error) {
            tracing::info!(%error, "heartbeat failed: finding the coordinator again, keeping the generation while the session lasts");
            return Ok(Step::Continue);
        }
        tracing::info!(reason = %error, "rebalance: giving partitions up");
        if error.allows_hand_over()
            && unless_stopped(self.shutdown.clone(), self.commit())
                .await
                .is_none()
        {
            return Ok(Step::Stop);
        }
        Ok(Step::Rebalance)
    }

    /// Whether the member goes on in its generation after `error`: the coordinator moved,
    /// is loading or could not be reached (Java's consumer does the same), and the session has
    /// not run out since the last heartbeat it took. If the coordinator evicted us meanwhile,
    /// the next heartbeat says so.
    fn keeps_generation(&self, error: &GroupError) -> bool {
        error.recovery() == Recovery::Rediscover
            && self.last_heartbeat.elapsed() < self.config.session_timeout
    }

    async fn periodic_commit(&mut self) -> Step {
        match unless_stopped(self.shutdown.clone(), self.try_commit()).await {
            None => Step::Stop,
            Some(Ok(())) => Step::Continue,
            Some(Err(error)) if self.keeps_generation(&error) => {
                tracing::info!(%error, "commit failed: trying again at the next interval");
                Step::Continue
            }
            Some(Err(error)) => {
                tracing::info!(reason = %error, "commit refused: rejoining");
                Step::Rebalance
            }
        }
    }

    /// Rejoins when the topic appeared or changed its partition count, so that the group
    /// assigns the new partitions, as Kafka's consumers do on a metadata change.
    async fn check_topic(&mut self) -> Step {
        let check = tokio::time::timeout(TOPIC_CHECK_TIMEOUT, read_topic_size(&self.source));
        let Some(now) = unless_stopped(self.shutdown.clone(), check).await else {
            return Step::Stop;
        };
        let now = now.unwrap_or(TopicSize::Unknown);
        match (now, self.topic_size) {
            (TopicSize::Unknown, _) => {
                tracing::debug!("topic check failed or timed out; trying again later");
                Step::Continue
            }
            (now, before) if before != TopicSize::Unknown && now != before => {
                tracing::info!(topic = %self.config.topic, partitions = ?now, "the topic changed: rejoining to get it assigned");
                match unless_stopped(self.shutdown.clone(), self.commit()).await {
                    None => Step::Stop,
                    Some(_) => Step::Rebalance,
                }
            }
            (now, _) => {
                self.topic_size = now;
                Step::Continue
            }
        }
    }

    /// Counts the records of one partition's answer; a record that does not decode ends the
    /// run (its batch passed its CRC check, so the producer wrote it so).
    fn count(&mut self, fetched: impl Answer) -> Result<(), kafka::Error> {
        let partition = fetched.partition();
        self.tally
            .high_watermarks
            .insert(partition, fetched.high_watermark());
        for record in fetched.records() {
            let record = record.map_err(|error| fetched.corrupt(&self.config.topic, error))?;
            self.tally.process(partition, &record);
        }
        self.tally.advance(partition, fetched.next_offset());
        Ok(())
    }

    /// Stops once `--max-messages` records were counted.
    fn stop_when_counted_enough(&self) -> Step {
        match self.config.max_messages {
            Some(max) if self.consumed() >= max => {
                tracing::info!(
                    consumed = self.consumed(),
                    "--max-messages reached: stopping"
                );
                Step::Stop
            }
            _ => Step::Continue,
        }
    }

    /// The live statistics of the last interval: a block redrawn in place on a terminal, one
    /// line in logs or when nothing came in.
    fn print_live(&mut self, consumed_since: u64) {
        let (tally, owned, interval) = (&self.tally, &self.owned, self.config.stats_interval);
        let frame = self.live_view.frame(
            consumed_since == 0,
            || report::block("Live statistics", tally, owned, consumed_since, interval),
            || report::line(tally, owned, consumed_since, interval),
        );
        self.print(&frame);
    }

    /// Where each owned partition starts: the committed offset, or the reset policy. `None`
    /// when the group moved on meanwhile (rejoin).
    async fn starting_offsets(&mut self) -> Result<Option<BTreeMap<i32, StartAt>>, Error> {
        let committed = match self.membership.committed_offsets(&self.owned).await {
            Ok(committed) => committed,
            Err(error) if error.is_fatal() => return Err(error.into()),
            Err(error) => {
                tracing::info!(%error, "fetching committed offsets failed: rejoining");
                return Ok(None);
            }
        };
        let starts: BTreeMap<i32, StartAt> = committed
            .into_iter()
            .map(|(partition, committed)| (partition, self.starting_offset(partition, committed)))
            .collect();
        for (partition, start) in &starts {
            if let StartAt::Offset(offset) = start {
                self.tally.positions.insert(*partition, *offset);
            }
        }
        tracing::info!(partitions = ?self.owned, offsets = ?starts, "consuming");
        Ok(Some(starts))
    }

    /// Where `partition` starts, given its committed offset. A partition we kept across the
    /// rebalance resumes where we are, even if our last commit did not make it: going back
    /// would count twice, and a reset could skip.
    fn starting_offset(&self, partition: i32, committed: Option<i64>) -> StartAt {
        let ours = self.tally.positions.get(&partition).copied();
        match (committed, ours) {
            (Some(committed), Some(position)) => StartAt::Offset(committed.max(position)),
            (Some(offset), None) | (None, Some(offset)) => StartAt::Offset(offset),
            (None, None) => StartAt::Reset,
        }
    }

    fn consumed(&self) -> u64 {
        self.tally.ingest.total()
    }

    /// Commits the processed offsets of owned partitions; false when the group moved on.
    async fn commit(&mut self) -> bool {
        match self.try_commit().await {
            Ok(()) => true,
            Err(error) => {
                tracing::info!(reason = %error, "commit refused: rejoining");
                false
            }
        }
    }

    /// Commits the processed offsets of owned partitions that changed since the last commit.
    async fn try_commit(&mut self) -> Result<(), GroupError> {
        let offsets = self.tally.positions_of(&self.owned);
        let changed: BTreeMap<i32, i64> = offsets
            .into_iter()
            .filter(|(p, o)| self.committed.get(p) != Some(o))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let began = Instant::now();
        let committed = self.membership.commit(&changed).await;
        self.activity.committed(began.elapsed(), committed.is_ok());
        committed?;
        self.committed.extend(changed);
        Ok(())
    }

    /// Prints a block on stdout, or on stderr when stdout is reserved for `--json`.
    fn print(&self, text: &str) {
        if self.config.json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }

    /// Last commit, leave the group, final summary. Fetches still in flight are let finish
    /// meanwhile rather than cut by the exit: some brokers stop serving everyone when a client
    /// disconnects in the middle of a fetch (docs/brokers.md).
    async fn finish(
        mut self,
        elapsed: Duration,
        in_flight: Option<S::Read>,
    ) -> Result<Summary, Error> {
        let drained = async {
            if let Some(reader) = in_flight {
                reader.drain(SHUTDOWN_STEP).await;
            }
        };
        let leave = async {
            if tokio::time::timeout(SHUTDOWN_STEP, self.commit())
                .await
                .is_err()
            {
                tracing::warn!(
                    "last commit timed out: the next member reprocesses from the previous one"
                );
            }
            self.membership.leave(SHUTDOWN_STEP).await;
        };
        tokio::join!(drained, leave);
        let block = report::block(
            "Final summary",
            &self.tally,
            &self.owned,
            self.consumed(),
            elapsed,
        );
        self.print(&block);
        let summary = Summary::new(
            self.membership.member_id(),
            self.membership.group_id(),
            &self.owned,
            &self.tally,
            &self.committed,
            &self.activity.generations,
        );
        if self.config.json {
            println!(
                "{}",
                serde_json::to_string(&summary).expect("summaries serialise")
            );
        }
        Ok(summary)
    }
}

/// Whether the statistics go to a terminal: stdout, or stderr when stdout is for `--json`.
fn prints_to_terminal(json: bool) -> bool {
    if json {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    }
}

/// Runs `work` unless a stop is requested first (`None` then).
async fn unless_stopped<T>(mut shutdown: Shutdown, work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        _ = shutdown.requested() => None,
        out = work => Some(out),
    }
}

/// The partition count of the source's topic, or why it is not known.
async fn read_topic_size(source: &impl RecordSource) -> TopicSize {
    match source.partition_count().await {
        Ok(Some(count)) => TopicSize::Partitions(count),
        Ok(None) => TopicSize::Missing,
        Err(_) => TopicSize::Unknown,
    }
}

/// The next tick of `ticker`, or never without one.
async fn tick_if(ticker: &mut Option<tokio::time::Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticker = interval(period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker.reset(); // the first tick after one period, not at once
    ticker
}

#[cfg(test)]
mod tests;
