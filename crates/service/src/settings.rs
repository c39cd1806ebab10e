//! The effective connection settings: a flag beats its environment variable, which beats the
//! `--config` file, which beats the built-in default ([`apply`]); the checks of the whole before
//! connecting ([`check`]); and `--print-config`'s table ([`render`]).
//!
//! clap has already applied flags, environment variables and defaults when the file is read;
//! `ArgMatches::value_source` tells which of them gave each value, so the file replaces only
//! defaults: the built-in `localhost:9092` never beats a file's `bootstrap.servers`.

use std::{collections::BTreeMap, fmt, path::PathBuf};

use clap::{parser::ValueSource, ArgMatches, Command};
use kafka::connection::security::{Secret, SecurityProtocol};

use crate::{
    args::{KafkaArgs, SecurityArgs},
    config::{ConfigError, FileSettings},
    jaas::LoginModule,
};

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

/// Where each connection setting came from, by Kafka's key (`bootstrap.servers`...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources(BTreeMap<&'static str, Source>);

impl Sources {
    /// Where the setting `key` came from ([`Source::Default`] for a key never recorded).
    pub fn get(&self, key: &str) -> &Source {
        static DEFAULT: Source = Source::Default;
        self.0.get(key).unwrap_or(&DEFAULT)
    }
}

/// The connection settings among a service's flags: what `--config` fills in and
/// `--print-config` shows. The client id's and group id's flags must have the clap ids
/// `client_id` and `group_id` (their fields' names): a missing one panics in [`apply`].
#[derive(Debug)]
pub struct Connection<'a> {
    /// Brokers, topic, `--config`, TLS and SASL.
    pub kafka: &'a mut KafkaArgs,
    /// The client id (`client.id`).
    pub client_id: &'a mut String,
    /// The consumer group (`group.id`): `None` for a service without one, which ignores the
    /// file's `group.id` without a word (one file serves all three services).
    pub group_id: Option<&'a mut String>,
}

impl<'a> Connection<'a> {
    /// The connection settings of a service without a consumer group.
    pub fn without_group(kafka: &'a mut KafkaArgs, client_id: &'a mut String) -> Connection<'a> {
        Connection {
            kafka,
            client_id,
            group_id: None,
        }
    }
}

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
        key: &'static str,
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
        given: &'static str,
        /// The one missing.
        missing: &'static str,
    },
}

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
        "bootstrap.servers",
        &mut kafka.brokers,
        file.bootstrap_servers.take(),
    );
    merge.value("client.id", connection.client_id, file.client_id.take());
    if let Some(group_id) = connection.group_id {
        merge.value("group.id", group_id, file.group_id.take());
    }
    merge_security(&mut merge, &mut kafka.security_args, &mut file);
    kafka.sources = merge.sources;
    check_scram_mechanism(kafka, &file)?;
    Ok(unknown_keys_warning(&file).into_iter().collect())
}

/// [`apply`] for the TLS and SASL settings, taking the file's values out of `file`.
fn merge_security(merge: &mut Merge<'_>, flags: &mut SecurityArgs, file: &mut FileSettings) {
    merge.value(
        "security.protocol",
        &mut flags.security_protocol,
        file.security_protocol.take(),
    );
    merge.value(
        "sasl.mechanism",
        &mut flags.sasl_mechanism,
        file.sasl_mechanism.take(),
    );
    merge.optional(
        "sasl.username",
        &mut flags.sasl_username,
        file.sasl_username.take(),
    );
    merge.optional(
        "sasl.password",
        &mut flags.sasl_password,
        file.sasl_password.take(),
    );
    merge.optional(
        "ssl.ca.location",
        &mut flags.ssl_ca_location,
        file.ssl_ca_location.take(),
    );
    let certificate = file.ssl_certificate_location.take();
    merge.optional(
        "ssl.certificate.location",
        &mut flags.ssl_certificate_location,
        certificate,
    );
    merge.optional(
        "ssl.key.location",
        &mut flags.ssl_key_location,
        file.ssl_key_location.take(),
    );
    merge.optional(
        "ssl.key.password",
        &mut flags.ssl_key_password,
        file.ssl_key_password.take(),
    );
    let algorithm = file.ssl_endpoint_identification_algorithm.take();
    let field = &mut flags.ssl_endpoint_identification_algorithm;
    merge.value("ssl.endpoint.identification.algorithm", field, algorithm);
}

