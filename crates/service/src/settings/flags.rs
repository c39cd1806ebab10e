//! The connection flags, as clap parses them: brokers, topic, `--config`, `--print-config`
//! ([`KafkaArgs`]) and TLS and SASL ([`SecurityArgs`]), with Kafka's names and an environment
//! variable each; the runs topic ([`RunsArgs`]); and the view of a service's flags that the
//! settings are merged into ([`Connection`]).
//!
//! The values clap parses are only a start: [`crate::start`] then fills in what the `--config`
//! file gives where neither a flag nor an environment variable did ([`super::apply`]), so that
//! after it the fields hold the effective settings, and [`KafkaArgs::security`] the value every
//! connection takes.

use std::{convert::Infallible, path::PathBuf};

use kafka::connection::security::{
    SaslConfig, SaslMechanism, Secret, Security, SecurityProtocol, TlsConfig,
};

use super::source::{EndpointIdentification, Sources};

/// Connection flags common to every service.
#[derive(Debug, Clone, clap::Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers, comma-separated `host:port` (Kafka's `bootstrap.servers`).
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub brokers: String,

    /// Topic carrying the events.
    #[arg(long, env = "KAFKA_TOPIC", default_value = "evenements", value_parser = topic_name)]
    pub topic: String,

    /// A Java or librdkafka client.properties with the connection settings (bootstrap.servers,
    /// security.protocol, sasl.*, ssl.*, client.id, group.id); flags and environment variables
    /// win over it (docs/connecting.md).
    #[arg(long, env = "KAFKA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the effective connection settings, each with where it came from (flag, env, file,
    /// default), secrets redacted, then exit without connecting.
    #[arg(long)]
    pub print_config: bool,

    /// TLS and SASL.
    #[command(flatten)]
    pub security_args: SecurityArgs,

    /// Where each connection setting came from, recorded by [`crate::start`].
    #[arg(skip)]
    pub(super) sources: Sources,
}

/// The `--help` section of the security flags (per flag: a flattened struct's heading would
/// carry over to the flags after it).
const SECURITY_HEADING: &str = "Security (TLS and SASL; also in --config)";

/// How connections are secured: Kafka's settings, by librdkafka's names.
#[derive(Debug, Clone, clap::Args)]
pub struct SecurityArgs {
    /// Kafka's `security.protocol`: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    #[arg(long, env = "KAFKA_SECURITY_PROTOCOL", help_heading = SECURITY_HEADING,
          value_name = "PROTOCOL", default_value_t = SecurityProtocol::Plaintext)]
    pub security_protocol: SecurityProtocol,

    /// SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (OAUTHBEARER, GSSAPI and cloud IAM
    /// are not supported). Used with the SASL_* protocols only.
    #[arg(long, env = "KAFKA_SASL_MECHANISM", help_heading = SECURITY_HEADING,
          value_name = "MECHANISM", default_value_t = SaslMechanism::Plain)]
    pub sasl_mechanism: SaslMechanism,

    /// SASL user name.
    #[arg(long, env = "KAFKA_SASL_USERNAME", help_heading = SECURITY_HEADING,
          value_name = "NAME")]
    pub sasl_username: Option<String>,

    /// SASL password: prefer the environment variable (a flag shows in `ps`). Never printed or
    /// logged.
    #[arg(long, env = "KAFKA_SASL_PASSWORD", help_heading = SECURITY_HEADING,
          value_name = "PASSWORD", hide_env_values = true, value_parser = secret)]
    pub sasl_password: Option<Secret>,

    /// CA certificates to trust, PEM (default: the system's roots).
    #[arg(long, env = "KAFKA_SSL_CA_LOCATION", help_heading = SECURITY_HEADING,
          value_name = "FILE")]
    pub ssl_ca_location: Option<PathBuf>,

    /// Client certificate chain for mutual TLS, PEM (with --ssl-key-location).
    #[arg(long, env = "KAFKA_SSL_CERTIFICATE_LOCATION", help_heading = SECURITY_HEADING,
          value_name = "FILE")]
    pub ssl_certificate_location: Option<PathBuf>,

    /// Client private key for mutual TLS, PEM (with --ssl-certificate-location).
    #[arg(long, env = "KAFKA_SSL_KEY_LOCATION", help_heading = SECURITY_HEADING,
          value_name = "FILE")]
    pub ssl_key_location: Option<PathBuf>,

    /// Password of an encrypted client key. Never printed or logged.
    #[arg(long, env = "KAFKA_SSL_KEY_PASSWORD", help_heading = SECURITY_HEADING,
          value_name = "PASSWORD", hide_env_values = true, value_parser = secret)]
    pub ssl_key_password: Option<Secret>,

    /// Whether the broker's certificate must name the host connected to: `https` checks it;
    /// `none` skips the check, for test clusters only.
    #[arg(long, env = "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM",
          help_heading = SECURITY_HEADING, value_name = "ALGORITHM", value_enum,
          default_value_t = EndpointIdentification::Https)]
    pub ssl_endpoint_identification_algorithm: EndpointIdentification,
}

/// Where the delivery audit's run manifests live: written by the producer, read by the verifier.
#[derive(Debug, Clone, clap::Args)]
pub struct RunsArgs {
    /// Topic of the producer runs' manifests (the producer creates it when missing).
    #[arg(long, env = "KAFKA_RUNS_TOPIC", default_value = "evenements.runs", value_parser = topic_name)]
    pub runs_topic: String,
}

