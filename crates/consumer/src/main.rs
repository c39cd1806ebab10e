//! `consumer`: a member of a Kafka consumer group that shows live statistics of the events.
//!
//! Replicas started with the same group id share the topic's partitions. Offsets of processed
//! records are committed every `--commit-interval`, before partitions are given up in a
//! rebalance, and on shutdown (Ctrl+C/SIGTERM), after which the member leaves the group and
//! prints its final summary.

mod fetcher;
mod group;
mod report;
mod tally;

use std::{collections::BTreeMap, future::Future, process::ExitCode, sync::Arc, time::Duration};

use anyhow::Result;
use clap::{Parser, ValueEnum};
use events::{
    cli,
    kafka::{self, KafkaArgs},
    shutdown::Shutdown,
};
use rskafka::client::{
    partition::{OffsetAt, PartitionClient, UnknownTopicHandling},
    Client,
};
use tokio::time::{interval, Instant, MissedTickBehavior};

use crate::{
    fetcher::Fetchers,
    group::{coordinator::Recovery, Generation, GroupConfig, Membership},
    tally::Tally,
};

/// Joins a Kafka consumer group and shows live statistics of the shop's events.
///
/// Every flag can also be set through the environment variable shown.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,

    /// Consumer group: replicas with the same id share the partitions.
    #[arg(long, env = "KAFKA_GROUP_ID", default_value = "statistiques")]
    group_id: String,

    /// Client id sent to the brokers (default: the hostname, so replicas are told apart).
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value_t = hostname())]
    client_id: String,

    /// Where to start a partition without a committed offset.
    #[arg(long, env = "CONSUMER_AUTO_OFFSET_RESET", value_enum, default_value_t = OffsetReset::Earliest)]
    auto_offset_reset: OffsetReset,

    /// How often processed offsets are committed.
    #[arg(long, env = "CONSUMER_COMMIT_INTERVAL", default_value = "5s", value_parser = cli::parse_duration)]
    commit_interval: Duration,

    /// How often a statistics block is printed.
    #[arg(long, env = "CONSUMER_STATS_INTERVAL", default_value = "5s", value_parser = cli::parse_duration)]
    stats_interval: Duration,

    /// Without a heartbeat for this long, the group evicts the member (Kafka's default: 45s).
    #[arg(long, env = "CONSUMER_SESSION_TIMEOUT", default_value = "45s", value_parser = cli::parse_duration)]
    session_timeout: Duration,

    /// How often the member heartbeats (Kafka's default: 3s).
    #[arg(long, env = "CONSUMER_HEARTBEAT_INTERVAL", default_value = "3s", value_parser = cli::parse_duration)]
    heartbeat_interval: Duration,

    /// How long a fetch may wait on the broker for new records. Kafka answers as soon as a record
    /// arrives, so there this only paces idle polling; tansu 0.6 holds every fetch for the whole
    /// wait, records or not, so lower it (e.g. 10ms) for low latency on tansu.
    #[arg(long, env = "CONSUMER_FETCH_MAX_WAIT", default_value = "500ms", value_parser = cli::parse_duration)]
    fetch_max_wait: Duration,

    /// Print the final summary as one JSON object on stdout (statistics and logs go to stderr).
    #[arg(long, env = "CONSUMER_JSON")]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OffsetReset {
    Earliest,
    Latest,
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "consumer".to_string())
}

/// How long the last commit, then leaving the group, may each take on shutdown: together they
/// keep the exit within 2 s of the signal even when the coordinator is slow.
const SHUTDOWN_STEP: Duration = Duration::from_millis(700);

