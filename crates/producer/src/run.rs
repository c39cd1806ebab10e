//! One producer run: connect, make sure the topics exist, generate and send events at the
//! configured rate until the count, the duration or a stop ends the run, wait for every
//! acknowledgement, publish the run's manifest, print the summary.
//!
//! A batch is retried for `--delivery-timeout` on retriable errors. After a stop request, the
//! wait for acknowledgements and the manifest's publication are each bounded by
//! `--flush-timeout`, so that the producer ends within an orchestrator's grace period even when
//! the cluster is gone: events still unanswered then count as unconfirmed, and the summary
//! says so even when the manifest could not be published.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use events::{audit::RunManifest, generator::Generator};
use kafka::{
    client::admin,
    cluster::{rskafka_client, Cluster},
    connection::ConnectionError,
};
use prometheus_client::registry::Registry;
use rskafka::{client::partition::Compression, record::Record};
use service::{
    http::{self, Readiness},
    Outcome, Shutdown,
};
use tokio::time::Instant;

use crate::{
    metrics::Metrics, progress::Progress, publisher::Publisher, summary::Summary, Error,
    ProducerConfig,
};

/// Runs the producer until its count or duration is reached or `shutdown` is requested; the
/// verdict fails when an event was not acknowledged.
pub async fn run(config: ProducerConfig, shutdown: Shutdown) -> Result<Outcome, Error> {
    let (metrics, readiness) = serve_http(config.http).await?;
    let ProducerConfig {
        brokers, security, ..
    } = &config;
    let cluster = Cluster::new(brokers.clone(), config.client_id.clone(), security.clone());
    let client = rskafka_client::connect_with_deadline(&cluster, config.delivery_timeout).await?;
    readiness.set(true);
    let topic = &config.topic;
    let partitions = admin::ensure_topic(&cluster, topic, config.partitions.into()).await?;
    admin::ensure_topic(&cluster, &config.runs_topic, 1).await?;
    let partition_clients = rskafka_client::partition_clients(&client, topic, partitions).await?;

    let run_id = new_run_id();
    let compression = config.compression;
    tracing::info!(%run_id, topic, partitions, rate = config.rate, %compression, "producing");
    let mut publisher =
        Publisher::new(run_id.clone(), partition_clients, compression.compression())
            .with_metrics(metrics);
    let started = Instant::now();
    let span = produce_events(&config, &mut publisher, shutdown.clone()).await;
    settle(&mut publisher, &shutdown, config.flush_timeout).await;
    let elapsed = started.elapsed();

    let manifest = manifest(&run_id, topic, &publisher, span);
    let published = publish_manifest(&client, &config.runs_topic, &manifest);
    let published = if shutdown.is_requested() {
        tokio::time::timeout(config.flush_timeout, published)
            .await
            .unwrap_or_else(|_| {
                Err(ConnectionError::Timeout {
                    broker: brokers.join(","),
                    what: "the run manifest (--flush-timeout)",
                    timeout: config.flush_timeout,
                }
                .into())
            })
    } else {
        published.await
    };
    let summary = Summary::new(manifest, elapsed);
    if config.json {
        println!(
            "{}",
            serde_json::to_string(&summary).expect("summaries serialise")
        );
    } else {
        print!("{}", summary.display(&publisher.tally.acked));
    }
    published?;
    let manifest = &summary.manifest;
    Ok(Outcome::from_check(
        manifest.failed == 0 && manifest.unconfirmed == 0,
    ))
}

/// With an address (`--http`): the metrics, served with the probes (ready once connected).
async fn serve_http(
    address: Option<SocketAddr>,
) -> Result<(Option<Arc<Metrics>>, Readiness), Error> {
    let readiness = Readiness::default();
    let Some(address) = address else {
        return Ok((None, readiness));
    };
    let mut registry = Registry::default();
    let metrics = Arc::new(Metrics::register(&mut registry));
    http::serve(address, registry, readiness.clone(), http::Router::new()).await?;
    Ok((Some(metrics), readiness))
}

/// Waits for every acknowledgement; once a stop is requested, for at most `flush_timeout`,
/// after which what is still unanswered counts as unconfirmed.
async fn settle(publisher: &mut Publisher, shutdown: &Shutdown, flush_timeout: Duration) {
    let mut stop = shutdown.clone();
    tokio::select! {
        () = publisher.settle_all() => return,
        () = stop.requested() => {}
    }
    if tokio::time::timeout(flush_timeout, publisher.settle_all())
        .await
        .is_err()
    {
        let unconfirmed = publisher.abandon();
        tracing::warn!(
            unconfirmed,
            "stopped waiting for acknowledgements after {flush_timeout:?} (--flush-timeout): \
             those events count as unconfirmed"
        );
    }
}

/// A run id that sorts by start time and is unique enough: `run-20251217T114633-3fa9c1`.
fn new_run_id() -> String {
    let suffix: u32 = rand::random::<u32>() & 0xff_ffff;
    format!("run-{}-{suffix:06x}", Utc::now().format("%Y%m%dT%H%M%S"))
}

/// Generates and sends events until the count, the duration or a stop request ends the run.
/// Returns the timestamps of the first and last events.
async fn produce_events(
    config: &ProducerConfig,
    publisher: &mut Publisher,
    mut shutdown: Shutdown,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut generator = Generator::new(config.users as usize, config.seed);
    let limit = config.count;
    let started = Instant::now();
    let deadline = config.duration.map(|d| started + d);
    let mut progress = Progress::new(limit);
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;

    while limit.is_none_or(|limit| publisher.tally.sent < limit) && !shutdown.is_requested() {
        let due = next_due(started, publisher.tally.sent, config.rate);
        if deadline.is_some_and(|d| due >= d) {
            break;
        }
        let room = publisher.has_room();
        if room && (config.rate == 0.0 || due <= Instant::now()) {
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
        unconfirmed: tally.unconfirmed.len(),
        unconfirmed_ranges: tally.unconfirmed.to_pairs(),
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
) -> Result<(), kafka::Error> {
    let partition = rskafka_client::partition_client(client, runs_topic, 0).await?;
    let record = Record {
        key: Some(manifest.run_id.as_bytes().to_vec()),
        value: Some(serde_json::to_vec(manifest).expect("manifests serialise")),
        headers: Default::default(),
        timestamp: Utc::now(),
    };
    partition
        .produce(vec![record], Compression::NoCompression)
        .await
        .map_err(kafka::Error::client(format!(
            "publishing the run manifest to {runs_topic}"
        )))?;
    Ok(())
}
