//! `producer`: simulates shoppers and publishes their events to Kafka.
//!
//! Each record is the seed's JSON, keyed by user, tagged with the audit headers `run_id` and
//! `seq`. When the run ends (count reached, duration over, Ctrl+C or SIGTERM) the producer waits
//! for every acknowledgement, publishes the run's manifest to the runs topic, and prints a summary.

mod progress;
mod publisher;
mod summary;

use std::{process::ExitCode, time::Duration};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Parser;
use events::{
    audit::RunManifest,
    cli,
    generator::Generator,
    kafka::{self, KafkaArgs},
    shutdown::Shutdown,
};
use rskafka::{
    client::partition::{Compression, UnknownTopicHandling},
    record::Record,
};
use tokio::time::Instant;

use crate::{progress::Progress, publisher::Publisher, summary::Summary};

/// Simulates user activity on a shop and publishes it as JSON events to Kafka.
///
/// Every flag can also be set through the environment variable shown.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,

    /// Topic receiving each run's manifest (created when missing).
    #[arg(long, env = "KAFKA_RUNS_TOPIC", default_value = "evenements.runs")]
    runs_topic: String,

    /// Stop after this many events (0 or absent: no limit).
    #[arg(long, env = "PRODUCER_COUNT")]
    count: Option<u64>,

    /// Stop after this long, e.g. 30s, 5m (absent: no limit).
    #[arg(long, env = "PRODUCER_DURATION", value_parser = cli::parse_duration)]
    duration: Option<Duration>,

    /// Events per second; 0 sends as fast as the broker acknowledges.
    #[arg(long, env = "PRODUCER_RATE", default_value_t = 5.0)]
    rate: f64,

    /// Partitions of the topic when the producer creates it.
    #[arg(long, env = "PRODUCER_PARTITIONS", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    partitions: u16,

    /// Number of simulated users (user1..userN).
    #[arg(long, env = "PRODUCER_USERS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    users: u32,

    /// Seed of the simulation: the same seed gives the same events (timestamps aside).
    #[arg(long, env = "PRODUCER_SEED")]
    seed: Option<u64>,

    /// Print the final summary as one JSON object on stdout (logs stay on stderr).
    #[arg(long, env = "PRODUCER_JSON")]
    json: bool,

    /// Client id sent to the brokers.
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "producer")]
    client_id: String,
}

/// The producer allocates through mimalloc: each event costs a dozen small allocations (the
/// record, its headers, key and value; rskafka's request encoding), many freed on another thread
/// than the one that made them, where glibc's malloc took a third of the producer's CPU. Peak RSS
/// goes from 18 to ~45 MB (mimalloc keeps freed pages); the consumer, with its RSS target, keeps
/// glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_logging();
    let args = Args::parse();
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        eprintln!("error: --rate must be a number of events per second, 0 or more");
        return ExitCode::from(cli::EXIT_USAGE_OR_CONNECTION);
    }
    cli::exit_code(run(args).await)
}

async fn run(args: Args) -> Result<ExitCode> {
    let shutdown = Shutdown::listen();
    let client = kafka::connect(&args.kafka, &args.client_id).await?;
    let topic = &args.kafka.topic;
    let partitions =
        kafka::ensure_topic(&client, &args.kafka, topic, args.partitions.into()).await?;
    kafka::ensure_topic(&client, &args.kafka, &args.runs_topic, 1).await?;
    let partition_clients = kafka::partition_clients(&client, topic, partitions).await?;

    let run_id = new_run_id();
    tracing::info!(%run_id, topic, partitions, rate = args.rate, "producing");
    let mut publisher = Publisher::new(run_id.clone(), partition_clients);
    let started = Instant::now();
    let span = produce_events(&args, &mut publisher, shutdown).await;
    publisher.settle_all().await;
    let elapsed = started.elapsed();

    let manifest = manifest(&run_id, topic, &publisher, span);
    publish_manifest(&client, &args.runs_topic, &manifest).await?;
    let summary = Summary::new(manifest, &publisher.tally.acked, elapsed);
    if args.json {
        println!("{}", serde_json::to_string(&summary.to_json())?);
    } else {
        print!("{summary}");
    }
    Ok(if summary.manifest.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A run id that sorts by start time and is unique enough: `run-20251217T114633-3fa9c1`.
fn new_run_id() -> String {
    let suffix: u32 = rand::random::<u32>() & 0xff_ffff;
    format!("run-{}-{suffix:06x}", Utc::now().format("%Y%m%dT%H%M%S"))
}

/// Generates and sends events until the count, the duration or a stop request ends the run.
/// Returns the timestamps of the first and last events.
async fn produce_events(
    args: &Args,
    publisher: &mut Publisher,
    mut shutdown: Shutdown,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut generator = Generator::new(args.users as usize, args.seed);
    let limit = args.count.filter(|c| *c > 0);
    let started = Instant::now();
    let deadline = args.duration.map(|d| started + d);
    let mut progress = Progress::new(limit);
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;

    while limit.is_none_or(|limit| publisher.tally.sent < limit) && !shutdown.is_requested() {
        let due = next_due(started, publisher.tally.sent, args.rate);
        if deadline.is_some_and(|d| due >= d) {
            break;
        }
        let room = publisher.has_room();
        if room && (args.rate == 0.0 || due <= Instant::now()) {
            let now = Utc::now();
            publisher.send(&generator.next_event(now));
            span = Some((span.map_or(now, |(first, _)| first), now));
            publisher.settle_ready();
            // Reading the clock for the progress line is not free: once every 256 events.
            if publisher.tally.sent % 256 == 0 {
                progress.maybe_report(&publisher.tally, started.elapsed());
            }
            continue;
        }
        // Not due yet (or no room): collect acknowledgements while waiting. A timer is only
        // armed here, never on the fast path: tokio timers tick in whole milliseconds.
        tokio::select! {
            biased;
            _ = shutdown.requested() => break,
            _ = tokio::time::sleep_until(due), if room => {}
            _ = publisher.settle_one(), if publisher.in_flight() > 0 => {}
        }
    }
    progress.finish();
    span
}

/// When event number `sent` is due at `rate` events per second (now, for rate 0).
fn next_due(started: Instant, sent: u64, rate: f64) -> Instant {
    if rate == 0.0 {
        return Instant::now();
    }
    started + Duration::from_secs_f64(sent as f64 / rate)
}

fn manifest(
    run_id: &str,
    topic: &str,
    publisher: &Publisher,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> RunManifest {
    let tally = &publisher.tally;
    RunManifest {
        run_id: run_id.to_string(),
        topic: topic.to_string(),
        sent: tally.sent,
        acked: tally.acked.events,
        failed: tally.failed.len(),
        failed_ranges: tally.failed.to_pairs(),
        by_type: tally.acked.by_type(),
        by_user: tally.acked.by_user(),
        first_timestamp: span.map(|(first, _)| first),
        last_timestamp: span.map(|(_, last)| last),
    }
}

async fn publish_manifest(
    client: &rskafka::client::Client,
    runs_topic: &str,
    manifest: &RunManifest,
) -> Result<()> {
    let partition = client
        .partition_client(runs_topic, 0, UnknownTopicHandling::Retry)
        .await?;
    let record = Record {
        key: Some(manifest.run_id.as_bytes().to_vec()),
        value: Some(serde_json::to_vec(manifest)?),
        headers: Default::default(),
        timestamp: Utc::now(),
    };
    partition
        .produce(vec![record], Compression::NoCompression)
        .await
        .with_context(|| format!("publishing the run manifest to {runs_topic}"))?;
    Ok(())
}