/// A SCRAM login module in the file needs a SCRAM mechanism from somewhere: without one,
/// Kafka's clients would try GSSAPI, and this client PLAIN.
fn check_scram_mechanism(kafka: &KafkaArgs, file: &FileSettings) -> Result<(), SettingsError> {
    let scram = file.jaas_module == Some(LoginModule::Scram);
    let uses_sasl = kafka.security_args.security_protocol.uses_sasl();
    if scram && uses_sasl && !kafka.sources.get("sasl.mechanism").is_given() {
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
    fn value<T>(&mut self, key: &'static str, field: &mut T, from_file: Option<T>) {
        let source = match (self.given(key), from_file, &self.path) {
            (Some(given), _, _) => given,
            (None, Some(value), Some(path)) => {
                *field = value;
                Source::File(path.clone())
            }
            _ => Source::Default,
        };
        self.sources.0.insert(key, source);
    }

    /// [`Merge::value`] for a setting without a default.
    fn optional<T>(&mut self, key: &'static str, field: &mut Option<T>, from_file: Option<T>) {
        self.value(key, field, from_file.map(Some));
    }

    /// The flag or environment variable that gave the setting `key`, if one did. An empty
    /// environment variable gives nothing (compose's `${VAR:-}` makes those): the file's value
    /// stands.
    fn given(&self, key: &str) -> Option<Source> {
        let id = flag_id(key);
        let id = id.as_str();
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

/// The clap id of the flag of the setting `key`: its field's name, Kafka's key with `_` for
/// `.`, but for `bootstrap.servers` (`--brokers`).
fn flag_id(key: &str) -> String {
    match key {
        "bootstrap.servers" => "brokers".to_string(),
        _ => key.replace('.', "_"),
    }
}

/// Checks the effective settings together, as [`apply`] left them: a SASL protocol needs a
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
fn ignored(kafka: &KafkaArgs, keys: &[&str], what: &str) -> Option<String> {
    let given: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|key| kafka.sources.get(key).is_given())
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
const SASL_KEYS: [&str; 3] = ["sasl.mechanism", "sasl.username", "sasl.password"];

/// The TLS settings' keys.
const SSL_KEYS: [&str; 5] = [
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
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
            key: "sasl.username",
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
            key: "sasl.password",
        });
    }
    Ok(())
}

