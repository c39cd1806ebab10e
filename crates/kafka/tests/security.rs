//! TLS and SASL against a real broker: `scripts/broker.sh start tansu-sasl-ssl` (tansu requiring
//! SCRAM, behind TLS relays with good and bad certificates), then
//!
//! ```text
//! KAFKA_SECURITY_TEST_BROKER=.run/tansu-sasl-ssl cargo test -p kafka --test security -- --ignored
//! ```
//!
//! The variable names the broker's folder: its address files (`address`: TLS,
//! `plaintext-address`: tansu itself, `wrong-host-address`, `other-ca-address`,
//! `expired-address`, `mutual-tls-address`) and the certificates of `scripts/certs.sh`. Without
//! it each test says why it is skipped and passes. Both our own connection and rskafka's client
//! are checked, and every refusal must come at once with its cause, not after a timeout.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use kafka::{
    cluster::{rskafka_client, Cluster, ClusterError},
    connection::{
        security::{SaslConfig, SaslMechanism, Secret, Security, SecurityProtocol, TlsConfig},
        Connection, ConnectionError,
    },
};

/// rskafka's client of the cluster at `address`, secured as `security` says.
async fn rskafka_connect(
    address: &str,
    security: &Security,
) -> Result<std::sync::Arc<rskafka::client::Client>, ClusterError> {
    let cluster = Cluster::new(vec![address.to_string()], "security-test", security.clone());
    rskafka_client::connect(&cluster).await
}

/// The broker's folder (a relative path is taken from the workspace's root), or `None` (the
/// test is skipped) when the variable is not set.
fn broker_dir() -> Option<PathBuf> {
    match std::env::var_os("KAFKA_SECURITY_TEST_BROKER") {
        Some(dir) => Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(dir),
        ),
        None => {
            eprintln!(
                "skipped: KAFKA_SECURITY_TEST_BROKER is not set (scripts/broker.sh start \
                 tansu-sasl-ssl, then KAFKA_SECURITY_TEST_BROKER=.run/tansu-sasl-ssl)"
            );
            None
        }
    }
}

fn address(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
        .trim()
        .to_string()
}

fn user(mechanism: SaslMechanism, username: &str, password: &str) -> Option<SaslConfig> {
    Some(SaslConfig {
        mechanism,
        username: username.into(),
        password: Secret::new(password),
    })
}

fn alice() -> Option<SaslConfig> {
    user(SaslMechanism::ScramSha512, "alice", "alice-secret")
}

fn sasl_ssl(dir: &std::path::Path, sasl: Option<SaslConfig>) -> Security {
    Security {
        protocol: SecurityProtocol::SaslSsl,
        sasl,
        tls: TlsConfig {
            ca_location: Some(dir.join("ca.pem")),
            ..TlsConfig::default()
        },
    }
}

/// Connects with both clients; each must succeed.
async fn both_connect(address: &str, security: &Security) {
    Connection::connect(address, "security-test", security)
        .await
        .unwrap_or_else(|e| panic!("our connection to {address}: {e}"));
    rskafka_connect(address, security)
        .await
        .unwrap_or_else(|e| panic!("rskafka's client to {address}: {e}"));
}

/// Connects with both clients; each must fail within `within`, with the same message.
async fn both_refused(address: &str, security: &Security, within: Duration) -> String {
    let started = Instant::now();
    let ours = Connection::connect(address, "security-test", security)
        .await
        .expect_err("our connection must be refused");
    let ours_took = started.elapsed();
    let started = Instant::now();
    let theirs = rskafka_connect(address, security)
        .await
        .expect_err("rskafka's client must be refused");
    let theirs_took = started.elapsed();
    eprintln!("refused in {ours_took:?} / {theirs_took:?}: {ours}");
    assert!(ours_took < within, "ours took {ours_took:?}: {ours}");
    assert!(
        theirs_took < within + Duration::from_secs(1),
        "rskafka's took {theirs_took:?}: {theirs}"
    );
    assert!(!matches!(ours, ConnectionError::Timeout { .. }), "{ours}");
    assert_eq!(ours.to_string(), theirs.to_string());
    ours.to_string()
}

const AT_ONCE: Duration = Duration::from_secs(2);

#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn scram_sha_512_and_256_over_tls_succeed() {
    let Some(dir) = broker_dir() else { return };
    let tls = address(&dir, "address");
    both_connect(&tls, &sasl_ssl(&dir, alice())).await;
    let bob = user(SaslMechanism::ScramSha256, "bob", "bob-secret");
    both_connect(&tls, &sasl_ssl(&dir, bob)).await;
}

/// SCRAM without TLS authenticates on tansu's own port; but tansu advertises the TLS relay, and
/// the cluster's client says so at once rather than failing at the leaders after its retries.
#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn scram_without_tls_succeeds_and_an_advertised_tls_listener_is_named() {
    let Some(dir) = broker_dir() else { return };
    let security = Security {
        protocol: SecurityProtocol::SaslPlaintext,
        sasl: user(SaslMechanism::ScramSha256, "bob", "bob-secret"),
        tls: TlsConfig::default(),
    };
    let plaintext = address(&dir, "plaintext-address");
    Connection::connect(&plaintext, "security-test", &security)
        .await
        .expect("SCRAM-SHA-256 without TLS");
    let started = Instant::now();
    let error = rskafka_connect(&plaintext, &security)
        .await
        .expect_err("the advertised broker is the TLS relay");
    assert!(started.elapsed() < AT_ONCE, "{:?}", started.elapsed());
    let message = error.to_string();
    assert!(
        message.contains("is it a TLS listener?")
            && message.ends_with(&format!("advertised by the bootstrap broker {plaintext})")),
        "{message}"
    );
}

