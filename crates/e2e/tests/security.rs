//! End to end over SASL_SSL: tansu requiring SCRAM behind a TLS relay (`scripts/broker.sh start
//! tansu-sasl-ssl`, certificates from `scripts/certs.sh`). The whole pipeline with flags and with
//! a `client.properties` as Java writes one; each bad credential or certificate: one line naming
//! the cause, exit 2, within seconds. `scripts/test.sh` runs this suite on that broker only and
//! gives its folder in `KAFKA_TEST_SECURITY_DIR`; without it the tests skip, saying so.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use consumer::Summary as MemberSummary;
use e2e::{topic::as_strs, Finished, Topic};
use producer::Summary;

/// The folder of the secured broker's addresses and certificates, or `None` (skip).
fn secured_broker() -> Option<PathBuf> {
    match std::env::var_os("KAFKA_TEST_SECURITY_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            e2e::skip(
                "no secured broker (KAFKA_TEST_SECURITY_DIR): run `just test`, which starts \
                 tansu-sasl-ssl",
            );
            None
        }
    }
}

/// The address written in `dir`'s file `name` (`address`: the TLS relay tansu advertises).
fn address(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .expect("an address file of broker.sh")
        .trim()
        .to_string()
}

/// SASL_SSL with SCRAM-SHA-512 as alice, trusting the test CA, as flags.
fn secured_flags(dir: &std::path::Path) -> Vec<String> {
    [
        "--security-protocol",
        "SASL_SSL",
        "--sasl-mechanism",
        "SCRAM-SHA-512",
        "--sasl-username",
        "alice",
        "--sasl-password",
        "alice-secret",
        "--ssl-ca-location",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([dir.join("ca.pem").display().to_string()])
    .collect()
}

/// Producer, then a fresh group member stopping at the last event, then the verifier, each
/// with `security` flags: every acked event arrives and is counted.
fn pipeline(topic: &Topic, security: &[String]) {
    let with = |args: Vec<String>| -> Vec<String> { [args, security.to_vec()].concat() };
    let produced = e2e::run(
        "producer",
        &as_strs(&with(
            topic.producer_args(&["--count", "2000", "--rate", "0"]),
        )),
    );
    assert_eq!(produced.code, Some(0), "producer: {}", produced.stderr);
    let summary: Summary = produced.parse();
    assert_eq!(summary.manifest.acked, 2_000);

    let group = e2e::unique_topic("g");
    let member_args = with(
        [
            "--brokers",
            &topic.bootstrap(),
            "--topic",
            &topic.name,
            "--group-id",
            &group,
            "--json",
            "--max-messages",
            "2000",
            "--fetch-max-wait",
            "50ms",
        ]
        .map(String::from)
        .to_vec(),
    );
    let member = e2e::wait(
        e2e::spawn(e2e::binary("consumer"), &as_strs(&member_args)),
        Duration::from_secs(90),
    );
    assert_eq!(member.code, Some(0), "consumer: {}", member.stderr);
    let counted: MemberSummary = member.parse();
    assert_eq!((counted.consumed, counted.invalid), (2_000, 0));
    assert_eq!(counted.committed.values().sum::<i64>(), 2_000);

    let verified = e2e::run("verifier", &as_strs(&with(topic.verifier_args())));
    assert_eq!(verified.code, Some(0), "verifier: {}", verified.stderr);
    let report: verifier::ReportJson = verified.parse();
    assert_eq!((report.total, report.lost), (2_000, 0));
}

/// Asserts exit 2 within `limit` with one `error:` line containing every one of `expected`.
fn assert_refused(out: &Finished, took: Duration, expected: &[&str]) {
    assert!(
        took < Duration::from_secs(10),
        "took {took:?}: {}",
        out.stderr
    );
    out.assert_user_error("verifier", expected);
}

/// Runs the verifier of a new topic at `at` with `flags`: its result and how long it took.
fn verify_with(at: &str, flags: &[String]) -> (Finished, Duration) {
    let topic = Topic::new("refused").on(at);
    let args = [topic.verifier_args(), flags.to_vec()].concat();
    let started = Instant::now();
    let out = e2e::run("verifier", &as_strs(&args));
    (out, started.elapsed())
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_pipeline_runs_over_sasl_ssl_with_scram() {
    let Some(dir) = secured_broker() else { return };
    let topic = Topic::new("secured").on(&address(&dir, "address"));
    pipeline(&topic, &secured_flags(&dir));
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_client_properties_file_as_java_writes_it_works_unchanged() {
    let Some(dir) = secured_broker() else { return };
    let at = address(&dir, "address");
    let file = dir.join(format!("{}.properties", e2e::unique_topic("client")));
    let properties = format!(
        "# as the Java client takes it\n\
         bootstrap.servers={}\n\
         security.protocol=SASL_SSL\n\
         sasl.mechanism=SCRAM-SHA-256\n\
         sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n    \
         username=\"bob\" password=\"bob-secret\";\n\
         ssl.truststore.type=PEM\n\
         ssl.truststore.location={}\n",
        at.replace(':', "\\:"),
        dir.join("ca.pem").display()
    );
    std::fs::write(&file, properties).expect("the properties file");
    let topic = Topic::new("properties").on(&at);
    pipeline(
        &topic,
        &["--config".to_string(), file.display().to_string()],
    );
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_wrong_password_is_one_line_and_exit_2() {
    let Some(dir) = secured_broker() else { return };
    let mut flags = secured_flags(&dir);
    let password = flags.iter().position(|f| f == "alice-secret").unwrap();
    flags[password] = "not-her-password".into();
    let (out, took) = verify_with(&address(&dir, "address"), &flags);
    assert_refused(
        &out,
        took,
        &["authentication failed", "alice", "SCRAM-SHA-512"],
    );
    assert!(!out.stderr.contains("not-her-password"), "{}", out.stderr);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn certificates_that_do_not_verify_are_one_line_and_exit_2() {
    let Some(dir) = secured_broker() else { return };
    let flags = secured_flags(&dir);
    for (relay, expected) in [
        ("other-ca-address", "unknown CA"),
        ("wrong-host-address", "wrong host name"),
        ("expired-address", "expired"),
    ] {
        let (out, took) = verify_with(&address(&dir, relay), &flags);
        assert_refused(&out, took, &["certificate verify failed", expected]);
    }
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn tls_and_plaintext_on_the_wrong_listener_are_one_line_and_exit_2() {
    let Some(dir) = secured_broker() else { return };
    let tls = secured_flags(&dir);
    let (out, took) = verify_with(&address(&dir, "plaintext-address"), &tls);
    assert_refused(&out, took, &["did not answer TLS", "plaintext listener"]);

    let mut plaintext = secured_flags(&dir);
    let protocol = plaintext.iter().position(|f| f == "SASL_SSL").unwrap();
    plaintext[protocol] = "SASL_PLAINTEXT".into();
    let (out, took) = verify_with(&address(&dir, "address"), &plaintext);
    assert_refused(&out, took, &["did not answer in plaintext", "TLS listener"]);
}

/// The topics and consumer groups of the secured cluster, as librdkafka lists them as alice.
fn inventory(dir: &std::path::Path) -> (Vec<String>, Vec<String>) {
    let bootstrap = address(dir, "address");
    let ca = format!("ssl.ca.location={}", dir.join("ca.pem").display());
    let args = [
        bootstrap.as_str(),
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        "sasl.username=alice",
        "sasl.password=alice-secret",
        ca.as_str(),
    ];
    let listed = e2e::group::run_peer("cluster_inventory.py", &args);
    let names = |key: &str| -> Vec<String> {
        serde_json::from_value(listed[key].clone()).expect("a list of names")
    };
    (names("topics"), names("groups"))
}

/// The names among `names` that start with `prefix`.
fn starting_with<'a>(names: &'a [String], prefix: &str) -> Vec<&'a String> {
    names.iter().filter(|n| n.starts_with(prefix)).collect()
}

/// Runs `smoke` with the secured cluster's client.properties (as broker.sh writes it), a prefix
/// of its own, and `extra` flags: its result and the prefix.
fn smoke(dir: &std::path::Path, extra: &[&str]) -> (Finished, String) {
    let prefix = e2e::unique_topic("smoke");
    let config = dir.join("client.properties").display().to_string();
    let mut args = vec!["--config", &config, "--count", "500", "--prefix", &prefix];
    args.extend(extra);
    (e2e::run("smoke", &args), prefix)
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn smoke_passes_on_the_secured_cluster_and_leaves_nothing_behind() {
    let Some(dir) = secured_broker() else { return };
    let (out, prefix) = smoke(&dir, &[]);
    assert_eq!(out.code, Some(0), "smoke: {}\n{}", out.stdout, out.stderr);
    let verdict = out.stdout.lines().last().unwrap_or_default();
    assert!(
        verdict.starts_with(&format!("smoke PASSED: 500 events produced to {prefix}-")),
        "{verdict}"
    );
    assert!(verdict.ends_with("; topics and group deleted"), "{verdict}");
    let (topics, groups) = inventory(&dir);
    assert_eq!(starting_with(&topics, &prefix), Vec::<&String>::new());
    assert_eq!(starting_with(&groups, &prefix), Vec::<&String>::new());
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn smoke_with_keep_leaves_its_topics_and_group_to_inspect() {
    let Some(dir) = secured_broker() else { return };
    let (out, prefix) = smoke(&dir, &["--keep"]);
    assert_eq!(out.code, Some(0), "smoke: {}\n{}", out.stdout, out.stderr);
    let verdict = out.stdout.lines().last().unwrap_or_default();
    assert!(verdict.contains("; kept: topics "), "{verdict}");
    let (topics, groups) = inventory(&dir);
    assert_eq!(starting_with(&topics, &prefix).len(), 2, "{topics:?}");
    assert_eq!(starting_with(&groups, &prefix).len(), 1, "{groups:?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn smoke_with_a_wrong_password_is_one_line_exit_2_and_creates_nothing() {
    let Some(dir) = secured_broker() else { return };
    let (out, prefix) = smoke(&dir, &["--sasl-password", "not-her-password"]);
    assert!(out.elapsed < Duration::from_secs(10), "{}", out.stderr);
    out.assert_user_error(
        "smoke",
        &["stopped at produce", "authentication failed", "alice"],
    );
    assert!(!out.stderr.contains("not-her-password"), "{}", out.stderr);
    let (topics, _) = inventory(&dir);
    assert_eq!(starting_with(&topics, &prefix), Vec::<&String>::new());
}
