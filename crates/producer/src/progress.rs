//! Progress while the producer runs: a bar redrawn in place on a terminal, a log line every few
//! seconds otherwise (so that `docker compose logs` stays readable).

use std::{
    io::{IsTerminal, Write},
    time::Duration,
};

use crate::publisher::Tally;

/// How often a log line is written when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);
/// How often the bar is redrawn on a terminal.
const DRAW_EVERY: Duration = Duration::from_millis(200);
/// Width of the bar in characters.
const BAR_WIDTH: usize = 30;

/// Reports progress at a bounded frequency.
pub struct Progress {
    total: Option<u64>,
    terminal: bool,
    next_report: Duration,
}

impl Progress {
    /// Progress toward `total` events, if the run has a count.
    pub fn new(total: Option<u64>) -> Progress {
        Progress {
            total,
            terminal: std::io::stderr().is_terminal(),
            next_report: Duration::ZERO,
        }
    }

    /// Reports if it is time to.
    pub fn maybe_report(&mut self, tally: &Tally, elapsed: Duration) {
        if elapsed < self.next_report {
            return;
        }
        let rate = tally.sent as f64 / elapsed.as_secs_f64().max(1e-3);
        let counts = format!(
            "sent {} acked {} failed {} ({rate:.0} events/s)",
            tally.sent,
            tally.acked.events,
            tally.failed.len()
        );
        if self.terminal {
            self.next_report = elapsed + DRAW_EVERY;
            let bar = self
                .total
                .map(|total| bar(tally.sent, total))
                .unwrap_or_default();
            eprint!("\r\x1b[2K{bar}{counts}");
            let _ = std::io::stderr().flush();
        } else {
            self.next_report = elapsed + LOG_EVERY;
            tracing::info!("{counts}");
        }
    }

    /// Ends the bar's line on a terminal.
    pub fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

fn bar(done: u64, total: u64) -> String {
    let filled = (done.min(total) as usize * BAR_WIDTH) / total.max(1) as usize;
    let percent = 100 * done.min(total) / total.max(1);
    format!(
        "[{}{}] {percent:>3}% ",
        "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_fills_in_proportion() {
        assert_eq!(bar(0, 10), format!("[{}]   0% ", "-".repeat(30)));
        assert_eq!(
            bar(5, 10),
            format!("[{}{}]  50% ", "#".repeat(15), "-".repeat(15))
        );
        assert_eq!(bar(12, 10), format!("[{}] 100% ", "#".repeat(30)));
    }
}
