//! `--config FILE`: a Java or librdkafka `client.properties`, read into the connection settings
//! it gives ([`FileSettings`]), so that the file a team already has for its Kafka clients serves
//! these services too.
//!
//! The keys read: `bootstrap.servers`, `security.protocol`, `sasl.mechanism` (librdkafka's
//! `sasl.mechanisms` too), `sasl.username`, `sasl.password`, `sasl.jaas.config` (PLAIN and SCRAM
//! login modules), `ssl.ca.location`, `ssl.truststore.location` with `ssl.truststore.type=PEM`,
//! `ssl.certificate.location`, `ssl.key.location`, `ssl.key.password`,
//! `ssl.endpoint.identification.algorithm` (empty: no host name check, as in Java), `client.id`
//! and `group.id`. Any other key is listed in [`FileSettings::unknown`] for one warning. Values
//! are trimmed, as Kafka's clients do; an empty value counts as unset. Relative paths are taken
//! from the working directory, as Kafka's clients do.
//!
//! This layer only reads: which of its values count is [`super::apply`]'s business.

use std::{
    collections::BTreeMap,
    io,
    path::{Path, PathBuf},
    str::FromStr,
};

use kafka::connection::security::{SaslMechanism, Secret, SecurityProtocol};

use super::source::EndpointIdentification;
use crate::{
    jaas::{self, JaasError, JaasLogin, LoginModule},
    properties::{self, PropertiesError, Property},
};

/// The keys this client reads, or knows to be harmless without a warning (the truststore's
/// type and password, which a PEM truststore does not need; the keystore's type and password
/// without a keystore).
const KNOWN_KEYS: [&str; 20] = [
    "bootstrap.servers",
    "security.protocol",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
    "sasl.jaas.config",
    "ssl.ca.location",
    "ssl.truststore.location",
    "ssl.truststore.type",
    "ssl.truststore.password",
    "ssl.keystore.location",
    "ssl.keystore.type",
    "ssl.keystore.password",
    "ssl.certificate.location",
    "ssl.key.location",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
    "client.id",
    "group.id",
];

/// The connection settings a `client.properties` gives, each `None` when the file leaves it
/// out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSettings {
    /// The file, as named on the command line (for messages and `--print-config`).
    pub path: PathBuf,
    /// `bootstrap.servers`.
    pub bootstrap_servers: Option<String>,
    /// `security.protocol`.
    pub security_protocol: Option<SecurityProtocol>,
    /// `sasl.mechanism` (or librdkafka's `sasl.mechanisms`).
    pub sasl_mechanism: Option<SaslMechanism>,
    /// `sasl.username`, else the `username` of `sasl.jaas.config`.
    pub sasl_username: Option<String>,
    /// `sasl.password`, else the `password` of `sasl.jaas.config`.
    pub sasl_password: Option<Secret>,
    /// The login module of `sasl.jaas.config`, which tells PLAIN from SCRAM.
    pub jaas_module: Option<LoginModule>,
    /// `ssl.ca.location`, else a PEM `ssl.truststore.location`.
    pub ssl_ca_location: Option<PathBuf>,
    /// `ssl.certificate.location`.
    pub ssl_certificate_location: Option<PathBuf>,
    /// `ssl.key.location`.
    pub ssl_key_location: Option<PathBuf>,
    /// `ssl.key.password`.
    pub ssl_key_password: Option<Secret>,
    /// `ssl.endpoint.identification.algorithm`.
    pub ssl_endpoint_identification_algorithm: Option<EndpointIdentification>,
    /// `client.id`.
    pub client_id: Option<String>,
    /// `group.id` (used by the consumer only; the other services ignore it without a word).
    pub group_id: Option<String>,
    /// The keys this client does not use, sorted.
    pub unknown: Vec<String>,
}

/// Why a config file cannot be used: each message names the file, and the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing or unreadable (or not UTF-8).
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A malformed `\uXXXX` escape, which Java refuses too.
    #[error("config file {}: {source}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where.
        #[source]
        source: PropertiesError,
    },
    /// A value this client cannot use.
    #[error("config file {}: {key}: {message}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
        /// What is wrong, and what to do.
        message: String,
    },
    /// A `sasl.jaas.config` this client cannot use.
    #[error("config file {}: sasl.jaas.config: {source}", path.display())]
    Jaas {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: JaasError,
    },
}