/// How often a member checks whether its topic appeared or gained partitions.
const TOPIC_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// How long a topic check may take before it is skipped (it must not hold up heartbeats).
const TOPIC_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a member waits before rejoining after its partitions could not be set up.
const SETUP_RETRY: Duration = Duration::from_secs(1);

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_logging();
    let args = Args::parse();
    if args.heartbeat_interval >= args.session_timeout {
        eprintln!("error: --heartbeat-interval must be shorter than --session-timeout");
        return ExitCode::from(cli::EXIT_USAGE_OR_CONNECTION);
    }
    if args.fetch_max_wait < Duration::from_millis(1) {
        eprintln!("error: --fetch-max-wait must be at least 1ms (0 would poll an idle broker without pause)");
        return ExitCode::from(cli::EXIT_USAGE_OR_CONNECTION);
    }
    cli::exit_code(run(args).await)
}

/// The consumer: its group membership, partition clients and what it processed.
struct Consumer {
    args: Args,
    client: Arc<Client>,
    membership: Membership,
    partitions: BTreeMap<i32, Arc<PartitionClient>>,
    tally: Tally,
    committed: BTreeMap<i32, i64>,
    owned: Vec<i32>,
}

/// Why a generation ended.
enum End {
    /// Stop requested; the fetches still in flight, if any, to drain while leaving.
    Shutdown(Option<Fetchers>),
    Rebalance,
}

async fn run(args: Args) -> Result<ExitCode> {
    let mut shutdown = Shutdown::listen();
    let client = kafka::connect(&args.kafka, &args.client_id).await?;
    let config = GroupConfig {
        group_id: args.group_id.clone(),
        client_id: args.client_id.clone(),
        topic: args.kafka.topic.clone(),
        brokers: args.kafka.broker_list(),
        session_timeout: args.session_timeout,
        rebalance_timeout: args.session_timeout.max(Duration::from_secs(30)),
    };
    let mut consumer = Consumer {
        membership: Membership::new(config),
        client,
        args,
        partitions: BTreeMap::new(),
        tally: Tally::default(),
        committed: BTreeMap::new(),
        owned: Vec::new(),
    };
    let started = Instant::now();
    let in_flight = loop {
        let client = Arc::clone(&consumer.client);
        // Taken before joining, so that a topic created or grown while the group formed is
        // noticed at the first check (at worst one extra rebalance); `None` when unknown.
        let Some(topic_partitions) =
            unless_stopped(&mut shutdown, consumer.topic_partitions()).await
        else {
            break None;
        };
        let topic_partitions = topic_partitions.ok();
        let joined = tokio::select! {
            _ = shutdown.requested() => break None,
            joined = consumer.membership.join(|topic| partition_count(Arc::clone(&client), topic)) => joined?,
        };
        match consumer
            .consume_generation(joined, topic_partitions, &mut shutdown)
            .await?
        {
            End::Shutdown(fetchers) => break fetchers,
            End::Rebalance => continue,
        }
    };
    consumer.finish(started.elapsed(), in_flight).await
}

async fn partition_count(client: Arc<Client>, topic: String) -> Result<i32> {
    let count = kafka::partition_count(&client, &topic).await?.unwrap_or(0);
    Ok(i32::try_from(count)?)
}

