//! `consumer`: a member of a Kafka consumer group that shows live statistics of the events.
//!
//! Replicas started with the same group id share the topic's partitions ([`kafka::client::group`] speaks
//! the group protocol). The member's loop ([`member`]) fetches its partitions ([`kafka::client::fetch`]),
//! counts every record ([`tally`], [`latency`]) and its own group activity ([`activity`]),
//! prints live statistics ([`terminal`]) and a final summary ([`report`]), and commits processed offsets
//! every `--commit-interval`, before partitions are given up in a rebalance, and on shutdown
//! (Ctrl+C/SIGTERM), after which it leaves the group. With `--http` it serves its metrics and
//! a live dashboard ([`telemetry`], [`metrics`], [`dashboard`]).

pub mod activity;
pub mod args;
pub mod config;
pub mod dashboard;
pub mod group_watch;
pub mod latency;
pub mod member;
pub mod metrics;
pub mod report;
pub mod tally;
pub mod telemetry;
pub mod terminal;

use kafka::client::group::Membership;
use service::{http, Outcome, Shutdown};

pub use args::Args;
pub use config::Config;
pub use report::Summary;

/// Why the consumer stopped before its end: each is something the user must fix (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster could not be reached or refused a request.
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    /// The group coordinator refused us for good (authorization, invalid settings).
    #[error("consumer group: {0}")]
    Group(#[from] kafka::client::group::GroupError),
    /// `--http` could not be served.
    #[error(transparent)]
    Http(#[from] http::BindError),
}

impl From<kafka::cluster::ClusterError> for Error {
    fn from(error: kafka::cluster::ClusterError) -> Error {
        Error::Kafka(error.into())
    }
}

/// Connects, joins the group and consumes until `shutdown`; then commits, leaves the group and
/// prints the final summary.
pub async fn run(args: Args, shutdown: Shutdown) -> Result<Outcome, Error> {
    let config = Config::from_args(&args);
    let telemetry = telemetry::Telemetry::serve(&config.telemetry).await?;
    config.cluster.reach().await?;
    if let Some(telemetry) = &telemetry {
        telemetry.watch_group(&config.cluster, &config.group, shutdown.clone());
    }
    let membership = Membership::new(config.cluster.clone(), config.group);
    let source = member::ClusterSource::new(config.cluster, config.fetch);
    member::Member::new(config.member, membership, source, shutdown, telemetry)
        .run()
        .await
}