impl FileSettings {
    /// Reads the `client.properties` at `path`.
    pub fn read(path: &Path) -> Result<FileSettings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let entries = properties::parse(&text).map_err(|source| ConfigError::Syntax {
            path: path.to_path_buf(),
            source,
        })?;
        FileSettings::from_entries(path, entries)
    }

    /// The settings of a file's entries (the last of a key given twice counts).
    pub fn from_entries(path: &Path, entries: Vec<Property>) -> Result<FileSettings, ConfigError> {
        let file = Entries {
            path,
            values: entries
                .into_iter()
                .map(|p| (p.key, p.value.trim().to_string()))
                .collect(),
        };
        let jaas = file.jaas()?;
        Ok(FileSettings {
            path: path.to_path_buf(),
            bootstrap_servers: file.text("bootstrap.servers"),
            security_protocol: file.parsed("security.protocol", str::parse)?,
            sasl_mechanism: file.mechanism()?,
            sasl_username: file
                .text("sasl.username")
                .or_else(|| jaas.as_ref().and_then(|j| j.username.clone())),
            sasl_password: file
                .secret("sasl.password")
                .or_else(|| jaas.as_ref().and_then(|j| j.password.clone())),
            jaas_module: jaas.map(|j| j.module),
            ssl_ca_location: file.ca_location()?,
            ssl_certificate_location: file.path("ssl.certificate.location"),
            ssl_key_location: file.path("ssl.key.location"),
            ssl_key_password: file.secret("ssl.key.password"),
            ssl_endpoint_identification_algorithm: file.endpoint_identification()?,
            client_id: file.text("client.id"),
            group_id: file.text("group.id"),
            unknown: file.unknown(),
        })
    }
}

/// A file's entries by key, for reading them one by one.
struct Entries<'a> {
    path: &'a Path,
    values: BTreeMap<String, String>,
}

impl Entries<'_> {
    /// The value of `key`, `None` when absent or empty.
    fn text(&self, key: &str) -> Option<String> {
        self.values.get(key).filter(|v| !v.is_empty()).cloned()
    }

    /// The value of `key` as a path.
    fn path(&self, key: &str) -> Option<PathBuf> {
        self.text(key).map(PathBuf::from)
    }

    /// The value of `key` as a secret.
    fn secret(&self, key: &str) -> Option<Secret> {
        self.text(key).map(Secret::new)
    }

    /// The value of `key` through `parse`, whose error becomes the file's.
    fn parsed<T>(
        &self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.text(key)
            .map(|value| parse(&value).map_err(|message| self.error(key, message)))
            .transpose()
    }

    /// An error about `key`.
    fn error(&self, key: &'static str, message: String) -> ConfigError {
        ConfigError::Value {
            path: self.path.to_path_buf(),
            key,
            message,
        }
    }

    /// `sasl.mechanism`, else librdkafka's `sasl.mechanisms`.
    fn mechanism(&self) -> Result<Option<SaslMechanism>, ConfigError> {
        let java = self.parsed("sasl.mechanism", SaslMechanism::from_str)?;
        match java {
            Some(mechanism) => Ok(Some(mechanism)),
            None => self.parsed("sasl.mechanisms", SaslMechanism::from_str),
        }
    }

    /// `sasl.jaas.config`, parsed.
    fn jaas(&self) -> Result<Option<JaasLogin>, ConfigError> {
        let Some(text) = self.text("sasl.jaas.config") else {
            return Ok(None);
        };
        jaas::parse(&text)
            .map(Some)
            .map_err(|source| ConfigError::Jaas {
                path: self.path.to_path_buf(),
                source,
            })
    }

    /// `ssl.endpoint.identification.algorithm`: `https`, or empty (Java) or `none`
    /// (librdkafka) to skip the host name check.
    fn endpoint_identification(&self) -> Result<Option<EndpointIdentification>, ConfigError> {
        const KEY: &str = "ssl.endpoint.identification.algorithm";
        let Some(value) = self.values.get(KEY) else {
            return Ok(None);
        };
        match value.to_ascii_lowercase().as_str() {
            "https" => Ok(Some(EndpointIdentification::Https)),
            "" | "none" => Ok(Some(EndpointIdentification::None)),
            _ => Err(self.error(KEY, format!("{value:?} is neither https nor empty (none)"))),
        }
    }

    /// The CA certificates: `ssl.ca.location`, else `ssl.truststore.location` when its type is
    /// PEM. Other truststores (JKS, PKCS12) are refused with the command that converts them;
    /// so is a keystore (client certificates come as PEM files).
    fn ca_location(&self) -> Result<Option<PathBuf>, ConfigError> {
        if let Some(keystore) = self.text("ssl.keystore.location") {
            return Err(self.error("ssl.keystore.location", keystore_message(&keystore)));
        }
        if let Some(ca) = self.path("ssl.ca.location") {
            return Ok(Some(ca));
        }
        let Some(truststore) = self.text("ssl.truststore.location") else {
            return Ok(None);
        };
        // Java's default truststore type is JKS.
        let kind = self.text("ssl.truststore.type").unwrap_or("JKS".into());
        if kind.eq_ignore_ascii_case("PEM") {
            return Ok(Some(PathBuf::from(truststore)));
        }
        Err(self.error(
            "ssl.truststore.type",
            truststore_message(&kind, &truststore),
        ))
    }

    /// The keys this client does not use.
    fn unknown(&self) -> Vec<String> {
        self.values
            .keys()
            .filter(|key| !KNOWN_KEYS.contains(&key.as_str()))
            .cloned()
            .collect()
    }
}

