//! The errors of this crate's connections and requests, with the broker, request and cause
//! each happened with.

use std::time::Duration;

use kafka_protocol::error::ResponseError;

/// The result of this crate's connections and requests.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a connection or a request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No bootstrap broker was given.
    #[error("no bootstrap broker given: --brokers is empty (give at least one host:port)")]
    NoBrokers,

    /// No broker of the bootstrap list answered in time.
    #[error("cannot reach Kafka at {brokers} within {}s: {reason} (is the broker running?)", timeout.as_secs())]
    Unreachable {
        /// The bootstrap list tried.
        brokers: String,
        /// How long we tried.
        timeout: Duration,
        /// The last failure seen.
        reason: String,
    },

    /// The TCP connection to a broker failed or broke.
    #[error("connection to {broker} failed")]
    Io {
        /// The broker's `host:port`.
        broker: String,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },

    /// A broker did not answer in time.
    #[error("{broker} did not answer {what} within {timeout:?}")]
    Timeout {
        /// The broker's `host:port`.
        broker: String,
        /// What was waited for.
        what: &'static str,
        /// How long we waited.
        timeout: Duration,
    },

    /// The broker does not speak a version of the request that we do.
    #[error("{broker} does not support {api} at a version this client speaks ({detail})")]
    UnsupportedVersion {
        /// The broker's `host:port`.
        broker: String,
        /// The API (request type) name.
        api: String,
        /// The versions on each side.
        detail: String,
    },

    /// A frame did not follow the protocol (size, correlation id, encoding).
    #[error("protocol error with {broker}: {reason}")]
    Protocol {
        /// The broker's `host:port`.
        broker: String,
        /// What was wrong.
        reason: String,
    },

    /// A response whose body does not decode as its type (kept for its error code).
    #[error(transparent)]
    Undecodable(#[from] UndecodableResponse),

    /// The broker answered with an error code.
    #[error("{request} refused: {code:?}{}", message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Broker {
        /// The request refused.
        request: &'static str,
        /// Kafka's error code.
        code: ResponseError,
        /// The broker's message, when it sent one.
        message: Option<String>,
    },

    /// A topic the caller needs does not exist.
    #[error("topic {topic} does not exist{hint}")]
    UnknownTopic {
        /// The topic.
        topic: String,
        /// What the user can do about it, with its leading separator.
        hint: &'static str,
    },

    /// A partition's records cannot be read (a corrupt batch, an unknown format).
    #[error("cannot read {topic}/{partition} at offset {offset}")]
    Records {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset fetched from.
        offset: i64,
        /// What is wrong with the records.
        #[source]
        source: crate::records::RecordsError,
    },
    /// A request made through rskafka failed.
    #[error("{context}")]
    Client {
        /// What was being done.
        context: String,
        /// rskafka's error.
        #[source]
        source: rskafka::client::error::Error,
    },
}

impl Error {
    /// Wraps an rskafka error with what was being done.
    pub fn client(
        context: impl Into<String>,
    ) -> impl FnOnce(rskafka::client::error::Error) -> Error {
        let context = context.into();
        move |source| Error::Client { context, source }
    }
}

/// A response whose header was right but whose body does not decode as its type. Some
/// Kafka-compatible brokers write null where the protocol wants bytes in error answers
/// (librdkafka's mock cluster in SyncGroup); the body is kept so that the caller can still read
/// the error code at its fixed place.
#[derive(Debug, thiserror::Error)]
#[error("undecodable response to API key {api_key} v{version}: {reason}")]
pub struct UndecodableResponse {
    /// The request's API key.
    pub api_key: i16,
    /// The version the request was sent at.
    pub version: i16,
    /// The body after the response header.
    pub body: bytes::Bytes,
    /// Why it did not decode.
    pub reason: String,
}
