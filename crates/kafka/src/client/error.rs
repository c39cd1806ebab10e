//! What can go wrong in a client's request: the broker refusing it, records that cannot be
//! read, an rskafka request failing. The lower layers' errors lift into it, so that a service
//! sees one error type, [`Error`] (the crate's).

use kafka_protocol::error::ResponseError;

use crate::{cluster::ClusterError, connection::ConnectionError, protocol::records::RecordsError};

/// The result of the clients' requests.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a client's request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
        source: RecordsError,
    },

    /// The cluster could not be reached or described.
    #[error(transparent)]
    Cluster(#[from] ClusterError),

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

impl Error {
    /// Whether retrying cannot help: see [`ConnectionError::is_fatal_security`].
    pub fn is_fatal_security(&self) -> bool {
        match self {
            Error::Cluster(error) => error.is_fatal_security(),
            Error::Connection(error) => error.is_fatal_security(),
            _ => false,
        }
    }

    /// Whether this error, met at a service's first contact with the cluster, ends it at once:
    /// see [`ClusterError::is_first_contact_fatal`].
    pub fn is_first_contact_fatal(&self) -> bool {
        match self {
            Error::Cluster(error) => error.is_first_contact_fatal(),
            Error::Connection(error) => error.is_first_contact_fatal(),
            _ => false,
        }
    }

    /// The connection error under this one, if it is one: for the callers that tell a
    /// connection that broke from a request refused.
    pub fn connection(&self) -> Option<&ConnectionError> {
        match self {
            Error::Connection(error) | Error::Cluster(ClusterError::Connection(error)) => {
                Some(error)
            }
            _ => None,
        }
    }

    /// Wraps an rskafka error with what was being done.
    pub fn client(
        context: impl Into<String>,
    ) -> impl FnOnce(rskafka::client::error::Error) -> Error {
        let context = context.into();
        move |source| Error::Client {
            context,
            source: Box::new(source),
        }
    }
}
