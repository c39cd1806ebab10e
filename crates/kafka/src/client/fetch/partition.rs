//! One partition as a reader fetches it: its position, its fetch size, and where a scan ends.
//! The state travels with the partition when its leader moves, so that the new leader's task
//! goes on from the same place.

use super::size::FetchSize;
use super::StartAt;

/// How many answers in a row without records below a scan's end give it up for that partition.
const EMPTY_ANSWERS_GIVEN_UP_AFTER: u32 = 5;

/// A partition being read.
#[derive(Debug, Clone)]
pub(super) struct PartitionState {
    /// The partition.
    pub partition: i32,
    /// Where the next fetch starts, or the reset policy when there is no offset yet.
    pub position: StartAt,
    /// Bytes the next fetch asks for.
    pub size: FetchSize,
    /// For a scan: where it ends, once learned (the end offset at the scan's start).
    pub end: Option<i64>,
    /// The offset a stall was reported at: said once, not at every fetch.
    stuck_reported_at: Option<i64>,
    /// Answers in a row without records below the scan's end.
    empty_answers: u32,
}

impl PartitionState {
    /// A partition starting at `position`, fetched `usual` bytes at a time, growing to `max`.
    pub fn new(partition: i32, position: StartAt, usual: i32, max: i32) -> PartitionState {
        PartitionState {
            partition,
            position,
            size: FetchSize::new(usual, max),
            end: None,
            stuck_reported_at: None,
            empty_answers: 0,
        }
    }

    /// The offset the next fetch starts at, once known.
    pub fn offset(&self) -> Option<i64> {
        match self.position {
            StartAt::Offset(offset) => Some(offset),
            StartAt::Reset => None,
        }
    }

    /// Whether a scan has read everything up to its end.
    pub fn scanned(&self) -> bool {
        matches!((self.offset(), self.end), (Some(offset), Some(end)) if offset >= end)
    }

    /// Notes that the record at `offset` does not fit even the largest fetch; true the first
    /// time for that offset, when the caller says so.
    pub fn note_stuck(&mut self, offset: i64) -> bool {
        self.stuck_reported_at.replace(offset) != Some(offset)
    }

    /// Notes an answer to a scan's fetch: whether it held batches. True when the scan gives
    /// up on the partition after too many empty answers below its end.
    pub fn scan_gives_up(&mut self, got_batches: bool) -> bool {
        if got_batches {
            self.empty_answers = 0;
            return false;
        }
        self.empty_answers += 1;
        self.empty_answers >= EMPTY_ANSWERS_GIVEN_UP_AFTER
    }
}
