//! The connection settings (brokers, client and group ids, TLS and SASL): where they come from,
//! which value wins, what is checked, and `--print-config`'s table.
//!
//! The modules are layers, each using only those below it:
//!
//! 1. [`source`]: the shared words: each setting by Kafka's name ([`Key`]), where a value came
//!    from ([`Source`], [`Sources`]), and [`EndpointIdentification`].
//! 2. [`file`](mod@file): a `client.properties` read into [`FileSettings`] (its syntax in
//!    [`crate::properties`] and [`crate::jaas`]); and [`flags`]: the clap flags ([`KafkaArgs`],
//!    [`SecurityArgs`], [`RunsArgs`]) and the [`Connection`] view of a service's flags. Neither
//!    knows the other.
//! 3. [`error`]: [`SettingsError`], what the layer above refuses (a file's errors among them).
//! 4. [`merge`]: [`apply`] fills the flags in from the file where neither a flag nor an
//!    environment variable gave a value (flag > environment > file > default) and records
//!    each setting's source; [`checks`]: [`check`] tests the result as a whole;
//!    [`print_config`]: [`render`] is `--print-config`'s table.
//!
//! [`crate::start`] runs them in that order: clap parses, [`apply`], [`render`] for
//! `--print-config`, [`check`]; afterwards the [`KafkaArgs`] hold the effective
//! settings and [`KafkaArgs::security`] the value every connection takes.

pub mod checks;
pub mod error;
pub mod file;
pub mod flags;
pub mod merge;
pub mod print_config;
pub mod source;

pub use checks::check;
pub use error::SettingsError;
pub use file::{ConfigError, FileSettings};
pub use flags::{Connection, KafkaArgs, RunsArgs, SecurityArgs};
pub use merge::apply;
pub use print_config::render;
pub use source::{EndpointIdentification, Key, Source, Sources};

#[cfg(test)]
mod tests;
