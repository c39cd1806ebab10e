//! The three phases of a smoke test, each one of the pipeline's services run in this process
//! with the test's connection settings and names: produce `count` events as fast as the cluster
//! acknowledges them, read them all with a fresh group, verify the topic.
//!
//! A phase's own flags start from its defaults and its environment variables (`PRODUCER_*`,
//! `CONSUMER_*`, `VERIFIER_*`), then take the test's: connection, names, count.

use std::{
    fmt,
    time::{Duration, Instant},
};

use clap::Parser;
use kafka::cluster::ClusterError;
use service::{Outcome, Shutdown};

use crate::{names::Names, Args, Error};

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
pub async fn run(args: &Args, names: &Names, shutdown: &Shutdown) -> Result<Timings, Error> {
    let mut timings = Timings::default();
    for phase in [Phase::Produce, Phase::Consume, Phase::Verify] {
        if shutdown.is_requested() {
            timings.failed = Some((phase, "stopped before it started".into()));
            break;
        }
        tracing::info!(%phase, "phase starts");
        let started = Instant::now();
        let failure = run_phase(phase, args, names, shutdown)
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
    args: &Args,
    names: &Names,
    shutdown: &Shutdown,
) -> Result<Option<String>, PhaseError> {
    match phase {
        Phase::Produce => {
            let outcome = producer::run(producer_args(args, names), shutdown.clone()).await?;
            Ok(stopped_or(shutdown, outcome, || {
                "events were not acknowledged (the producer's summary above names them)".into()
            }))
        }
        Phase::Consume => {
            let deadline = shutdown.with_deadline(args.consume_timeout);
            let outcome = consumer::run(consumer_args(args, names), deadline.shutdown()).await?;
            if deadline.expired() {
                return Ok(Some(format!(
                    "the group had not read the {} events after {:?} (--consume-timeout)",
                    args.count, args.consume_timeout
                )));
            }
            Ok(stopped_or(shutdown, outcome, || {
                "the consumer's run failed".into()
            }))
        }
        Phase::Verify => {
            let outcome = verifier::run(verifier_args(args, names)).await?;
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

/// The producer's flags: `count` events, unpaced, to the test's topic.
fn producer_args(args: &Args, names: &Names) -> producer::Args {
    let mut phase = parse::<producer::Args>(&[
        "--count",
        &args.count.to_string(),
        "--rate",
        "0",
        "--partitions",
        &args.partitions.to_string(),
    ]);
    phase.kafka = connection(args, names);
    phase.runs.runs_topic = names.runs_topic.clone();
    phase.client_id = format!("{}-producer", args.client_id);
    phase
}

/// The consumer's flags: the test's fresh group, from the earliest offset, until `count`.
fn consumer_args(args: &Args, names: &Names) -> consumer::Args {
    let mut phase = parse::<consumer::Args>(&[
        "--group-id",
        &names.group,
        "--auto-offset-reset",
        "earliest",
        "--max-messages",
        &args.count.to_string(),
    ]);
    phase.kafka = connection(args, names);
    phase.client_id = format!("{}-consumer", args.client_id);
    phase
}

/// The verifier's flags: the test's topic and runs topic, no samples.
fn verifier_args(args: &Args, names: &Names) -> verifier::Args {
    let mut phase = parse::<verifier::Args>(&["--samples", "0"]);
    phase.kafka = connection(args, names);
    phase.runs.runs_topic = names.runs_topic.clone();
    phase.client_id = format!("{}-verifier", args.client_id);
    phase
}

/// The test's effective connection settings, aimed at its topic.
fn connection(args: &Args, names: &Names) -> service::KafkaArgs {
    let mut kafka = args.kafka.clone();
    kafka.topic = names.topic.clone();
    kafka
}

/// A phase's flags from `flags`, its defaults and its environment variables. The flags are
/// the test's own and always parse; a bad environment variable of the phase is the user's to
/// fix and ends the process as that service would (one line, exit 2).
fn parse<F: Parser>(flags: &[&str]) -> F {
    let name = F::command().get_name().to_string();
    F::try_parse_from(std::iter::once(name.as_str()).chain(flags.iter().copied()))
        .unwrap_or_else(|error| error.exit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Args {
        Args::try_parse_from(["smoke", "--count", "42", "--brokers", "b:9093"]).unwrap()
    }

    #[test]
    fn every_phase_gets_the_connection_and_the_names() {
        let (args, names) = (args(), Names::new("t"));
        let producer = producer_args(&args, &names);
        assert_eq!(producer.count, Some(42));
        assert_eq!(producer.rate, 0.0);
        assert_eq!(producer.kafka.brokers, "b:9093");
        assert_eq!(producer.kafka.topic, names.topic);
        assert_eq!(producer.runs.runs_topic, names.runs_topic);
        let consumer = consumer_args(&args, &names);
        assert_eq!(consumer.group_id, names.group);
        assert_eq!(consumer.max_messages, Some(42));
        assert_eq!(consumer.kafka.topic, names.topic);
        let verifier = verifier_args(&args, &names);
        assert_eq!(verifier.runs.runs_topic, names.runs_topic);
        assert_eq!(verifier.kafka.brokers, "b:9093");
    }
}
