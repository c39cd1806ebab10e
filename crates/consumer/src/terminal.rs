//! The live statistics as people watch them. On a terminal, the statistics block is redrawn
//! in place every interval, unless a log line came in between (the new block then goes below
//! it). In logs (no terminal), and in an interval when nothing was consumed, it is one line.

use service::logging;

/// Moves the cursor up `n` lines (ANSI CUU).
fn cursor_up(n: usize) -> String {
    format!("\x1b[{n}A")
}

/// Clears from the cursor to the end of the screen (ANSI ED).
const CLEAR_BELOW: &str = "\x1b[J";

/// How the live statistics are printed, and what was drawn last.
#[derive(Debug)]
pub struct LiveView {
    redraws: bool,
    drawn: Option<Drawing>,
}

/// A block on the screen: its height, and the log events written when it was drawn.
#[derive(Debug, Clone, Copy)]
struct Drawing {
    lines: usize,
    log_events: u64,
}

impl LiveView {
    /// A view that redraws in place when it prints to a terminal.
    pub fn new(on_terminal: bool) -> LiveView {
        LiveView {
            redraws: on_terminal,
            drawn: None,
        }
    }

    /// What to print for one interval: the `block`, over the previous one, on a terminal when
    /// records came in; the `line` otherwise.
    pub fn frame(
        &mut self,
        idle: bool,
        block: impl FnOnce() -> String,
        line: impl FnOnce() -> String,
    ) -> String {
        if !self.redraws || idle {
            self.drawn = None;
            return line();
        }
        let block = block();
        let log_events = logging::events_written();
        let over_last = match self.drawn {
            Some(last) if last.log_events == log_events => cursor_up(last.lines) + CLEAR_BELOW,
            _ => String::new(),
        };
        self.drawn = Some(Drawing {
            lines: block.matches('\n').count(),
            log_events,
        });
        over_last + &block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> String {
        "=== Live statistics ===\nevents/s : 3.0\n".into()
    }

    fn line() -> String {
        "live: idle\n".into()
    }

    #[test]
    fn a_terminal_gets_the_block_redrawn_over_the_last_one() {
        let mut view = LiveView::new(true);
        assert_eq!(view.frame(false, block, line), block());
        assert_eq!(
            view.frame(false, block, line),
            format!("\x1b[2A\x1b[J{}", block())
        );
        assert_eq!(view.frame(true, block, line), line());
        assert_eq!(view.frame(false, block, line), block(), "not over the line");
    }

    #[test]
    fn logs_get_one_line_per_interval() {
        let mut view = LiveView::new(false);
        assert_eq!(view.frame(false, block, line), line());
    }
}
