//! Process plumbing shared by the producer, consumer and verifier binaries: the Kafka connection
//! settings, from flags, environment variables and a `client.properties` ([`settings`], the
//! file in Java's syntax: [`properties`], [`jaas`]), duration flags
//! ([`duration`]), logging ([`logging`]), the one exit-code table ([`exit`]), stopping on
//! Ctrl+C or SIGTERM ([`shutdown`]), the HTTP endpoints for metrics and probes ([`http`]) and
//! the `healthcheck` subcommand that asks them ([`healthcheck`]).
//!
//! Nothing here knows about events or the group protocol: a binary's `main` wires these to its
//! service's library.

use std::process::ExitCode;

use clap::ArgMatches;

pub mod duration;
pub mod exit;
pub mod fetch_flags;
pub mod healthcheck;
pub mod http;
pub mod jaas;
pub mod logging;
pub mod properties;
pub mod settings;
pub mod shutdown;

pub use exit::{Outcome, EXIT_CODES};
pub use logging::{LogArgs, LogFormat};
pub use settings::{Connection, KafkaArgs, RunsArgs, SecurityArgs};
pub use shutdown::Shutdown;

/// A binary's flags: parsed by clap, completed from `--config`, then checked for what clap
/// cannot check (relations between flags).
pub trait Flags: clap::Parser {
    /// Checks the flags together; the message names the flags at fault.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The connection settings among these flags, which `--config` completes and
    /// `--print-config` shows.
    fn connection(&mut self) -> Connection<'_>;

    /// How the binary logs.
    fn logging(&self) -> &LogArgs;
}

/// What every binary does first: its flags parsed, logs on stderr as they say, then the flags
/// completed from the `--config` file and checked. A bad flag or setting ends the process here, with one line and
/// exit code 2 ([`exit::USER_ERROR`]); so does `--print-config`, after its table, with exit
/// code 0 (or 2 if the settings do not pass the checks). `<binary> healthcheck [ADDR]` (listed
/// in `--help` when the binary has `--http`) runs [`healthcheck`] instead, before the flags are
/// parsed, and ends with its exit code. `Err` is the code to exit with.
pub fn start<F: Flags>() -> Result<F, ExitCode> {
    let command = healthcheck::document(F::command());
    let args: Vec<_> = std::env::args_os().collect();
    if let Some(code) = healthcheck::intercept(&command, &args) {
        return Err(code);
    }
    let matches = command.clone().get_matches_from(args);
    if let Some(code) = healthcheck::dispatch(&command, &matches) {
        return Err(code);
    }
    let flags = F::from_arg_matches(&matches)
        .unwrap_or_else(|error| error.format(&mut F::command()).exit());
    logging::init(flags.logging().log_format);
    configure(flags, &matches)
}

/// [`start`] after clap: applies `--config`, logs the warnings, prints the settings for
/// `--print-config`, and checks everything.
fn configure<F: Flags>(mut flags: F, matches: &ArgMatches) -> Result<F, ExitCode> {
    let warnings =
        settings::apply(flags.connection(), matches, &F::command()).map_err(|e| usage(&e))?;
    log_warnings(&warnings);
    let print_config = flags.connection().kafka.print_config;
    if print_config {
        print!("{}", settings::render(&flags.connection()));
    }
    let warnings = settings::check(flags.connection().kafka).map_err(|e| usage(&e))?;
    log_warnings(&warnings);
    flags
        .validate()
        .map_err(|message| exit::usage_error(&message))?;
    if print_config {
        return Err(ExitCode::from(exit::SUCCESS));
    }
    Ok(flags)
}

/// A settings error as a usage error: one line, exit 2.
fn usage(error: &settings::SettingsError) -> ExitCode {
    exit::usage_error(&exit::one_line(error))
}

/// Logs each warning.
fn log_warnings(warnings: &[String]) {
    for warning in warnings {
        tracing::warn!("{warning}");
    }
}

/// What the unit tests that parse flags share: the environment is the process's, and clap reads
/// it, so such tests take turns.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Mutex;

    /// Serialises the tests that read or change the environment.
    static ENVIRONMENT: Mutex<()> = Mutex::new(());

    /// Runs `f` with exactly the environment variables `env` among those `command`'s flags
    /// read, the others removed, then removes them all again.
    pub fn with_env<T>(command: &clap::Command, env: &[(&str, &str)], f: impl FnOnce() -> T) -> T {
        let _turn = ENVIRONMENT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let variables: Vec<_> = command
            .get_arguments()
            .filter_map(|arg| arg.get_env().map(ToOwned::to_owned))
            .collect();
        remove_all(&variables);
        for (name, value) in env {
            std::env::set_var(name, value);
        }
        let result = f();
        remove_all(&variables);
        result
    }

    /// Removes the environment variables `names`.
    fn remove_all(names: &[std::ffi::OsString]) {
        for name in names {
            std::env::remove_var(name);
        }
    }
}
