//! The words the other layers of [`crate::settings`] share, and nothing that reads or merges:
//! the connection settings by Kafka's names ([`Key`]), where a value came from ([`Source`],
//! [`Sources`]), and the one setting whose type is this crate's ([`EndpointIdentification`]).

use std::{collections::BTreeMap, fmt, path::PathBuf};

use clap::ValueEnum;

/// A connection setting that `--config` can give and `--print-config` shows, by Kafka's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// `bootstrap.servers` (`--brokers`).
    BootstrapServers,
    /// `client.id`.
    ClientId,
    /// `group.id`.
    GroupId,
    /// `security.protocol`.
    SecurityProtocol,
    /// `sasl.mechanism`.
    SaslMechanism,
    /// `sasl.username`.
    SaslUsername,
    /// `sasl.password`.
    SaslPassword,
    /// `ssl.ca.location`.
    SslCaLocation,
    /// `ssl.certificate.location`.
    SslCertificateLocation,
    /// `ssl.key.location`.
    SslKeyLocation,
    /// `ssl.key.password`.
    SslKeyPassword,
    /// `ssl.endpoint.identification.algorithm`.
    SslEndpointIdentificationAlgorithm,
}

impl Key {
    /// Kafka's name of the setting, as in a `client.properties`.
    pub const fn name(self) -> &'static str {
        match self {
            Key::BootstrapServers => "bootstrap.servers",
            Key::ClientId => "client.id",
            Key::GroupId => "group.id",
            Key::SecurityProtocol => "security.protocol",
            Key::SaslMechanism => "sasl.mechanism",
            Key::SaslUsername => "sasl.username",
            Key::SaslPassword => "sasl.password",
            Key::SslCaLocation => "ssl.ca.location",
            Key::SslCertificateLocation => "ssl.certificate.location",
            Key::SslKeyLocation => "ssl.key.location",
            Key::SslKeyPassword => "ssl.key.password",
            Key::SslEndpointIdentificationAlgorithm => "ssl.endpoint.identification.algorithm",
        }
    }

    /// The clap id of the setting's flag: the name of its field in the service's flags
    /// ([`crate::settings::Connection`] says which fields the client and group ids must be).
    pub const fn flag_id(self) -> &'static str {
        match self {
            Key::BootstrapServers => "brokers",
            Key::ClientId => "client_id",
            Key::GroupId => "group_id",
            Key::SecurityProtocol => "security_protocol",
            Key::SaslMechanism => "sasl_mechanism",
            Key::SaslUsername => "sasl_username",
            Key::SaslPassword => "sasl_password",
            Key::SslCaLocation => "ssl_ca_location",
            Key::SslCertificateLocation => "ssl_certificate_location",
            Key::SslKeyLocation => "ssl_key_location",
            Key::SslKeyPassword => "ssl_key_password",
            Key::SslEndpointIdentificationAlgorithm => "ssl_endpoint_identification_algorithm",
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Source {
    /// The command line: the flag.
    Flag(String),
    /// The environment: the variable.
    Env(String),
    /// The `--config` file: its path.
    File(PathBuf),
    /// Nothing set it: the built-in default (or unset, for settings without one).
    #[default]
    Default,
}

impl Source {
    /// Whether the user gave the value (flag, environment or file).
    pub fn is_given(&self) -> bool {
        *self != Source::Default
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(variable) => write!(f, "env {variable}"),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// Where each connection setting came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources(BTreeMap<Key, Source>);

impl Sources {
    /// Where the setting `key` came from ([`Source::Default`] for a key never recorded).
    pub fn get(&self, key: Key) -> &Source {
        static DEFAULT: Source = Source::Default;
        self.0.get(&key).unwrap_or(&DEFAULT)
    }

    /// Records where the setting `key` came from.
    pub(super) fn record(&mut self, key: Key, source: Source) {
        self.0.insert(key, source);
    }
}

/// Kafka's `ssl.endpoint.identification.algorithm`: whether TLS checks the broker's host name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum EndpointIdentification {
    /// The broker's certificate must name the host connected to (Kafka's default).
    #[default]
    Https,
    /// No host name check: test clusters only.
    None,
}

impl fmt::Display for EndpointIdentification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.to_possible_value().expect("no value is skipped");
        f.write_str(value.get_name())
    }
}
