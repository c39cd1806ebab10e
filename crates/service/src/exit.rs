//! The exit-code table shared by every service, and the one place that turns a service's result
//! into its exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the run's verdict failed: the verifier found acknowledged events lost, or the producer had events not acknowledged |
//! | 2 | something the user must fix: bad flags or settings, a cluster that cannot be reached, refused authentication or authorization, an unsupported protocol version, an invalid group id or session timeout (caught before connecting or answered by the broker) |

use std::{error::Error, fmt::Write, process::ExitCode};

/// Exit code: the run succeeded.
pub const SUCCESS: u8 = 0;
/// Exit code: the run completed but its verdict failed (events lost or not acknowledged).
pub const VERDICT_FAILED: u8 = 1;
/// Exit code: something the user must fix (usage, settings, connection, rights, versions).
pub const USER_ERROR: u8 = 2;

/// The table above as text, for the end of every `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the run's verdict failed: acknowledged events lost (verifier), events not acknowledged (producer)
  2  something to fix: bad flags or settings, cluster unreachable, refused authentication or
     authorization, unsupported protocol version, invalid group id or session timeout";

/// How a run that went to its end turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything the run set out to do was done (exit 0).
    Success,
    /// The run ended but its verdict failed (exit 1).
    VerdictFailed,
}

impl Outcome {
    /// The outcome of a check: success when `passed`.
    pub fn from_check(passed: bool) -> Outcome {
        if passed {
            Outcome::Success
        } else {
            Outcome::VerdictFailed
        }
    }
}

/// Turns a service's result into its exit code. An error is printed as one line on stderr,
/// `error: ` then the error and each of its causes (an `error` event with `--log-format json`), and exits with [`USER_ERROR`]: every error a
/// service returns is one the user can act on (the services handle the others themselves).
pub fn exit_code<E: Error>(result: Result<Outcome, E>) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::from(SUCCESS),
        Ok(Outcome::VerdictFailed) => ExitCode::from(VERDICT_FAILED),
        Err(error) => {
            crate::logging::final_error(&one_line(&error));
            ExitCode::from(USER_ERROR)
        }
    }
}

/// Fails with a usage error, as clap does for a bad flag: one line, exit 2.
pub fn usage_error(message: &str) -> ExitCode {
    crate::logging::final_error(message);
    ExitCode::from(USER_ERROR)
}

/// An error and its causes on one line, `outer: cause: root`, each said once.
pub fn one_line(error: &dyn Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            let _ = write!(line, ": {text}");
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|l| l as &(dyn Error + 'static))
        }
    }

    #[test]
    fn causes_are_chained_on_one_line_without_repeats() {
        let root = Layer("connection refused", None);
        let error = Layer(
            "cannot reach Kafka",
            Some(Box::new(Layer(
                "broker a:1: connection refused",
                Some(Box::new(root)),
            ))),
        );
        assert_eq!(
            one_line(&error),
            "cannot reach Kafka: broker a:1: connection refused"
        );
    }

    #[test]
    fn outcomes_map_to_the_table() {
        assert_eq!(Outcome::from_check(true), Outcome::Success);
        assert_eq!(Outcome::from_check(false), Outcome::VerdictFailed);
    }
}
