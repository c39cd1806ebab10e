//! What can go wrong with one connection to one broker: reaching it, securing it (TLS, SASL),
//! and framing its requests and answers. Each error names the broker and what the user can do.

use std::{fmt, path::PathBuf, time::Duration};

use kafka_protocol::error::ResponseError;

use super::{
    security::{flags, SaslMechanism},
    tls::{TlsFile, TlsFileProblem},
};

/// The result of the connection layer.
pub type Result<T, E = ConnectionError> = std::result::Result<T, E>;

/// Why a connection, or a request on it, failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
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

    /// The security settings do not go together (credentials missing, a key without its
    /// certificate): caught before connecting.
    #[error("{problem} ({flags})")]
    Settings {
        /// What is wrong.
        problem: String,
        /// The flags to fix.
        flags: String,
    },

    /// A TLS file of the settings cannot be used.
    #[error("the {file} {} ({}): {problem}", path.display(), file.flag())]
    TlsFile {
        /// Which file.
        file: TlsFile,
        /// Its path.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        problem: TlsFileProblem,
    },

    /// The broker refused the SASL credentials.
    #[error("authentication failed for user {user} with {mechanism} at {broker}: {message}")]
    AuthenticationFailed {
        /// The broker's `host:port`.
        broker: String,
        /// The user name presented.
        user: String,
        /// The mechanism used.
        mechanism: SaslMechanism,
        /// The broker's message, or what went wrong in the exchange.
        message: String,
    },

    /// The broker does not offer the SASL mechanism of the settings.
    #[error(
        "{broker} does not offer SASL mechanism {mechanism} ({}) ({})",
        offered_list(offered),
        flags::SASL_MECHANISM
    )]
    MechanismNotOffered {
        /// The broker's `host:port`.
        broker: String,
        /// The mechanism asked for.
        mechanism: SaslMechanism,
        /// The mechanisms its SaslHandshake answer lists, comma-separated.
        offered: String,
    },

    /// The broker's certificate did not pass verification.
    #[error("TLS with {broker}: certificate verify failed: {reason}")]
    CertificateRejected {
        /// The broker's `host:port`.
        broker: String,
        /// Why (unknown CA, wrong host name, expired, ...).
        reason: String,
    },

    /// The TLS handshake failed for another reason than the broker's certificate (the broker
    /// refused ours, no version or cipher in common).
    #[error("TLS with {broker} failed: {reason}")]
    Tls {
        /// The broker's `host:port`.
        broker: String,
        /// Why.
        reason: String,
    },

    /// TLS was spoken to a broker that did not answer TLS: a plaintext listener, most likely.
    #[error(
        "the broker at {broker} did not answer TLS ({seen}): is it a plaintext listener? ({})",
        flags::SECURITY_PROTOCOL
    )]
    NotTls {
        /// The broker's `host:port`.
        broker: String,
        /// What it did instead.
        seen: Mismatch,
    },

    /// Plaintext was spoken to a broker that did not answer it: a TLS listener, most likely.
    #[error(
        "the broker at {broker} did not answer in plaintext ({seen}): is it a TLS listener? ({})",
        flags::SECURITY_PROTOCOL
    )]
    NotPlaintext {
        /// The broker's `host:port`.
        broker: String,
        /// What it did instead.
        seen: Mismatch,
    },

    /// A TLS connection closed before its first answer: how a broker refuses the client's
    /// certificate (or its absence) under TLS 1.3, where its verdict comes after our side of
    /// the handshake is done; a broker going down does the same, so this is conclusive at a
    /// service's first connection only.
    #[error("the broker at {broker} closed the connection right after the TLS handshake: {}", closed_after_handshake_hint(*client_certificate))]
    ClosedAfterTlsHandshake {
        /// The broker's `host:port`.
        broker: String,
        /// Whether we presented a client certificate.
        client_certificate: bool,
    },

    /// A broker answered ApiVersions, then closed the connection at the next request, which
    /// carried no SASL authentication: what brokers requiring SASL do. Conclusive at a
    /// service's first connection only.
    #[error("the broker at {broker} closed the connection at the first request after ApiVersions: does it require SASL? ({} SASL_PLAINTEXT or SASL_SSL)", flags::SECURITY_PROTOCOL)]
    NeedsSasl {
        /// The broker's `host:port`.
        broker: String,
    },

    /// The broker refused a request of the connection's own set-up (SASL handshake or
    /// authentication) with an error code.
    #[error("{request} refused: {code:?}{}", message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Refused {
        /// The request refused.
        request: &'static str,
        /// Kafka's error code.
        code: ResponseError,
        /// The broker's message, when it sent one.
        message: Option<String>,
    },
}

/// What a TLS connection closed at once suggests.
fn closed_after_handshake_hint(client_certificate: bool) -> String {
    if client_certificate {
        format!(
            "does it trust our client certificate? ({})",
            flags::SSL_CERTIFICATE_LOCATION
        )
    } else {
        format!(
            "does it require a client certificate? ({}, {})",
            flags::SSL_CERTIFICATE_LOCATION,
            flags::SSL_KEY_LOCATION
        )
    }
}

/// The mechanisms a broker's SaslHandshake answer offers, for messages.
fn offered_list(offered: &str) -> String {
    if offered.is_empty() {
        "its answer does not say which it offers".into()
    } else {
        format!("it offers: {offered}")
    }
}

/// What a broker did instead of answering in the protocol (TLS or plaintext) we spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// It answered bytes of the other protocol: conclusive.
    Answered(&'static str),
    /// It closed the connection: what Kafka does, but also what a broker shutting down does.
    Closed,
    /// It said nothing for this long (a plaintext broker waits for the rest of a "request"
    /// as long as a TLS hello's first bytes say).
    Silent(Duration),
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Answered(what) => write!(f, "it answered {what}"),
            Mismatch::Closed => f.write_str("it closed the connection"),
            Mismatch::Silent(wait) => write!(f, "no answer within {}s", wait.as_secs()),
        }
    }
}

impl ConnectionError {
    /// Whether retrying cannot help: the credentials, the trust or the listener kind are
    /// wrong, and the user must change the settings (or the broker's). Such errors end a
    /// service at once (exit 2) rather than being retried until a timeout hides them. A
    /// closed connection or silence where a protocol mismatch was suspected is not conclusive
    /// on its own (a broker shutting down does the same): [`ConnectionError::is_first_contact_fatal`]
    /// takes it as conclusive at a service's first connection only.
    pub fn is_fatal_security(&self) -> bool {
        match self {
            ConnectionError::Settings { .. }
            | ConnectionError::TlsFile { .. }
            | ConnectionError::AuthenticationFailed { .. }
            | ConnectionError::MechanismNotOffered { .. }
            | ConnectionError::CertificateRejected { .. }
            | ConnectionError::Tls { .. } => true,
            ConnectionError::NotTls { seen, .. } | ConnectionError::NotPlaintext { seen, .. } => {
                matches!(seen, Mismatch::Answered(_))
            }
            _ => false,
        }
    }

    /// Whether this error, met at a service's first connection to the cluster, ends it at
    /// once: the security errors, and any sign of a listener of the other kind.
    pub fn is_first_contact_fatal(&self) -> bool {
        self.is_fatal_security()
            || matches!(
                self,
                ConnectionError::NotTls { .. }
                    | ConnectionError::NotPlaintext { .. }
                    | ConnectionError::ClosedAfterTlsHandshake { .. }
                    | ConnectionError::NeedsSasl { .. }
            )
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
