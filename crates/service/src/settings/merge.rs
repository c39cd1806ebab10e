//! The precedence: a flag beats its environment variable, which beats the `--config` file,
//! which beats the built-in default ([`apply`]).
//!
//! clap has already applied flags, environment variables and defaults when the file is read;
//! `ArgMatches::value_source` tells which of them gave each value, so the file replaces only
//! defaults: the built-in `localhost:9092` never beats a file's `bootstrap.servers`. Each
//! setting's [`Source`] is recorded in the flags, for [`super::check`]'s warnings and
//! `--print-config`.

use std::path::PathBuf;

use clap::{parser::ValueSource, ArgMatches, Command};

use super::{
    error::SettingsError,
    file::FileSettings,
    flags::{Connection, KafkaArgs, SecurityArgs},
    source::{Key, Source, Sources},
};
use crate::jaas::LoginModule;

/// Fills in, from the `--config` file, every connection setting that neither a flag nor an
/// environment variable gave, and records where each came from in the [`KafkaArgs`].
/// `matches` and `command` are clap's, of the flags `connection` points into. Returns the
/// warnings to log (the file's unknown keys).
pub fn apply(
    connection: Connection<'_>,
    matches: &ArgMatches,
    command: &Command,
) -> Result<Vec<String>, SettingsError> {
    let file = match &connection.kafka.config {
        Some(path) => Some(FileSettings::read(path)?),
        None => None,
    };
    let mut merge = Merge {
        matches,
        command,
        path: file.as_ref().map(|f| f.path.clone()),
        sources: Sources::default(),
    };
    let mut file = file.unwrap_or_default();
    let kafka = connection.kafka;
    merge.value(
        Key::BootstrapServers,
        &mut kafka.brokers,
        file.bootstrap_servers.take(),
    );
    merge.value(Key::ClientId, connection.client_id, file.client_id.take());
    if let Some(group_id) = connection.group_id {
        merge.value(Key::GroupId, group_id, file.group_id.take());
    }
    merge_security(&mut merge, &mut kafka.security_args, &mut file);
    kafka.sources = merge.sources;
    check_scram_mechanism(kafka, &file)?;
    Ok(unknown_keys_warning(&file).into_iter().collect())
}

/// [`apply`] for the TLS and SASL settings, taking the file's values out of `file`.
fn merge_security(merge: &mut Merge<'_>, flags: &mut SecurityArgs, file: &mut FileSettings) {
    merge.value(
        Key::SecurityProtocol,
        &mut flags.security_protocol,
        file.security_protocol.take(),
    );
    merge.value(
        Key::SaslMechanism,
        &mut flags.sasl_mechanism,
        file.sasl_mechanism.take(),
    );
    merge.optional(
        Key::SaslUsername,
        &mut flags.sasl_username,
        file.sasl_username.take(),
    );
    merge.optional(
        Key::SaslPassword,
        &mut flags.sasl_password,
        file.sasl_password.take(),
    );
    merge.optional(
        Key::SslCaLocation,
        &mut flags.ssl_ca_location,
        file.ssl_ca_location.take(),
    );
    let certificate = file.ssl_certificate_location.take();
    merge.optional(
        Key::SslCertificateLocation,
        &mut flags.ssl_certificate_location,
        certificate,
    );
    merge.optional(
        Key::SslKeyLocation,
        &mut flags.ssl_key_location,
        file.ssl_key_location.take(),
    );
    merge.optional(
        Key::SslKeyPassword,
        &mut flags.ssl_key_password,
        file.ssl_key_password.take(),
    );
    let algorithm = file.ssl_endpoint_identification_algorithm.take();
    let field = &mut flags.ssl_endpoint_identification_algorithm;
    merge.value(Key::SslEndpointIdentificationAlgorithm, field, algorithm);
}

/// A SCRAM login module in the file needs a SCRAM mechanism from somewhere: without one,
/// Kafka's clients would try GSSAPI, and this client PLAIN.
fn check_scram_mechanism(kafka: &KafkaArgs, file: &FileSettings) -> Result<(), SettingsError> {
    let scram = file.jaas_module == Some(LoginModule::Scram);
    let uses_sasl = kafka.security_args.security_protocol.uses_sasl();
    if scram && uses_sasl && !kafka.sources().get(Key::SaslMechanism).is_given() {
        return Err(SettingsError::ScramWithoutMechanism);
    }
    Ok(())
}

/// The one warning naming a file's unknown keys, if it has any.
fn unknown_keys_warning(file: &FileSettings) -> Option<String> {
    (!file.unknown.is_empty()).then(|| {
        format!(
            "config file {}: keys this client does not use, ignored: {}",
            file.path.display(),
            file.unknown.join(", ")
        )
    })
}

/// One pass of [`apply`]: clap's view of the flags, the file, and the sources found so far.
struct Merge<'a> {
    matches: &'a ArgMatches,
    command: &'a Command,
    path: Option<PathBuf>,
    sources: Sources,
}

impl Merge<'_> {
    /// Sets `field`, the value of the setting `key`, to the file's value unless a flag or
    /// environment variable gave one, and records the source of the result.
    fn value<T>(&mut self, key: Key, field: &mut T, from_file: Option<T>) {
        let source = match (self.given(key), from_file, &self.path) {
            (Some(given), _, _) => given,
            (None, Some(value), Some(path)) => {
                *field = value;
                Source::File(path.clone())
            }
            _ => Source::Default,
        };
        self.sources.record(key, source);
    }

    /// [`Merge::value`] for a setting without a default.
    fn optional<T>(&mut self, key: Key, field: &mut Option<T>, from_file: Option<T>) {
        self.value(key, field, from_file.map(Some));
    }

    /// The flag or environment variable that gave the setting `key`, if one did. An empty
    /// environment variable gives nothing (compose's `${VAR:-}` makes those): the file's value
    /// stands.
    fn given(&self, key: Key) -> Option<Source> {
        let id = key.flag_id();
        let arg = self
            .command
            .get_arguments()
            .find(|arg| arg.get_id() == id)
            .unwrap_or_else(|| panic!("the flags have no {id}: see settings::Connection"));
        match self.matches.value_source(id)? {
            ValueSource::CommandLine => {
                Some(Source::Flag(format!("--{}", arg.get_long().unwrap_or(id))))
            }
            ValueSource::EnvVariable => {
                let name = arg.get_env()?;
                let set = std::env::var_os(name).is_some_and(|value| !value.is_empty());
                set.then(|| Source::Env(name.to_string_lossy().into_owned()))
            }
            _ => None,
        }
    }
}
