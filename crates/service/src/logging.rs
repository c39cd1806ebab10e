//! Logs on stderr, so that stdout stays for reports and `--json`: as text for people, or as one
//! JSON object per line for log collectors (`--log-format json`, env `LOG_FORMAT`).

use std::{
    io::IsTerminal,
    sync::{
        atomic::{AtomicU64, Ordering},
        OnceLock,
    },
};

use tracing_subscriber::EnvFilter;

/// The filter without `RUST_LOG`.
const DEFAULT_FILTER: &str = "info,rskafka=error";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One line per event for people, coloured on a terminal.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `message` and the event's fields), for
    /// log collectors; the final error line too.
    Json,
}

/// The logging flag every binary has.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogArgs {
    /// How logs are written on stderr: `text`, or `json` (one object per line) for log
    /// collectors (Loki, Elasticsearch, `docker compose logs` fed to jq). `RUST_LOG` filters
    /// them.
    #[arg(long, env = "LOG_FORMAT", value_name = "text|json", default_value = "text", value_parser = parse_format)]
    pub log_format: LogFormat,
}

/// `text` or `json`; empty (an unset variable in compose) is `text`.
fn parse_format(value: &str) -> Result<LogFormat, String> {
    match value.trim() {
        "" | "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("{other:?} is not a log format: text or json")),
    }
}

/// Log events written so far, for [`events_written`].
static EVENTS_WRITTEN: AtomicU64 = AtomicU64::new(0);

/// How many log events were written so far: a live view redrawn in place on a terminal
/// checks that none came in between before it moves the cursor back over its last drawing.
pub fn events_written() -> u64 {
    EVENTS_WRITTEN.load(Ordering::Relaxed)
}

/// Stderr, counting each event written to it.
fn counted_stderr() -> std::io::Stderr {
    EVENTS_WRITTEN.fetch_add(1, Ordering::Relaxed);
    std::io::stderr()
}

/// The format [`init`] set, for the final error line ([`crate::exit`]).
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Sends logs to stderr in `format`, filtered by `RUST_LOG`, `info` by default; text is
/// coloured only on a terminal (log files and `docker compose logs` get plain text). rskafka
/// logs every connection at info and warns when a producer is dropped with an empty batch:
/// noise for these services, so only its errors show unless `RUST_LOG` says otherwise. An empty
/// `RUST_LOG` counts as unset, as every empty variable does here.
pub fn init(format: LogFormat) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|directives| !directives.trim().is_empty())
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(counted_stderr)
        .with_target(false);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let _ = FORMAT.set(format);
}

/// Writes the line that ends a failed run: `error: …` as text, or an `error` event in JSON.
pub fn final_error(message: &str) {
    if FORMAT.get() == Some(&LogFormat::Json) {
        tracing::error!("{message}");
    } else {
        eprintln!("error: {message}");
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::testing::with_env;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        logging: LogArgs,
    }

    fn format(args: &[&str], env: &[(&str, &str)]) -> Result<LogFormat, String> {
        with_env(&Flags::command(), env, || {
            Flags::try_parse_from([&["binary"], args].concat())
                .map(|flags| flags.logging.log_format)
                .map_err(|e| e.to_string())
        })
    }

    #[test]
    fn text_unless_the_flag_or_log_format_says_json() {
        assert_eq!(format(&[], &[]), Ok(LogFormat::Text));
        assert_eq!(format(&["--log-format", "json"], &[]), Ok(LogFormat::Json));
        assert_eq!(format(&[], &[("LOG_FORMAT", "json")]), Ok(LogFormat::Json));
        assert_eq!(
            format(&["--log-format", "text"], &[("LOG_FORMAT", "json")]),
            Ok(LogFormat::Text)
        );
    }

    #[test]
    fn an_empty_log_format_counts_as_unset_and_a_bad_one_is_refused() {
        assert_eq!(format(&[], &[("LOG_FORMAT", "")]), Ok(LogFormat::Text));
        let refused = format(&["--log-format", "xml"], &[]).unwrap_err();
        assert!(
            refused.contains("not a log format: text or json"),
            "{refused}"
        );
    }
}
