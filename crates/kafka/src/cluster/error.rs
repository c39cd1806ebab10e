//! What can go wrong in finding one's way around the cluster: no bootstrap broker, none
//! reachable, an advertised broker that refuses what the bootstrap accepted, a topic that is not
//! there, a Metadata or FindCoordinator refused. The connection layer's errors lift into it.

use std::time::Duration;

use kafka_protocol::error::ResponseError;

use crate::connection::ConnectionError;

/// The result of the cluster layer.
pub type Result<T, E = ClusterError> = std::result::Result<T, E>;

/// Why the cluster could not be reached or described.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
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

    /// A topic the caller needs does not exist.
    #[error("topic {topic} does not exist{hint}")]
    UnknownTopic {
        /// The topic.
        topic: String,
        /// What the user can do about it, with its leading separator.
        hint: &'static str,
    },

    /// A broker refused a request about the cluster (Metadata, FindCoordinator).
    #[error("{request} refused: {code:?}{}", message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Refused {
        /// The request refused.
        request: &'static str,
        /// Kafka's error code.
        code: ResponseError,
        /// The broker's message, or what was asked about.
        message: Option<String>,
    },

    /// A broker that the cluster's metadata advertises refused the connection that the
    /// bootstrap broker accepted.
    #[error("{cause} ({broker} is advertised by the bootstrap broker {by})")]
    Advertised {
        /// The advertised broker's `host:port`.
        broker: String,
        /// The bootstrap broker that advertised it.
        by: String,
        /// Why it refused.
        cause: Box<ConnectionError>,
    },

    /// A connection to a broker failed.
    #[error(transparent)]
    Connection(#[from] ConnectionError),

    /// A request made through rskafka failed.
    #[error("{context}")]
    Client {
        /// What was being done.
        context: String,
        /// rskafka's error.
        #[source]
        source: Box<rskafka::client::error::Error>,
    },
}

impl ClusterError {
    /// Whether retrying cannot help: see [`ConnectionError::is_fatal_security`].
    pub fn is_fatal_security(&self) -> bool {
        match self {
            ClusterError::Connection(error) => error.is_fatal_security(),
            ClusterError::Advertised { cause, .. } => cause.is_fatal_security(),
            _ => false,
        }
    }

    /// Whether this error, met at a service's first contact with the cluster, ends it at once:
    /// see [`ConnectionError::is_first_contact_fatal`]; an advertised broker refusing what the
    /// bootstrap broker accepted always does.
    pub fn is_first_contact_fatal(&self) -> bool {
        match self {
            ClusterError::Connection(error) => error.is_first_contact_fatal(),
            ClusterError::Advertised { .. } => true,
            _ => false,
        }
    }

    /// Wraps an rskafka error with what was being done.
    pub fn client(
        context: impl Into<String>,
    ) -> impl FnOnce(rskafka::client::error::Error) -> ClusterError {
        let context = context.into();
        move |source| ClusterError::Client {
            context,
            source: Box::new(source),
        }
    }
}
