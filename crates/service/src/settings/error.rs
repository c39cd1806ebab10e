//! Why the effective settings cannot be used: what [`super::apply`] and [`super::check`] refuse,
//! each a one-line message naming the setting at fault and where to set it.

use kafka::connection::security::SecurityProtocol;

use super::{file::ConfigError, source::Key};

/// Why the settings cannot be used: something the user must fix before connecting.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The `--config` file is missing, unreadable, or has a value this client cannot use.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A SASL protocol without a user name or password.
    #[error(
        "security.protocol {protocol} needs a SASL {what}: give {flag} ({env}), or {key} or \
         sasl.jaas.config in the --config file"
    )]
    MissingCredential {
        /// The protocol.
        protocol: SecurityProtocol,
        /// `user name` or `password`.
        what: &'static str,
        /// Its flag.
        flag: &'static str,
        /// Its environment variable.
        env: &'static str,
        /// Its key in the file.
        key: Key,
    },
    /// A SCRAM login module without a SCRAM mechanism: Kafka's clients would try GSSAPI.
    #[error(
        "sasl.jaas.config uses ScramLoginModule but sasl.mechanism is not set: set it to \
         SCRAM-SHA-256 or SCRAM-SHA-512 (--sasl-mechanism, KAFKA_SASL_MECHANISM)"
    )]
    ScramWithoutMechanism,
    /// A client certificate without its key, or a key without its certificate.
    #[error(
        "{given} is set but {missing} is not: mutual TLS needs both the client certificate \
         and its key (--ssl-certificate-location, --ssl-key-location)"
    )]
    UnpairedClientCertificate {
        /// The one given.
        given: Key,
        /// The one missing.
        missing: Key,
    },
}
