//! How the services authenticate to the cluster and protect their connections: Kafka's
//! `security.protocol`, SASL (PLAIN, SCRAM-SHA-256/512) and TLS, as one value that every
//! connection uses, rskafka's (producing, metadata) and ours (groups, admin, fetching) alike.
//!
//! How a connection uses it: [`Security::tls_client_config`] builds the TLS configuration once
//! per process ([`crate::connection::tls`]) and hands the same `Arc` to rskafka's client and to every
//! [`crate::connection::Connection`]; [`Security::sasl_credentials`] gives the credentials that
//! each connection presents right after its version handshake. Both check the settings first,
//! so that a missing file or missing credentials fail before any connection, naming the flag
//! (the names in [`flags`]).

use std::{fmt, path::PathBuf, str::FromStr};

use super::{ConnectionError, Result};

/// The command-line flags of these settings, as error messages name them (the services define
/// the flags under these names, with Kafka's property names in their help).
pub mod flags {
    /// `security.protocol`.
    pub const SECURITY_PROTOCOL: &str = "--security-protocol";
    /// `sasl.mechanism`.
    pub const SASL_MECHANISM: &str = "--sasl-mechanism";
    /// `sasl.username`.
    pub const SASL_USERNAME: &str = "--sasl-username";
    /// `sasl.password`.
    pub const SASL_PASSWORD: &str = "--sasl-password";
    /// `ssl.ca.location`.
    pub const SSL_CA_LOCATION: &str = "--ssl-ca-location";
    /// `ssl.certificate.location`.
    pub const SSL_CERTIFICATE_LOCATION: &str = "--ssl-certificate-location";
    /// `ssl.key.location`.
    pub const SSL_KEY_LOCATION: &str = "--ssl-key-location";
    /// `ssl.key.password`.
    pub const SSL_KEY_PASSWORD: &str = "--ssl-key-password";
    /// `ssl.endpoint.identification.algorithm`.
    pub const SSL_ENDPOINT_IDENTIFICATION: &str = "--ssl-endpoint-identification-algorithm";
}

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
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
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

/// TLS settings, librdkafka's names in brackets; [`crate::connection::tls`] turns them into rustls'.
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

impl Security {
    /// The credentials every connection presents, or `None` when the protocol does not use
    /// SASL; an error when it does and none were given.
    pub fn sasl_credentials(&self) -> Result<Option<&SaslConfig>> {
        if !self.protocol.uses_sasl() {
            return Ok(None);
        }
        match &self.sasl {
            Some(sasl) if !sasl.username.is_empty() => Ok(Some(sasl)),
            _ => Err(ConnectionError::Settings {
                problem: format!("{} needs a user name and a password", self.protocol),
                flags: format!("{}, {}", flags::SASL_USERNAME, flags::SASL_PASSWORD),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secrets() -> Security {
        Security {
            protocol: SecurityProtocol::SaslSsl,
            sasl: Some(SaslConfig {
                mechanism: SaslMechanism::ScramSha512,
                username: "alice".into(),
                password: Secret::new("alice-secret"),
            }),
            tls: TlsConfig {
                key_password: Some(Secret::new("key-secret")),
                ..TlsConfig::default()
            },
        }
    }

    #[test]
    fn secrets_never_show_in_debug_or_display() {
        let security = with_secrets();
        let debug = format!("{security:?} {security:#?}");
        assert!(
            !debug.contains("alice-secret") && !debug.contains("key-secret"),
            "{debug}"
        );
        assert!(debug.contains("alice") && debug.contains("[redacted]"));
        assert_eq!(Secret::new("x").to_string(), "[redacted]");
        assert_eq!(Secret::new("x").expose(), "x");
    }

    #[test]
    fn sasl_needs_credentials_and_plaintext_needs_nothing() {
        let mut security = with_secrets();
        assert_eq!(
            security.sasl_credentials().unwrap().unwrap().username,
            "alice"
        );
        security.sasl = None;
        assert_eq!(
            security.sasl_credentials().unwrap_err().to_string(),
            "SASL_SSL needs a user name and a password (--sasl-username, --sasl-password)"
        );
        let plaintext = Security::default();
        assert!(plaintext.sasl_credentials().unwrap().is_none());
        assert!(plaintext.tls_client_config().unwrap().is_none());
    }

    #[test]
    fn names_parse_in_any_case() {
        assert_eq!("sasl_ssl".parse(), Ok(SecurityProtocol::SaslSsl));
        assert_eq!("scram-sha-256".parse(), Ok(SaslMechanism::ScramSha256));
        assert!("GSSAPI"
            .parse::<SaslMechanism>()
            .unwrap_err()
            .contains("not supported"));
    }
}
