//! [`super::apply`], [`super::check`] and [`super::render`] together, as [`crate::start`] runs them.

use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser;
use kafka::connection::security::SecurityProtocol;

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
fn configure<F: Flags>(args: &[&str], env: &[(&str, &str)]) -> Result<(F, Vec<String>), String> {
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

fn source(flags: &WithGroup, key: Key) -> String {
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
    assert_eq!(source(&flags, Key::SaslUsername), "flag --sasl-username");
    // flag > file
    assert_eq!(flags.group_id, "flag-group");
    assert_eq!(source(&flags, Key::GroupId), "flag --group-id");
    // env > file
    assert_eq!(flags.client_id, "env-client");
    assert_eq!(source(&flags, Key::ClientId), "env KAFKA_CLIENT_ID");
    // file > default
    assert_eq!(flags.kafka.brokers, "file-broker:9092");
    assert_eq!(
        source(&flags, Key::BootstrapServers),
        format!("file {path}")
    );
    assert_eq!(
        flags.kafka.security().protocol,
        SecurityProtocol::SaslPlaintext
    );
    // default
    assert_eq!(source(&flags, Key::SaslMechanism), "default");
    assert_eq!(source(&flags, Key::SslCaLocation), "default");
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
    assert_eq!(source(&flags, Key::BootstrapServers), "default");
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
    assert_eq!(
        source(&flags, Key::BootstrapServers),
        format!("file {path}")
    );
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
    assert_eq!(source(&flags, Key::SaslPassword), "env KAFKA_SASL_PASSWORD");
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
