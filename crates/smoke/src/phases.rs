//! The three phases of a smoke test, each one of the pipeline's services run in this process
//! with the test's connection settings and names: produce `count` events as fast as the cluster
//! acknowledges them, read them all with a fresh group, verify the topic.
//!
//! Each phase runs with its config from the [`SmokeConfig`] ([`crate::config`] says how they are
//! made).

use std::{
    fmt,
    time::{Duration, Instant},
};

use kafka::cluster::ClusterError;

use service::{Outcome, Shutdown};

use crate::{config::SmokeConfig, Error};

/// A phase of the test, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The producer run.
    Produce,
    /// The consumer group member, until it has read every event.
    Consume,
    /// The verifier's scan of the topic.
    Verify,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Produce => "produce",
            Phase::Consume => "consume",
            Phase::Verify => "verify",
        })
    }
}

/// How the phases went, when none of them hit an error.
#[derive(Debug, Default)]
pub struct Timings {
    /// How long each phase that ran took, in order.
    pub phases: Vec<(Phase, Duration)>,
    /// The phase whose verdict failed, and why; the later phases did not run.
    pub failed: Option<(Phase, String)>,
}

/// Runs the phases in order, stopping at the first that fails.
pub async fn run(config: &SmokeConfig, shutdown: &Shutdown) -> Result<Timings, Error> {
    let mut timings = Timings::default();
    for phase in [Phase::Produce, Phase::Consume, Phase::Verify] {
        if shutdown.is_requested() {
            timings.failed = Some((phase, "stopped before it started".into()));
            break;
        }
        tracing::info!(%phase, "phase starts");
        let started = Instant::now();
        let failure = run_phase(phase, config, shutdown)
            .await
            .map_err(|source| Error::Phase {
                phase,
                source: Box::new(source),
            })?;
        timings.phases.push((phase, started.elapsed()));
        if let Some(reason) = failure {
            timings.failed = Some((phase, reason));
            break;
        }
    }
    Ok(timings)
}

/// Runs one phase; `Some` says why its verdict failed.
async fn run_phase(
    phase: Phase,
    config: &SmokeConfig,
    shutdown: &Shutdown,
) -> Result<Option<String>, PhaseError> {
    match phase {
        Phase::Produce => {
            let outcome = producer::run(config.producer.clone(), shutdown.clone()).await?;
            Ok(stopped_or(shutdown, outcome, || {
                "events were not acknowledged (the producer's summary above names them)".into()
            }))
        }
        Phase::Consume => {
            let deadline = shutdown.with_deadline(config.consume_timeout);
            let outcome = consumer::run(config.consumer.clone(), deadline.shutdown()).await?;
            if deadline.expired() {
                return Ok(Some(format!(
                    "the group had not read the {} events after {:?} (--consume-timeout)",
                    config.count, config.consume_timeout
                )));
            }
            Ok(stopped_or(shutdown, outcome, || {
                "the consumer's run failed".into()
            }))
        }
        Phase::Verify => {
            let outcome = verifier::run(config.verifier.clone()).await?;
            Ok(stopped_or(shutdown, outcome, || {
                "acknowledged events are missing (the verifier's report above lists them)".into()
            }))
        }
    }
}

/// A phase's failure, if any: a stop request, or a failed verdict said by `why`.
fn stopped_or(
    shutdown: &Shutdown,
    outcome: Outcome,
    why: impl FnOnce() -> String,
) -> Option<String> {
    if shutdown.is_requested() {
        return Some("stopped (Ctrl+C or SIGTERM)".into());
    }
    (outcome == Outcome::VerdictFailed).then(why)
}

/// Why a phase could not run to its verdict: the service's own error.
#[derive(Debug, thiserror::Error)]
pub enum PhaseError {
    /// The producer stopped on something the user must fix.
    #[error(transparent)]
    Producer(#[from] producer::Error),
    /// The consumer stopped on something the user must fix.
    #[error(transparent)]
    Consumer(#[from] consumer::Error),
    /// The verifier stopped on something the user must fix.
    #[error(transparent)]
    Verifier(#[from] verifier::Error),
}

impl PhaseError {
    /// Whether the service never got to use the cluster: it could not be reached, or refused
    /// these settings at the first contact. Nothing was created then, so nothing to clean up.
    pub fn never_connected(&self) -> bool {
        let error = match self {
            PhaseError::Producer(producer::Error::Kafka(error)) => error,
            _ => return false,
        };
        error.is_first_contact_fatal()
            || matches!(
                error,
                kafka::Error::Cluster(ClusterError::Unreachable { .. } | ClusterError::NoBrokers)
            )
    }
}
