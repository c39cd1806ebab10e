//! End to end: pointing the services at a cluster with `--config client.properties`, the
//! security flags and their environment variables (`service::settings`), and
//! `--print-config`.
//!
//! | test | covers |
//! |---|---|
//! | `print_config_shows_each_source_and_redacts_secrets` | flag > env > file > default, `[redacted]`, exit 0 without connecting |
//! | `a_client_properties_as_java_writes_it_drives_producer_and_verifier` | a Java-written file (escapes, comments, unknown keys) as the only source of `bootstrap.servers` |
//! | `a_missing_config_file_exits_2_naming_it` | exit 2, one line |
//! | `an_unsupported_mechanism_exits_2_naming_the_supported_ones` | flag and file, exit 2, one line |

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use e2e::Finished;
use verifier::ReportJson;

/// The mechanisms an unsupported one's message must name.
const SUPPORTED: &str = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512";

/// Asserts exit 2 with exactly one `error:` line on stderr, which contains `expected`.
fn assert_user_error(out: &Finished, what: &str, expected: &str) {
    out.assert_user_error(what, &[expected]);
}

/// Writes `text` to a `client.properties` of this test process, named after `name`.
fn properties_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("e2e-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let path = dir.join(format!("{name}.properties"));
    std::fs::write(&path, text).expect("writing the properties file");
    path
}

