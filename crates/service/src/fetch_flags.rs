//! The read settings as flags take them, with Kafka's value names (`read_committed`,
//! `earliest`): clap's side of the kafka library's [`IsolationLevel`] and [`OffsetReset`],
//! which know nothing of the command line.

use clap::ValueEnum;
use kafka::client::fetch::{IsolationLevel, OffsetReset};

/// `--isolation-level` (Kafka's `isolation.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum IsolationLevelFlag {
    /// Every record written, also those of transactions still open or aborted (Kafka's default).
    #[default]
    #[value(name = "read_uncommitted")]
    ReadUncommitted,
    /// Only records of committed transactions, up to the last stable offset.
    #[value(name = "read_committed")]
    ReadCommitted,
}

impl From<IsolationLevelFlag> for IsolationLevel {
    fn from(flag: IsolationLevelFlag) -> IsolationLevel {
        match flag {
            IsolationLevelFlag::ReadUncommitted => IsolationLevel::ReadUncommitted,
            IsolationLevelFlag::ReadCommitted => IsolationLevel::ReadCommitted,
        }
    }
}

/// `--auto-offset-reset` (Kafka's `auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OffsetResetFlag {
    /// The partition's earliest offset.
    #[default]
    Earliest,
    /// The partition's end: only records written from now on.
    Latest,
}

impl From<OffsetResetFlag> for OffsetReset {
    fn from(flag: OffsetResetFlag) -> OffsetReset {
        match flag {
            OffsetResetFlag::Earliest => OffsetReset::Earliest,
            OffsetResetFlag::Latest => OffsetReset::Latest,
        }
    }
}
