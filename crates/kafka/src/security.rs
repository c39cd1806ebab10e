//! How the services authenticate to the cluster and protect their connections: Kafka's
//! `security.protocol`, SASL (PLAIN, SCRAM-SHA-256/512) and TLS, as one value that every
//! connection uses, rskafka's (producing, metadata) and ours (groups, admin, fetching) alike.

use std::{fmt, path::PathBuf, str::FromStr};

/// Kafka's `security.protocol`: whether connections use TLS, SASL, both or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// Plain TCP, no authentication.
    #[default]
    Plaintext,
    /// TLS, no SASL (mutual TLS when a client certificate is given).
    Ssl,
    /// SASL over plain TCP.
    SaslPlaintext,
    /// SASL over TLS: what managed clusters ask for.
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's names, as `security.protocol` takes them.
    pub const NAMES: [&'static str; 4] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

    /// Whether connections use TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(self, SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl)
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        };
        f.write_str(name)
    }
}

impl FromStr for SecurityProtocol {
    type Err = String;

    /// Kafka's names, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(SecurityProtocol::Plaintext),
            "SSL" => Ok(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Ok(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Ok(SecurityProtocol::SaslSsl),
            _ => Err(format!(
                "unknown security protocol {s:?} (expected one of {})",
                SecurityProtocol::NAMES.join(", ")
            )),
        }
    }
}

/// Kafka's `sasl.mechanism`s that this client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaslMechanism {
    /// User name and password in clear (only over TLS, in practice).
    #[default]
    Plain,
    /// SCRAM with SHA-256 (RFC 7677).
    ScramSha256,
    /// SCRAM with SHA-512.
    ScramSha512,
}

impl SaslMechanism {
    /// Kafka's names, as `sasl.mechanism` takes them.
    pub const NAMES: [&'static str; 3] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        };
        f.write_str(name)
    }
}

impl FromStr for SaslMechanism {
    type Err = String;

    /// Kafka's names, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(SaslMechanism::Plain),
            "SCRAM-SHA-256" => Ok(SaslMechanism::ScramSha256),
            "SCRAM-SHA-512" => Ok(SaslMechanism::ScramSha512),
            "OAUTHBEARER" | "GSSAPI" | "AWS_MSK_IAM" => Err(format!(
                "SASL mechanism {s} is not supported (supported: {}; docs/connecting.md)",
                SaslMechanism::NAMES.join(", ")
            )),
            _ => Err(format!(
                "unknown SASL mechanism {s:?} (expected one of {})",
                SaslMechanism::NAMES.join(", ")
            )),
        }
    }
}

/// A secret (password): never printed, logged or serialised; `Debug` and `Display` show
/// `[redacted]`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// SASL credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslConfig {
    /// The mechanism.
    pub mechanism: SaslMechanism,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: Secret,
}

/// TLS settings, librdkafka's names in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// CA certificates to trust, PEM (`ssl.ca.location`); `None`: the system's roots.
    pub ca_location: Option<PathBuf>,
    /// Client certificate chain for mutual TLS, PEM (`ssl.certificate.location`).
    pub certificate_location: Option<PathBuf>,
    /// Client private key for mutual TLS, PEM (`ssl.key.location`).
    pub key_location: Option<PathBuf>,
    /// Password of an encrypted client key (`ssl.key.password`).
    pub key_password: Option<Secret>,
    /// Whether the broker's certificate must name the host connected to
    /// (`ssl.endpoint.identification.algorithm`: `https`, or `none` for test clusters only).
    pub verify_hostname: bool,
}

impl Default for TlsConfig {
    fn default() -> TlsConfig {
        TlsConfig {
            ca_location: None,
            certificate_location: None,
            key_location: None,
            key_password: None,
            verify_hostname: true,
        }
    }
}

/// How every connection to the cluster is secured.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Security {
    /// TLS, SASL, both or neither.
    pub protocol: SecurityProtocol,
    /// The credentials, when `protocol` uses SASL.
    pub sasl: Option<SaslConfig>,
    /// TLS settings, used when `protocol` uses TLS.
    pub tls: TlsConfig,
}