/// Why a JKS or PKCS12 truststore is refused, and the commands that turn it into a PEM file.
fn truststore_message(kind: &str, store: &str) -> String {
    let to_pem = "openssl pkcs12 -in truststore.p12 -nokeys -out ca.pem";
    let command = if kind.eq_ignore_ascii_case("PKCS12") {
        to_pem.replace("truststore.p12", store)
    } else {
        format!(
            "keytool -importkeystore -srckeystore {store} -destkeystore truststore.p12 \
             -deststoretype PKCS12 && {to_pem}"
        )
    };
    format!(
        "{kind} truststores are not supported, only PEM (a PEM file: set \
         ssl.truststore.type=PEM): convert it with `{command}` and set ssl.ca.location=ca.pem"
    )
}

/// Why a keystore is refused, and the commands that turn it into PEM files.
fn keystore_message(store: &str) -> String {
    format!(
        "keystores are not supported: give the client certificate and key as PEM files in \
         ssl.certificate.location and ssl.key.location (`openssl pkcs12 -in {store} -clcerts \
         -nokeys -out client.pem` and `openssl pkcs12 -in {store} -nocerts -out client.key`; \
         a JKS keystore first through `keytool -importkeystore -srckeystore {store} \
         -destkeystore keystore.p12 -deststoretype PKCS12`)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::one_line;

    fn settings(text: &str) -> Result<FileSettings, ConfigError> {
        let entries = properties::parse(text).expect("valid syntax");
        FileSettings::from_entries(Path::new("client.properties"), entries)
    }

    fn error(text: &str) -> String {
        one_line(&settings(text).unwrap_err())
    }

    #[test]
    fn a_java_sasl_ssl_file() {
        let file = settings(
            "# written by Java\n\
             bootstrap.servers=b1\\:9093,b2\\:9093\n\
             security.protocol=SASL_SSL\n\
             sasl.mechanism=SCRAM-SHA-512\n\
             sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n\
             \x20   username=\"alice\" \\\n\
             \x20   password=\"s3cret\";\n\
             ssl.truststore.location=/etc/kafka/ca.pem\n\
             ssl.truststore.type=PEM\n\
             ssl.endpoint.identification.algorithm=\n\
             client.id=shop\n\
             group.id=stats\n",
        )
        .unwrap();
        assert_eq!(
            file,
            FileSettings {
                path: "client.properties".into(),
                bootstrap_servers: Some("b1:9093,b2:9093".into()),
                security_protocol: Some(SecurityProtocol::SaslSsl),
                sasl_mechanism: Some(SaslMechanism::ScramSha512),
                sasl_username: Some("alice".into()),
                sasl_password: Some(Secret::new("s3cret")),
                jaas_module: Some(LoginModule::Scram),
                ssl_ca_location: Some("/etc/kafka/ca.pem".into()),
                ssl_endpoint_identification_algorithm: Some(EndpointIdentification::None),
                client_id: Some("shop".into()),
                group_id: Some("stats".into()),
                ..FileSettings::default()
            }
        );
    }

    #[test]
    fn a_librdkafka_file() {
        let file = settings(
            "bootstrap.servers = broker:9092\n\
             security.protocol = sasl_plaintext\n\
             sasl.mechanisms = PLAIN\n\
             sasl.username = bob\n\
             sasl.password = pw\n\
             ssl.ca.location = ca.pem\n\
             ssl.certificate.location = client.pem\n\
             ssl.key.location = client.key\n\
             ssl.key.password = kp\n\
             ssl.endpoint.identification.algorithm = none\n",
        )
        .unwrap();
        assert_eq!(
            file.security_protocol,
            Some(SecurityProtocol::SaslPlaintext)
        );
        assert_eq!(file.sasl_mechanism, Some(SaslMechanism::Plain));
        assert_eq!(file.sasl_username.as_deref(), Some("bob"));
        assert_eq!(file.sasl_password, Some(Secret::new("pw")));
        assert_eq!(file.ssl_ca_location, Some("ca.pem".into()));
        assert_eq!(file.ssl_certificate_location, Some("client.pem".into()));
        assert_eq!(file.ssl_key_location, Some("client.key".into()));
        assert_eq!(file.ssl_key_password, Some(Secret::new("kp")));
        assert_eq!(
            file.ssl_endpoint_identification_algorithm,
            Some(EndpointIdentification::None)
        );
        assert!(file.unknown.is_empty());
    }

    #[test]
    fn explicit_credentials_win_over_the_jaas_line() {
        let file = settings(
            "sasl.username=explicit\n\
             sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"jaas\" password=\"jaas-pw\";\n",
        )
        .unwrap();
        assert_eq!(file.sasl_username.as_deref(), Some("explicit"));
        assert_eq!(file.sasl_password, Some(Secret::new("jaas-pw")));
        assert_eq!(file.jaas_module, Some(LoginModule::Plain));
    }

    #[test]
    fn unknown_keys_are_listed_and_empty_values_are_unset() {
        let file = settings("acks=all\nlinger.ms=5\nclient.id=\nbootstrap.servers=  \n").unwrap();
        assert_eq!(file.unknown, ["acks", "linger.ms"]);
        assert_eq!(file.client_id, None);
        assert_eq!(file.bootstrap_servers, None);
    }

    #[test]
    fn unsupported_values_name_the_file_and_key() {
        let mechanism = error("sasl.mechanism=OAUTHBEARER");
        assert!(
            mechanism.starts_with("config file client.properties: sasl.mechanism: SASL mechanism OAUTHBEARER is not supported"),
            "{mechanism}"
        );
        assert!(
            mechanism.contains("PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"),
            "{mechanism}"
        );
        let protocol = error("security.protocol=TLS");
        assert!(
            protocol.contains("security.protocol: unknown security protocol"),
            "{protocol}"
        );
        let algorithm = error("ssl.endpoint.identification.algorithm=http");
        assert!(
            algorithm.contains("ssl.endpoint.identification.algorithm"),
            "{algorithm}"
        );
    }

    #[test]
    fn a_malformed_jaas_line_is_refused_without_its_password() {
        let message = error(
            "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
             username=\"u\" password=\"hunter2\"",
        );
        assert_eq!(
            message,
            "config file client.properties: sasl.jaas.config: the entry does not end with a semicolon"
        );
        let oauth = error(
            "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
        );
        assert!(
            oauth.contains("OAuthBearerLoginModule is not supported"),
            "{oauth}"
        );
    }

    #[test]
    fn truststores_must_be_pem_and_the_message_says_how_to_convert() {
        let jks = error("ssl.truststore.location=/etc/kafka/truststore.jks\n");
        assert!(
            jks.contains("ssl.truststore.type: JKS truststores are not supported"),
            "{jks}"
        );
        assert!(
            jks.contains("keytool -importkeystore -srckeystore /etc/kafka/truststore.jks"),
            "{jks}"
        );
        assert!(
            jks.contains("openssl pkcs12 -in truststore.p12 -nokeys -out ca.pem"),
            "{jks}"
        );
        let p12 = error("ssl.truststore.location=ts.p12\nssl.truststore.type=PKCS12\n");
        assert!(
            p12.contains("`openssl pkcs12 -in ts.p12 -nokeys -out ca.pem`"),
            "{p12}"
        );
        assert!(!p12.contains("keytool"), "{p12}");
        let keystore = error("ssl.keystore.location=ks.p12\n");
        assert!(
            keystore.contains("ssl.keystore.location: keystores are not supported"),
            "{keystore}"
        );
        assert_eq!(
            settings("ssl.truststore.location=ca.pem\nssl.truststore.type=pem\nssl.truststore.password=x\n")
                .unwrap()
                .ssl_ca_location,
            Some("ca.pem".into())
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = FileSettings::read(Path::new("/nonexistent/client.properties")).unwrap_err();
        let message = one_line(&error);
        assert!(
            message.starts_with("cannot read config file /nonexistent/client.properties: "),
            "{message}"
        );
    }
}
