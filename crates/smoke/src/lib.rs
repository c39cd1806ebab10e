//! `smoke`: the pipeline run once, end to end, on the user's cluster, as a test of that
//! cluster. It proves that a client with these settings can create a topic, produce to it,
//! read it in a consumer group, commit, and that every acknowledged event arrived.
//!
//! How it works:
//! - [`config`]: the binary makes a [`SmokeConfig`] of its flags, in one place: the test's
//!   names and each phase's config;
//! - [`names`]: the test gets a topic, runs topic and group of its own, new on every run, under
//!   one prefix (`smoke-…`), so that it never touches the user's data and one prefixed ACL
//!   covers it;
//! - [`phases`]: the producer, the consumer and the verifier run in turn in this process, with
//!   the test's connection settings (`--config`, the flags), each printing what it prints on its
//!   own; a phase whose verdict fails ends the test;
//! - [`cleanup`]: the topics and the group are deleted afterwards, pass or fail;
//! - the last line on stdout is the verdict, `smoke PASSED: …` or `smoke FAILED at PHASE: …`,
//!   and the exit code follows the services' table: 0 passed, 1 failed, 2 something to fix
//!   (settings, rights, a cleanup the cluster refused).

pub mod args;
pub mod cleanup;
pub mod config;
pub mod names;
pub mod phases;

use std::time::Duration;

use service::{Outcome, Shutdown};

pub use args::Args;
use cleanup::Cleanup;
pub use config::SmokeConfig;
use names::Names;
use phases::{Phase, PhaseError, Timings};

/// Why the test could not reach a verdict, or left something behind: the user must act (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A phase stopped on an error of its service.
    #[error("smoke test stopped at {phase}: {source}")]
    Phase {
        /// The phase.
        phase: Phase,
        /// The service's error.
        source: Box<PhaseError>,
    },
    /// The topics or the group could not be deleted.
    #[error("smoke test could not delete its {names}: {source}; delete them by hand")]
    Cleanup {
        /// What is left.
        names: Names,
        /// The cluster's refusal.
        source: kafka::Error,
    },
}

impl Error {
    /// Whether the test stopped before it could use the cluster ([`PhaseError::never_connected`]).
    fn never_connected(&self) -> bool {
        matches!(self, Error::Phase { source, .. } if source.never_connected())
    }
}

/// Runs the test: phases, cleanup, verdict line.
pub async fn run(config: SmokeConfig, shutdown: Shutdown) -> Result<Outcome, Error> {
    let names = &config.names;
    tracing::info!(
        count = config.count,
        topic = names.topic,
        group = names.group,
        "smoke test"
    );
    let timings = match phases::run(&config, &shutdown).await {
        // Nothing was created: no cleanup, which would only meet the same refusal.
        Err(error) if error.never_connected() => return Err(error),
        timings => timings,
    };
    let cleanup = cleanup::run(&config.cleanup, names).await;
    let timings = match (timings, cleanup) {
        (Err(error), Err(cleanup_error)) => {
            tracing::warn!(error = %cleanup_error, %names, "could not clean up");
            return Err(error);
        }
        (Err(error), Ok(_)) => return Err(error),
        (Ok(timings), cleanup) => {
            println!(
                "{}",
                verdict(config.count, names, &timings, cleanup.as_ref().ok())
            );
            cleanup.map_err(|source| Error::Cleanup {
                names: names.clone(),
                source,
            })?;
            timings
        }
    };
    Ok(Outcome::from_check(timings.failed.is_none()))
}

/// The verdict line: what passed or where it failed, how long each phase took, what was left.
fn verdict(count: u64, names: &Names, timings: &Timings, cleanup: Option<&Cleanup>) -> String {
    let phases = timings
        .phases
        .iter()
        .map(|(phase, took)| format!("{phase} {}", seconds(*took)))
        .collect::<Vec<_>>()
        .join(", ");
    let head = match &timings.failed {
        None => format!(
            "smoke PASSED: {} events produced to {}, read by group {} and verified ({phases})",
            count, names.topic, names.group
        ),
        Some((phase, why)) => format!("smoke FAILED at {phase}: {why} ({phases})"),
    };
    let tail = match cleanup {
        Some(Cleanup::Deleted) => "topics and group deleted".to_string(),
        Some(Cleanup::Kept) => format!("kept: {names}"),
        None => format!("left behind: {names}"),
    };
    format!("{head}; {tail}")
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timings(failed: Option<(Phase, &str)>) -> Timings {
        Timings {
            phases: vec![
                (Phase::Produce, Duration::from_millis(1200)),
                (Phase::Consume, Duration::from_millis(800)),
            ],
            failed: failed.map(|(phase, why)| (phase, why.to_string())),
        }
    }

    #[test]
    fn the_verdict_line_says_what_passed_and_what_was_left() {
        let names = Names::new("smoke");
        let passed = verdict(7, &names, &timings(None), Some(&Cleanup::Deleted));
        assert_eq!(
            passed,
            format!(
                "smoke PASSED: 7 events produced to {0}, read by group {0} and verified \
                 (produce 1.2s, consume 0.8s); topics and group deleted",
                names.topic
            )
        );
        let failed = verdict(
            7,
            &names,
            &timings(Some((Phase::Consume, "too slow"))),
            None,
        );
        assert!(
            failed.starts_with("smoke FAILED at consume: too slow (produce 1.2s, consume 0.8s); left behind: topics "),
            "{failed}"
        );
    }
}