#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn a_wrong_password_is_refused_at_once() {
    let Some(dir) = broker_dir() else { return };
    let tls = address(&dir, "address");
    let wrong = sasl_ssl(
        &dir,
        user(SaslMechanism::ScramSha512, "alice", "not-her-secret"),
    );
    let message = both_refused(&tls, &wrong, AT_ONCE).await;
    assert!(
        message.starts_with(&format!(
            "authentication failed for user alice with SCRAM-SHA-512 at {tls}: "
        )),
        "{message}"
    );
    // A user made for SCRAM-SHA-256 only has no SCRAM-SHA-512 credentials.
    let other = sasl_ssl(&dir, user(SaslMechanism::ScramSha512, "bob", "bob-secret"));
    let message = both_refused(&tls, &other, AT_ONCE).await;
    assert!(
        message.starts_with("authentication failed for user bob"),
        "{message}"
    );
}

#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn certificates_not_trusted_are_refused_with_the_reason() {
    let Some(dir) = broker_dir() else { return };
    let security = sasl_ssl(&dir, alice());
    let unknown_ca = both_refused(&address(&dir, "other-ca-address"), &security, AT_ONCE).await;
    assert!(
        unknown_ca.contains("certificate verify failed: unknown CA"),
        "{unknown_ca}"
    );
    let wrong_host = both_refused(&address(&dir, "wrong-host-address"), &security, AT_ONCE).await;
    assert!(
        wrong_host.contains("certificate verify failed: wrong host name"),
        "{wrong_host}"
    );
    let expired = both_refused(&address(&dir, "expired-address"), &security, AT_ONCE).await;
    assert!(
        expired.contains("certificate verify failed: expired"),
        "{expired}"
    );
}

#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn without_host_name_checks_only_the_name_is_skipped() {
    let Some(dir) = broker_dir() else { return };
    let mut security = sasl_ssl(&dir, alice());
    security.tls.verify_hostname = false;
    Connection::connect(
        &address(&dir, "wrong-host-address"),
        "security-test",
        &security,
    )
    .await
    .expect("the wrong name is accepted");
    let error = Connection::connect(
        &address(&dir, "other-ca-address"),
        "security-test",
        &security,
    )
    .await
    .expect_err("an unknown CA is not");
    assert!(error.to_string().contains("unknown CA"), "{error}");
}

#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn mutual_tls_presents_the_client_certificate() {
    let Some(dir) = broker_dir() else { return };
    let mutual = address(&dir, "mutual-tls-address");
    let without = sasl_ssl(&dir, alice());
    let error = Connection::connect(&mutual, "security-test", &without)
        .await
        .expect_err("refused without a client certificate");
    assert!(
        error.to_string().contains("client certificate"),
        "{error:?}"
    );
    let mut with = sasl_ssl(&dir, alice());
    with.tls.certificate_location = Some(dir.join("client.pem"));
    with.tls.key_location = Some(dir.join("client-encrypted.key"));
    with.tls.key_password = Some(Secret::new("client-key-secret"));
    both_connect(&mutual, &with).await;
}

#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn a_listener_of_the_other_kind_is_named_within_seconds() {
    let Some(dir) = broker_dir() else { return };
    let tls_to_plaintext = both_refused(
        &address(&dir, "plaintext-address"),
        &sasl_ssl(&dir, alice()),
        Duration::from_secs(6),
    )
    .await;
    assert!(
        tls_to_plaintext.contains("did not answer TLS")
            && tls_to_plaintext.contains("is it a plaintext listener? (--security-protocol)"),
        "{tls_to_plaintext}"
    );
    let plaintext = Security {
        protocol: SecurityProtocol::SaslPlaintext,
        sasl: alice(),
        tls: TlsConfig::default(),
    };
    let plaintext_to_tls = both_refused(&address(&dir, "address"), &plaintext, AT_ONCE).await;
    assert!(
        plaintext_to_tls.contains("is it a TLS listener? (--security-protocol)"),
        "{plaintext_to_tls}"
    );
}

#[tokio::test]
#[ignore = "needs KAFKA_SECURITY_TEST_BROKER: see the file's documentation"]
async fn a_mechanism_the_broker_does_not_offer_is_named() {
    let Some(dir) = broker_dir() else { return };
    let plain = sasl_ssl(&dir, user(SaslMechanism::Plain, "alice", "alice-secret"));
    match Connection::connect(&address(&dir, "address"), "security-test", &plain).await {
        Ok(_) => eprintln!("this broker accepts PLAIN"),
        Err(error) => {
            eprintln!("PLAIN: {error}");
            assert!(error.is_fatal_security(), "{error}");
        }
    }
}