/// Takes a topic flag's value if Kafka would accept it as a topic name.
fn topic_name(text: &str) -> Result<String, String> {
    kafka::protocol::names::check_topic(text).map(|()| text.to_string())
}

/// Takes a password flag's value as a [`Secret`], so that no `Debug` output shows it.
fn secret(text: &str) -> Result<Secret, Infallible> {
    Ok(Secret::new(text))
}

impl KafkaArgs {
    /// The bootstrap brokers as a list (blanks and empty entries dropped).
    pub fn broker_list(&self) -> Vec<String> {
        self.brokers
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(String::from)
            .collect()
    }

    /// How every connection to the cluster is secured: the value the services give each
    /// connection they make. Meant after [`crate::start`], which applied `--config` and checked
    /// that a SASL protocol has its user name and password (credentials left out are sent
    /// empty, and the broker refuses them).
    pub fn security(&self) -> Security {
        let flags = &self.security_args;
        let protocol = flags.security_protocol;
        Security {
            protocol,
            sasl: protocol.uses_sasl().then(|| SaslConfig {
                mechanism: flags.sasl_mechanism,
                username: flags.sasl_username.clone().unwrap_or_default(),
                password: flags.sasl_password.clone().unwrap_or_default(),
            }),
            tls: TlsConfig {
                ca_location: flags.ssl_ca_location.clone(),
                certificate_location: flags.ssl_certificate_location.clone(),
                key_location: flags.ssl_key_location.clone(),
                key_password: flags.ssl_key_password.clone(),
                verify_hostname: flags.ssl_endpoint_identification_algorithm
                    == EndpointIdentification::Https,
            },
        }
    }

    /// Where each connection setting came from (by Kafka's key), as `--print-config` shows it.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }
}

/// The connection settings among a service's flags: what `--config` fills in and
/// `--print-config` shows. The client id's and group id's flags must have the clap ids
/// `client_id` and `group_id` (their fields' names, [`super::Key::flag_id`]): a missing one
/// panics in [`super::apply`].
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

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::testing::with_env;

    /// The connection flags alone, as a service flattens them.
    #[derive(Debug, Parser)]
    struct Only {
        #[command(flatten)]
        kafka: KafkaArgs,
    }

    fn parse(args: &[&str]) -> KafkaArgs {
        let argv = [&["service"], args].concat();
        with_env(&Only::command(), &[], || Only::try_parse_from(argv))
            .unwrap()
            .kafka
    }

    #[test]
    fn broker_lists_drop_blanks() {
        let args = parse(&["--brokers", " a:1, ,b:2,"]);
        assert_eq!(args.broker_list(), ["a:1", "b:2"]);
    }

    #[test]
    fn no_flags_is_plaintext_with_kafkas_defaults() {
        assert_eq!(parse(&[]).security(), Security::default());
    }

    #[test]
    fn the_flags_make_the_security_value() {
        let args = parse(&[
            "--security-protocol=sasl_ssl",
            "--sasl-mechanism=SCRAM-SHA-512",
            "--sasl-username=alice",
            "--sasl-password=hunter2",
            "--ssl-ca-location=ca.pem",
            "--ssl-certificate-location=client.pem",
            "--ssl-key-location=client.key",
            "--ssl-key-password=keypass",
            "--ssl-endpoint-identification-algorithm=none",
        ]);
        assert_eq!(
            args.security(),
            Security {
                protocol: SecurityProtocol::SaslSsl,
                sasl: Some(SaslConfig {
                    mechanism: SaslMechanism::ScramSha512,
                    username: "alice".into(),
                    password: Secret::new("hunter2"),
                }),
                tls: TlsConfig {
                    ca_location: Some("ca.pem".into()),
                    certificate_location: Some("client.pem".into()),
                    key_location: Some("client.key".into()),
                    key_password: Some(Secret::new("keypass")),
                    verify_hostname: false,
                },
            }
        );
    }

    #[test]
    fn sasl_settings_count_only_with_a_sasl_protocol() {
        let args = parse(&["--security-protocol=SSL", "--sasl-username=alice"]);
        assert_eq!(args.security().sasl, None);
        assert!(args.security().tls.verify_hostname);
    }

    #[test]
    fn unsupported_mechanisms_are_refused_naming_the_supported_ones() {
        for mechanism in ["OAUTHBEARER", "GSSAPI", "AWS_MSK_IAM"] {
            let argv = ["service", "--sasl-mechanism", mechanism];
            let error = with_env(&Only::command(), &[], || Only::try_parse_from(argv))
                .unwrap_err()
                .to_string();
            assert!(error.contains("is not supported"), "{error}");
            assert!(
                error.contains("PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"),
                "{error}"
            );
        }
    }

    #[test]
    fn debug_output_redacts_the_passwords() {
        let args = parse(&["--sasl-password=hunter2", "--ssl-key-password=keypass"]);
        let debug = format!("{args:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("keypass"),
            "{debug}"
        );
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    #[test]
    fn help_hides_the_password_variables_values() {
        let help = with_env(
            &Only::command(),
            &[
                ("KAFKA_SASL_PASSWORD", "hunter2"),
                ("KAFKA_SSL_KEY_PASSWORD", "keypass"),
            ],
            || Only::command().render_long_help().to_string(),
        );
        assert!(help.contains("KAFKA_SASL_PASSWORD"), "{help}");
        assert!(
            !help.contains("hunter2") && !help.contains("keypass"),
            "{help}"
        );
        assert!(help.contains("test clusters only"), "{help}");
    }
}
