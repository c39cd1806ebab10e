//! The checks of the effective settings together, before connecting ([`check`]): what one
//! setting alone cannot tell.

use super::{error::SettingsError, flags::KafkaArgs, source::Key};

/// Checks the effective settings together, as [`super::apply`] left them: a SASL protocol needs a
/// user name and a password; a client certificate needs its key, and the other way round.
/// Returns the warnings to log: settings the protocol does not use are ignored, as Kafka's
/// clients ignore them (a SASL mechanism given with PLAINTEXT or SSL is a warning, not an
/// error), but named, as a forgotten `--security-protocol` is the likely cause.
pub fn check(kafka: &KafkaArgs) -> Result<Vec<String>, SettingsError> {
    let protocol = kafka.security_args.security_protocol;
    let mut warnings = Vec::new();
    if protocol.uses_sasl() {
        check_credentials(kafka)?;
    } else {
        warnings.extend(ignored(kafka, &SASL_KEYS, "SASL"));
    }
    if protocol.uses_tls() {
        check_client_certificate(kafka)?;
    } else {
        warnings.extend(ignored(kafka, &SSL_KEYS, "TLS"));
    }
    Ok(warnings)
}

/// The warning naming the settings among `keys` that the user gave but the protocol, which
/// does not use `what`, ignores.
fn ignored(kafka: &KafkaArgs, keys: &[Key], what: &str) -> Option<String> {
    let given: Vec<&str> = keys
        .iter()
        .filter(|key| kafka.sources().get(**key).is_given())
        .map(|key| key.name())
        .collect();
    let protocol = kafka.security_args.security_protocol;
    (!given.is_empty()).then(|| {
        format!(
            "{} ignored: security.protocol {protocol} does not use {what}",
            given.join(", ")
        )
    })
}

/// The SASL settings' keys.
const SASL_KEYS: [Key; 3] = [Key::SaslMechanism, Key::SaslUsername, Key::SaslPassword];

/// The TLS settings' keys.
const SSL_KEYS: [Key; 5] = [
    Key::SslCaLocation,
    Key::SslCertificateLocation,
    Key::SslKeyLocation,
    Key::SslKeyPassword,
    Key::SslEndpointIdentificationAlgorithm,
];

/// A SASL protocol's user name and password are both there (and not empty).
fn check_credentials(kafka: &KafkaArgs) -> Result<(), SettingsError> {
    let flags = &kafka.security_args;
    let protocol = flags.security_protocol;
    if flags.sasl_username.as_deref().is_none_or(str::is_empty) {
        return Err(SettingsError::MissingCredential {
            protocol,
            what: "user name",
            flag: "--sasl-username",
            env: "KAFKA_SASL_USERNAME",
            key: Key::SaslUsername,
        });
    }
    if flags
        .sasl_password
        .as_ref()
        .is_none_or(|p| p.expose().is_empty())
    {
        return Err(SettingsError::MissingCredential {
            protocol,
            what: "password",
            flag: "--sasl-password",
            env: "KAFKA_SASL_PASSWORD",
            key: Key::SaslPassword,
        });
    }
    Ok(())
}

/// A client certificate comes with its key.
fn check_client_certificate(kafka: &KafkaArgs) -> Result<(), SettingsError> {
    let flags = &kafka.security_args;
    let (certificate, key) = (Key::SslCertificateLocation, Key::SslKeyLocation);
    match (&flags.ssl_certificate_location, &flags.ssl_key_location) {
        (Some(_), None) => Err(SettingsError::UnpairedClientCertificate {
            given: certificate,
            missing: key,
        }),
        (None, Some(_)) => Err(SettingsError::UnpairedClientCertificate {
            given: key,
            missing: certificate,
        }),
        _ => Ok(()),
    }
}