/// Runs `binary` with `args` and exactly the `KAFKA_*` environment variables `env` (none
/// inherited), for at most `limit`.
fn run_with_env(binary: &str, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Finished {
    let mut command = Command::new(e2e::binary(binary));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KAFKA_")) {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let started = std::time::Instant::now();
    let child = command.spawn().expect("starting the binary");
    let output = child.wait_with_output().expect("waiting for the binary");
    let elapsed = started.elapsed();
    assert!(elapsed < limit, "{binary} {args:?} took {elapsed:?}");
    Finished {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed,
    }
}

/// The value and source `--print-config` shows for `key`, blanks squeezed.
fn printed(stdout: &str, key: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(key))
        .unwrap_or_else(|| panic!("no {key} in:\n{stdout}"));
    line.split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn print_config_shows_each_source_and_redacts_secrets() {
    let file = properties_file(
        "print-config",
        "# the cluster's file\n\
         bootstrap.servers=unreachable.invalid\\:9092\n\
         sasl.mechanism=SCRAM-SHA-512\n\
         sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n\
         \x20   username=\"alice\" password=\"file-secret\";\n\
         client.id=from-file\n\
         group.id=from-file-group\n",
    );
    let file_source = format!("file {}", file.display());
    for binary in ["producer", "consumer", "verifier"] {
        let out = run_with_env(
            binary,
            &[
                "--config",
                file.to_str().expect("a UTF-8 path"),
                "--security-protocol",
                "SASL_SSL",
                "--print-config",
            ],
            &[
                ("KAFKA_SASL_PASSWORD", "env-secret"),
                ("KAFKA_CLIENT_ID", "from-env"),
            ],
            Duration::from_secs(5),
        );
        assert_eq!(out.code, Some(0), "{binary}: {}", out.stderr);
        let stdout = &out.stdout;
        assert_eq!(
            printed(stdout, "bootstrap.servers"),
            format!("unreachable.invalid:9092 {file_source}")
        );
        assert_eq!(
            printed(stdout, "security.protocol"),
            "SASL_SSL flag --security-protocol"
        );
        assert_eq!(
            printed(stdout, "sasl.mechanism"),
            format!("SCRAM-SHA-512 {file_source}")
        );
        assert_eq!(
            printed(stdout, "sasl.username"),
            format!("alice {file_source}")
        );
        assert_eq!(
            printed(stdout, "sasl.password"),
            "[redacted] env KAFKA_SASL_PASSWORD"
        );
        assert_eq!(printed(stdout, "client.id"), "from-env env KAFKA_CLIENT_ID");
        assert_eq!(
            printed(stdout, "ssl.endpoint.identification.algorithm"),
            "https default"
        );
        let group = stdout.lines().any(|l| l.starts_with("group.id"));
        assert_eq!(group, binary == "consumer", "{binary}:\n{stdout}");
        for secret in ["file-secret", "env-secret"] {
            assert!(
                !stdout.contains(secret) && !out.stderr.contains(secret),
                "{binary} shows a password:\n{stdout}\n{}",
                out.stderr
            );
        }
    }
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_client_properties_as_java_writes_it_drives_producer_and_verifier() {
    let Ok(brokers) = std::env::var("KAFKA_TEST_BROKERS") else {
        e2e::skip("KAFKA_TEST_BROKERS is not set (run `just test`, which starts a broker)");
        return;
    };
    // As java.util.Properties.store writes it: a comment and a date, ':' and '=' escaped; with
    // keys a Java producer's file has and these services do not use, and a consumer's group.id.
    let escaped = brokers.replace(':', "\\:");
    let file = properties_file(
        "java",
        &format!(
            "#Kafka client\n\
             #Tue Nov 25 07:51:51 CET 2026\n\
             security.protocol=PLAINTEXT\n\
             bootstrap.servers={escaped}\n\
             acks=all\n\
             group.id=statistiques\n\
             client.id=e2e-java-file\n"
        ),
    );
    let config = file.to_str().expect("a UTF-8 path");
    let topic = e2e::unique_topic("config-java");
    let runs = format!("{topic}.runs");
    let common = [
        "--config",
        config,
        "--topic",
        &topic,
        "--runs-topic",
        &runs,
        "--json",
    ];
    let limit = Duration::from_secs(120);

    let produced = run_with_env(
        "producer",
        &[&common[..], &["--count", "100", "--rate", "0"]].concat(),
        &[],
        limit,
    );
    assert_eq!(produced.code, Some(0), "producer: {}", produced.stderr);
    let warnings: Vec<&str> = produced
        .stderr
        .lines()
        .filter(|l| l.contains("does not use"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", produced.stderr);
    assert!(warnings[0].ends_with("ignored: acks"), "{}", warnings[0]);

    let verified = run_with_env(
        "verifier",
        &[&common[..], &["--samples", "1"]].concat(),
        &[],
        limit,
    );
    assert_eq!(verified.code, Some(0), "verifier: {}", verified.stderr);
    let report: ReportJson = verified.parse();
    assert_eq!((report.valid, report.lost), (100, 0), "{report:#?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_missing_config_file_exits_2_naming_it() {
    let missing = "/nonexistent/e2e/client.properties";
    for binary in ["producer", "consumer", "verifier"] {
        let out = run_with_env(binary, &["--config", missing], &[], Duration::from_secs(5));
        assert_user_error(
            &out,
            binary,
            &format!("cannot read config file {missing}: "),
        );
    }
    // Named by the environment variable too.
    let out = run_with_env(
        "verifier",
        &[],
        &[("KAFKA_CONFIG", missing)],
        Duration::from_secs(5),
    );
    assert_user_error(&out, "KAFKA_CONFIG", missing);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn an_unsupported_mechanism_exits_2_naming_the_supported_ones() {
    let by_flag = run_with_env(
        "producer",
        &[
            "--security-protocol",
            "SASL_SSL",
            "--sasl-mechanism",
            "OAUTHBEARER",
        ],
        &[],
        Duration::from_secs(5),
    );
    assert_user_error(&by_flag, "--sasl-mechanism OAUTHBEARER", SUPPORTED);
    assert!(
        by_flag.stderr.contains("OAUTHBEARER is not supported"),
        "{}",
        by_flag.stderr
    );

    let file = properties_file(
        "gssapi",
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=GSSAPI\n",
    );
    let by_file = run_with_env(
        "consumer",
        &["--config", file.to_str().expect("a UTF-8 path")],
        &[],
        Duration::from_secs(5),
    );
    assert_user_error(&by_file, "sasl.mechanism=GSSAPI", SUPPORTED);
    assert!(
        by_file.stderr.contains("GSSAPI is not supported"),
        "{}",
        by_file.stderr
    );
}