impl Consumer {
    /// Consumes the partitions of one generation until a rebalance or a shutdown.
    /// `topic_partitions` is the topic's partition count as this member read it before joining
    /// (`None`: unknown, then the first check sets it): when it changes (the topic was created,
    /// or grown), the member rejoins so that the group assigns the new partitions, as Kafka's
    /// consumers do on a metadata change. Every request made here gives way to a stop request.
    async fn consume_generation(
        &mut self,
        generation: Generation,
        mut topic_partitions: Option<Option<usize>>,
        shutdown: &mut Shutdown,
    ) -> Result<End> {
        self.owned = generation.partitions.clone();
        let starts = match unless_stopped(shutdown, self.starting_offsets()).await {
            None => return Ok(End::Shutdown(None)),
            Some(starts) => starts?,
        };
        let Some(starts) = starts else {
            self.owned.clear();
            // Rejoin, but not at once: what failed may take a moment to recover.
            return match unless_stopped(shutdown, tokio::time::sleep(SETUP_RETRY)).await {
                None => Ok(End::Shutdown(None)),
                Some(()) => Ok(End::Rebalance),
            };
        };
        let mut fetchers = Fetchers::start(starts, self.reset(), self.args.fetch_max_wait);
        let mut heartbeat = ticker(self.args.heartbeat_interval);
        let mut commit = ticker(self.args.commit_interval);
        let mut stats = ticker(self.args.stats_interval);
        let mut topic_check = ticker(TOPIC_CHECK_INTERVAL);
        let mut consumed_at_last_block = self.consumed();
        let end = loop {
            tokio::select! {
                biased;
                _ = shutdown.requested() => return Ok(End::Shutdown(Some(fetchers))),
                _ = heartbeat.tick() => {
                    let Some(beat) = unless_stopped(shutdown, self.membership.heartbeat()).await else {
                        return Ok(End::Shutdown(Some(fetchers)));
                    };
                    if let Err(error) = beat {
                        tracing::info!(%error, "rebalance: giving partitions up");
                        if matches!(error.recovery, Recovery::Rejoin | Recovery::Rediscover) {
                            // The generation may still be valid (it is during a rebalance):
                            // commit first, so that the next owner does not reprocess.
                            if unless_stopped(shutdown, self.commit()).await.is_none() {
                                return Ok(End::Shutdown(Some(fetchers)));
                            }
                        }
                        break End::Rebalance;
                    }
                }
                _ = commit.tick() => {
                    match unless_stopped(shutdown, self.commit()).await {
                        None => return Ok(End::Shutdown(Some(fetchers))),
                        Some(false) => break End::Rebalance,
                        Some(true) => {}
                    }
                }
                _ = topic_check.tick() => {
                    let check = tokio::time::timeout(TOPIC_CHECK_TIMEOUT, self.topic_partitions());
                    let Some(now) = unless_stopped(shutdown, check).await else {
                        return Ok(End::Shutdown(Some(fetchers)));
                    };
                    match (now.ok().and_then(Result::ok), topic_partitions) {
                        (Some(now), Some(before)) if now != before => {
                            tracing::info!(topic = %self.args.kafka.topic, partitions = ?now, "the topic changed: rejoining to get it assigned");
                            if unless_stopped(shutdown, self.commit()).await.is_none() {
                                return Ok(End::Shutdown(Some(fetchers)));
                            }
                            break End::Rebalance;
                        }
                        (Some(now), _) => topic_partitions = Some(now),
                        _ => tracing::debug!("topic check failed or timed out; trying again later"),
                    }
                }
                _ = stats.tick() => {
                    let consumed = self.consumed();
                    let block = report::block("Live statistics", &self.tally, &self.owned, consumed - consumed_at_last_block, self.args.stats_interval);
                    self.print(&block);
                    consumed_at_last_block = consumed;
                }
                Some(fetched) = fetchers.batches.recv() => {
                    self.tally.high_watermarks.insert(fetched.partition, fetched.high_watermark);
                    for record in &fetched.records {
                        self.tally.process(fetched.partition, record);
                    }
                }
            }
        };
        // A rebalance: the fetches still in flight are dropped; their answers go unread, and
        // the partitions are no longer ours until the next generation says so.
        fetchers.stop();
        self.owned.clear();
        Ok(end)
    }

    /// Where each owned partition starts: the committed offset, or the reset policy. `None`
    /// when the group moved on meanwhile (rejoin).
    async fn starting_offsets(
        &mut self,
    ) -> Result<Option<BTreeMap<i32, (Arc<PartitionClient>, i64)>>> {
        let committed = match self.membership.committed_offsets(&self.owned).await {
            Ok(committed) => committed,
            Err(error) if error.recovery == Recovery::Fatal => return Err(error.into()),
            Err(error) => {
                tracing::info!(%error, "fetching committed offsets failed: rejoining");
                return Ok(None);
            }
        };
        let mut starts = BTreeMap::new();
        for (partition, offset) in committed {
            match self.starting_offset(partition, offset).await {
                Ok(start) => {
                    self.tally.positions.insert(partition, start.1);
                    starts.insert(partition, start);
                }
                Err(error) => {
                    tracing::warn!(partition, error = %format!("{error:#}"), "cannot read the partition: rejoining");
                    return Ok(None);
                }
            }
        }
        tracing::info!(partitions = ?self.owned, offsets = ?starts.iter().map(|(p, (_, o))| (*p, *o)).collect::<BTreeMap<_, _>>(), "consuming");
        Ok(Some(starts))
    }

