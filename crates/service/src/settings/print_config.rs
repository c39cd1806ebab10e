//! `--print-config`'s table ([`render`]): each effective setting with where it came from,
//! secrets redacted.

use std::path::PathBuf;

use kafka::connection::security::Secret;

use super::{flags::Connection, source::Key};

/// `--print-config`'s table: one line per setting, its key, value and source, secrets shown as
/// `[redacted]`.
pub fn render(connection: &Connection<'_>) -> String {
    let mut rows = effective(connection);
    for (_, value) in rows.iter_mut().filter(|(_, value)| value.is_empty()) {
        *value = "\"\"".to_string();
    }
    let key_width = rows
        .iter()
        .map(|(key, _)| key.name().len())
        .max()
        .unwrap_or(0)
        + 2;
    let value_width = rows.iter().map(|(_, value)| value.len()).max().unwrap_or(0) + 2;
    let sources = connection.kafka.sources();
    rows.iter()
        .map(|&(key, ref value)| {
            let (name, source) = (key.name(), sources.get(key));
            format!("{name:key_width$}{value:value_width$}{source}\n")
        })
        .collect()
}

/// The effective settings as text, by Kafka's key, secrets redacted.
fn effective(connection: &Connection<'_>) -> Vec<(Key, String)> {
    let kafka = &*connection.kafka;
    let flags = &kafka.security_args;
    let mut rows = vec![
        (Key::BootstrapServers, kafka.brokers.clone()),
        (Key::ClientId, connection.client_id.clone()),
    ];
    if let Some(group_id) = &connection.group_id {
        rows.push((Key::GroupId, group_id.to_string()));
    }
    rows.extend([
        (Key::SecurityProtocol, flags.security_protocol.to_string()),
        (Key::SaslMechanism, flags.sasl_mechanism.to_string()),
        (Key::SaslUsername, or_none(flags.sasl_username.as_deref())),
        (Key::SaslPassword, secret(flags.sasl_password.as_ref())),
        (
            Key::SslCaLocation,
            path_or(&flags.ssl_ca_location, "(none: the system's roots)"),
        ),
        (
            Key::SslCertificateLocation,
            path_or(&flags.ssl_certificate_location, NONE),
        ),
        (Key::SslKeyLocation, path_or(&flags.ssl_key_location, NONE)),
        (Key::SslKeyPassword, secret(flags.ssl_key_password.as_ref())),
        (
            Key::SslEndpointIdentificationAlgorithm,
            flags.ssl_endpoint_identification_algorithm.to_string(),
        ),
    ]);
    rows
}

/// How an unset setting shows.
const NONE: &str = "(none)";

/// An optional text, or [`NONE`].
fn or_none(value: Option<&str>) -> String {
    value.unwrap_or(NONE).to_string()
}

/// A secret as `[redacted]` (its `Display`), never its value.
fn secret(value: Option<&Secret>) -> String {
    value.map_or_else(|| NONE.to_string(), Secret::to_string)
}

/// An optional path, or what stands for it unset.
fn path_or(path: &Option<PathBuf>, unset: &str) -> String {
    path.as_ref()
        .map_or_else(|| unset.to_string(), |p| p.display().to_string())
}