/// A client certificate comes with its key.
fn check_client_certificate(kafka: &KafkaArgs) -> Result<(), SettingsError> {
    let flags = &kafka.security_args;
    let (certificate, key) = ("ssl.certificate.location", "ssl.key.location");
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

/// `--print-config`'s table: one line per setting, its key, value and source, secrets shown as
/// `[redacted]`.
pub fn render(connection: &Connection<'_>) -> String {
    let mut rows = effective(connection);
    for (_, value) in rows.iter_mut().filter(|(_, value)| value.is_empty()) {
        *value = "\"\"".to_string();
    }
    let key_width = rows.iter().map(|(key, _)| key.len()).max().unwrap_or(0) + 2;
    let value_width = rows.iter().map(|(_, value)| value.len()).max().unwrap_or(0) + 2;
    let sources = connection.kafka.sources();
    rows.iter()
        .map(|(key, value)| {
            let source = sources.get(key);
            format!("{key:key_width$}{value:value_width$}{source}\n")
        })
        .collect()
}

/// The effective settings as text, by Kafka's key, secrets redacted.
fn effective(connection: &Connection<'_>) -> Vec<(&'static str, String)> {
    let kafka = &*connection.kafka;
    let flags = &kafka.security_args;
    let mut rows = vec![
        ("bootstrap.servers", kafka.brokers.clone()),
        ("client.id", connection.client_id.clone()),
    ];
    if let Some(group_id) = &connection.group_id {
        rows.push(("group.id", group_id.to_string()));
    }
    rows.extend([
        ("security.protocol", flags.security_protocol.to_string()),
        ("sasl.mechanism", flags.sasl_mechanism.to_string()),
        ("sasl.username", or_none(flags.sasl_username.as_deref())),
        ("sasl.password", secret(flags.sasl_password.as_ref())),
        (
            "ssl.ca.location",
            path_or(&flags.ssl_ca_location, "(none: the system's roots)"),
        ),
        (
            "ssl.certificate.location",
            path_or(&flags.ssl_certificate_location, NONE),
        ),
        ("ssl.key.location", path_or(&flags.ssl_key_location, NONE)),
        ("ssl.key.password", secret(flags.ssl_key_password.as_ref())),
        (
            "ssl.endpoint.identification.algorithm",
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use clap::Parser;

    use super::*;
    use crate::{exit::one_line, testing::with_env, Flags};

    /// A consumer's connection flags: client id and group id.
    #[derive(Debug, Parser)]
    struct WithGroup {
        #[command(flatten)]
        kafka: KafkaArgs,
        #[command(flatten)]
        logging: crate::LogArgs,
        #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "built-in")]
        client_id: String,
        #[arg(long, env = "KAFKA_GROUP_ID", default_value = "statistiques")]
        group_id: String,
    }

    impl Flags for WithGroup {
        fn logging(&self) -> &crate::LogArgs {
            &self.logging
        }

        fn connection(&mut self) -> Connection<'_> {
            Connection {
                kafka: &mut self.kafka,
                client_id: &mut self.client_id,
                group_id: Some(&mut self.group_id),
            }
        }
    }

    /// A producer's: no group.
    #[derive(Debug, Parser)]
    struct NoGroup {
        #[command(flatten)]
        kafka: KafkaArgs,
        #[command(flatten)]
        logging: crate::LogArgs,
        #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "producer")]
        client_id: String,
    }

    impl Flags for NoGroup {
        fn logging(&self) -> &crate::LogArgs {
            &self.logging
        }

        fn connection(&mut self) -> Connection<'_> {
            Connection {
                kafka: &mut self.kafka,
                client_id: &mut self.client_id,
                group_id: None,
            }
        }
    }

    /// What `start` would make of `args` and `env`: the flags and the warnings, or the one
    /// error line.
    fn configure<F: Flags>(
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(F, Vec<String>), String> {
        let argv = [&["service"], args].concat();
        with_env(&F::command(), env, || {
            let matches = F::command()
                .try_get_matches_from(argv)
                .map_err(|e| e.to_string())?;
            let mut flags = F::from_arg_matches(&matches).map_err(|e| e.to_string())?;
            let mut warnings =
                apply(flags.connection(), &matches, &F::command()).map_err(|e| one_line(&e))?;
            warnings.extend(check(flags.connection().kafka).map_err(|e| one_line(&e))?);
            Ok((flags, warnings))
        })
    }

    /// A `client.properties` with `text`, in a file of its own.
    fn file(text: &str) -> String {
        static FILES: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!("service-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let number = FILES.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("client-{number}.properties"));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn source(flags: &WithGroup, key: &str) -> String {
        flags.kafka.sources().get(key).to_string()
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let path = file(
            "bootstrap.servers=file-broker:9092\n\
             client.id=file-client\n\
             group.id=file-group\n\
             security.protocol=SASL_PLAINTEXT\n\
             sasl.username=file-user\n\
             sasl.password=file-password\n",
        );
        let (flags, warnings) = configure::<WithGroup>(
            &[
                "--config",
                &path,
                "--sasl-username",
                "flag-user",
                "--group-id",
                "flag-group",
            ],
            &[
                ("KAFKA_SASL_USERNAME", "env-user"),
                ("KAFKA_CLIENT_ID", "env-client"),
            ],
        )
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        // flag > env > file
        assert_eq!(
            flags.kafka.security_args.sasl_username.as_deref(),
            Some("flag-user")
        );
        assert_eq!(source(&flags, "sasl.username"), "flag --sasl-username");
        // flag > file
        assert_eq!(flags.group_id, "flag-group");
        assert_eq!(source(&flags, "group.id"), "flag --group-id");
        // env > file
        assert_eq!(flags.client_id, "env-client");
        assert_eq!(source(&flags, "client.id"), "env KAFKA_CLIENT_ID");
        // file > default
        assert_eq!(flags.kafka.brokers, "file-broker:9092");
        assert_eq!(source(&flags, "bootstrap.servers"), format!("file {path}"));
        assert_eq!(
            flags.kafka.security().protocol,
            SecurityProtocol::SaslPlaintext
        );
        // default
        assert_eq!(source(&flags, "sasl.mechanism"), "default");
        assert_eq!(source(&flags, "ssl.ca.location"), "default");
    }

    #[test]
    fn the_built_in_broker_never_beats_the_file() {
        let path = file("bootstrap.servers=from-file:9092\n");
        let (flags, _) = configure::<WithGroup>(&["--config", &path], &[]).unwrap();
        assert_eq!(flags.kafka.broker_list(), ["from-file:9092"]);
        // ... nor does it beat a file named by KAFKA_CONFIG; KAFKA_BROKERS does.
        let (flags, _) = configure::<WithGroup>(&[], &[("KAFKA_CONFIG", &path)]).unwrap();
        assert_eq!(flags.kafka.brokers, "from-file:9092");
        let (flags, _) = configure::<WithGroup>(
            &[],
            &[("KAFKA_CONFIG", &path), ("KAFKA_BROKERS", "env:9092")],
        )
        .unwrap();
        assert_eq!(flags.kafka.brokers, "env:9092");
        let (flags, _) = configure::<WithGroup>(&[], &[]).unwrap();
        assert_eq!(flags.kafka.brokers, "localhost:9092");
        assert_eq!(source(&flags, "bootstrap.servers"), "default");
    }

    #[test]
    fn an_empty_variable_does_not_beat_the_file() {
        let path = file("bootstrap.servers=from-file:9092\nclient.id=file-client\n");
        let (flags, _) = configure::<WithGroup>(
            &["--config", &path],
            &[("KAFKA_BROKERS", ""), ("KAFKA_CLIENT_ID", "")],
        )
        .unwrap();
        assert_eq!(flags.kafka.brokers, "from-file:9092");
        assert_eq!(source(&flags, "bootstrap.servers"), format!("file {path}"));
        assert_eq!(flags.client_id, "file-client");
    }

    #[test]
    fn the_password_variable_overrides_the_jaas_password() {
        let path = file(
            "security.protocol=SASL_SSL\n\
             sasl.mechanism=SCRAM-SHA-256\n\
             sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
             username=\"alice\" password=\"file-password\";\n",
        );
        let (flags, _) = configure::<WithGroup>(
            &["--config", &path],
            &[("KAFKA_SASL_PASSWORD", "env-password")],
        )
        .unwrap();
        let sasl = flags.kafka.security().sasl.unwrap();
        assert_eq!(sasl.username, "alice");
        assert_eq!(sasl.password.expose(), "env-password");
        assert_eq!(
            sasl.mechanism,
            kafka::connection::security::SaslMechanism::ScramSha256
        );
        assert_eq!(source(&flags, "sasl.password"), "env KAFKA_SASL_PASSWORD");
    }

    #[test]
    fn unknown_keys_make_one_warning_and_group_id_none_for_other_services() {
        let path = file("acks=all\nlinger.ms=5\ngroup.id=g\nclient.id=c\n");
        let (flags, warnings) = configure::<NoGroup>(&["--config", &path], &[]).unwrap();
        assert_eq!(flags.client_id, "c");
        assert_eq!(
            warnings,
            [format!(
                "config file {path}: keys this client does not use, ignored: acks, linger.ms"
            )]
        );
        let (flags, _) = configure::<WithGroup>(&["--config", &path], &[]).unwrap();
        assert_eq!(flags.group_id, "g");
    }

    #[test]
    fn bad_settings_are_one_line_errors() {
        let cases: [(&[&str], &str); 7] = [
            (
                &["--config", "/nonexistent/client.properties"],
                "cannot read config file /nonexistent/client.properties: ",
            ),
            (
                &["--security-protocol=SASL_SSL", "--sasl-username=", "--sasl-password=p"],
                "security.protocol SASL_SSL needs a SASL user name",
            ),
            (
                &["--security-protocol", "SASL_SSL", "--sasl-password", "p"],
                "security.protocol SASL_SSL needs a SASL user name: give --sasl-username",
            ),
            (
                &["--security-protocol", "SASL_PLAINTEXT", "--sasl-username", "u"],
                "needs a SASL password: give --sasl-password (KAFKA_SASL_PASSWORD)",
            ),
            (
                &["--security-protocol", "SSL", "--ssl-certificate-location", "c.pem"],
                "ssl.certificate.location is set but ssl.key.location is not",
            ),
            (
                &["--security-protocol", "SASL_SSL", "--sasl-username=u", "--sasl-password=p",
                  "--ssl-key-location", "c.key"],
                "ssl.key.location is set but ssl.certificate.location is not",
            ),
            (
                &["--config", &file(
                    "security.protocol=SASL_SSL\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=u password=p;",
                )],
                "sasl.jaas.config uses ScramLoginModule but sasl.mechanism is not set",
            ),
        ];
        for (args, expected) in cases {
            let error = configure::<WithGroup>(args, &[]).unwrap_err();
            assert!(error.contains(expected), "{args:?}: {error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn settings_the_protocol_does_not_use_are_a_warning() {
        let (flags, warnings) = configure::<WithGroup>(
            &[
                "--sasl-mechanism",
                "SCRAM-SHA-512",
                "--ssl-ca-location",
                "ca.pem",
            ],
            &[("KAFKA_SASL_USERNAME", "u")],
        )
        .unwrap();
        assert_eq!(
            warnings,
            [
                "sasl.mechanism, sasl.username ignored: security.protocol PLAINTEXT does not use SASL",
                "ssl.ca.location ignored: security.protocol PLAINTEXT does not use TLS",
            ]
        );
        assert_eq!(
            flags.kafka.security(),
            kafka::connection::security::Security {
                tls: flags.kafka.security().tls,
                ..Default::default()
            }
        );
    }

    #[test]
    fn print_config_shows_every_source_and_never_a_secret() {
        let path = file(
            "bootstrap.servers=file-broker:9092\n\
             sasl.mechanism=PLAIN\n\
             sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"alice\" password=\"file-password\";\n\
             ssl.key.password=file-key-password\n",
        );
        let (mut flags, _) = configure::<WithGroup>(
            &[
                "--config",
                &path,
                "--security-protocol",
                "SASL_SSL",
                "--ssl-key-password",
                "flag-key-password",
            ],
            &[
                ("KAFKA_SASL_PASSWORD", "env-password"),
                ("KAFKA_GROUP_ID", "g"),
            ],
        )
        .unwrap();
        let table = render(&flags.connection());
        let line = |key: &str| {
            let line = table
                .lines()
                .find(|l| l.split_whitespace().next() == Some(key))
                .unwrap_or_else(|| panic!("no {key} in\n{table}"));
            line.split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            line("bootstrap.servers"),
            format!("file-broker:9092 file {path}")
        );
        assert_eq!(line("client.id"), "built-in default");
        assert_eq!(line("group.id"), "g env KAFKA_GROUP_ID");
        assert_eq!(
            line("security.protocol"),
            "SASL_SSL flag --security-protocol"
        );
        assert_eq!(line("sasl.mechanism"), format!("PLAIN file {path}"));
        assert_eq!(line("sasl.username"), format!("alice file {path}"));
        assert_eq!(line("sasl.password"), "[redacted] env KAFKA_SASL_PASSWORD");
        assert_eq!(
            line("ssl.key.password"),
            "[redacted] flag --ssl-key-password"
        );
        assert_eq!(
            line("ssl.ca.location"),
            "(none: the system's roots) default"
        );
        assert_eq!(
            line("ssl.endpoint.identification.algorithm"),
            "https default"
        );
        assert_eq!(table.lines().count(), 12, "{table}");
        let debug = format!("{flags:?}");
        for secret in [
            "file-password",
            "env-password",
            "file-key-password",
            "flag-key-password",
        ] {
            assert!(!table.contains(secret), "{table}");
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
