//! `producer`: simulates shoppers and publishes their events to Kafka.
//!
//! Each record is the seed's JSON, keyed by user, tagged with the audit headers `run_id` and
//! `seq`. The run ([`mod@run`]) paces the generator, batches per partition ([`publisher`]), reports
//! progress ([`progress`]); when it ends (count reached, duration over, Ctrl+C or SIGTERM) it
//! waits for every acknowledgement, publishes the run's manifest to the runs topic, and prints a
//! summary ([`summary`]). It is told what to do by a [`ProducerConfig`], which the binary makes
//! of its flags ([`args`]) in one place ([`config::from_args`]).

pub mod args;
pub mod config;
pub mod metrics;
pub mod progress;
pub mod publisher;
pub mod run;
pub mod summary;

pub use args::Args;
pub use config::{Codec, ProducerConfig};
pub use run::run;
pub use summary::Summary;

/// Why the producer stopped before its end: each is something the user must fix (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster could not be reached or refused a request.
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
    /// `--http` could not be served.
    #[error(transparent)]
    Http(#[from] service::http::BindError),
}

impl From<kafka::cluster::ClusterError> for Error {
    fn from(error: kafka::cluster::ClusterError) -> Error {
        Error::Kafka(error.into())
    }
}