    /// Where `partition` starts, given its committed offset, with its client.
    async fn starting_offset(
        &mut self,
        partition: i32,
        committed: Option<i64>,
    ) -> Result<(Arc<PartitionClient>, i64)> {
        let client = self.partition_client(partition).await?;
        // A partition we kept across the rebalance resumes where we are, even if our last
        // commit did not make it: going back would count twice, and a reset could skip.
        let ours = self.tally.positions.get(&partition).copied();
        let offset = match (committed, ours) {
            (Some(committed), Some(position)) => committed.max(position),
            (Some(committed), None) => committed,
            (None, Some(position)) => position,
            (None, None) => client.get_offset(self.reset()).await?,
        };
        Ok((client, offset))
    }

    async fn partition_client(&mut self, partition: i32) -> Result<Arc<PartitionClient>> {
        if let Some(client) = self.partitions.get(&partition) {
            return Ok(Arc::clone(client));
        }
        let client = Arc::new(
            self.client
                .partition_client(
                    &self.args.kafka.topic,
                    partition,
                    UnknownTopicHandling::Retry,
                )
                .await?,
        );
        self.partitions.insert(partition, Arc::clone(&client));
        Ok(client)
    }

    /// The partition count of our topic (`None`: it does not exist yet).
    async fn topic_partitions(&self) -> Result<Option<usize>> {
        kafka::partition_count(&self.client, &self.args.kafka.topic).await
    }

    fn reset(&self) -> OffsetAt {
        match self.args.auto_offset_reset {
            OffsetReset::Earliest => OffsetAt::Earliest,
            OffsetReset::Latest => OffsetAt::Latest,
        }
    }

    fn consumed(&self) -> u64 {
        self.tally.stats.total()
    }

    /// Commits the processed offsets of owned partitions; false when the group moved on.
    async fn commit(&mut self) -> bool {
        let offsets = self.tally.positions_of(&self.owned);
        let changed: BTreeMap<i32, i64> = offsets
            .into_iter()
            .filter(|(p, o)| self.committed.get(p) != Some(o))
            .collect();
        match self.membership.commit(&changed).await {
            Ok(()) => {
                self.committed.extend(changed);
                true
            }
            Err(error) => {
                tracing::info!(%error, "commit refused: rejoining");
                false
            }
        }
    }

    /// Prints a block on stdout, or on stderr when stdout is reserved for `--json`.
    fn print(&self, text: &str) {
        if self.args.json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }

    /// Last commit, leave the group, final summary. Fetches still in flight are let finish
    /// meanwhile rather than cut by the exit: some brokers (tansu 0.6.0 with sqlite storage)
    /// stop serving everyone when a client disconnects in the middle of a fetch.
    async fn finish(mut self, elapsed: Duration, in_flight: Option<Fetchers>) -> Result<ExitCode> {
        let drained = async {
            if let Some(fetchers) = in_flight {
                fetchers.drain(SHUTDOWN_STEP).await;
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
        let summary = report::block(
            "Final summary",
            &self.tally,
            &self.owned,
            self.consumed(),
            elapsed,
        );
        self.print(&summary);
        if self.args.json {
            let json = report::summary_json(
                self.membership.member_id(),
                self.membership.group_id(),
                &self.owned,
                &self.tally,
                &self.committed,
            );
            println!("{}", serde_json::to_string(&json)?);
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Runs `work` unless a stop is requested first (`None` then): a slow broker must not hold a
/// stop up.
async fn unless_stopped<T>(shutdown: &mut Shutdown, work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        _ = shutdown.requested() => None,
        out = work => Some(out),
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticker = interval(period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker.reset(); // the first tick after one period, not at once
    ticker
}
