//! End to end: the exit-code table (`service::exit`), one test per code and per kind of cause,
//! each ending with one readable `error:` line on stderr for code 2.
//!
//! | code | tests |
//! |---|---|
//! | 0 | `a_run_that_delivers_everything_exits_0` |
//! | 1 | `pipeline.rs`: `a_manifest_claiming_more_than_was_written_is_a_loss_named_by_seq`; `produce_errors.rs`: events refused for good (producer) |
//! | 2 | bad flags, an unreachable broker, a missing topic, an invalid group id |

use std::time::Duration;

use e2e::{topic::as_strs, Finished, Topic};

/// Asserts exit 2 with exactly one `error:` line on stderr, which contains `expected`.
fn assert_user_error(out: &Finished, what: &str, expected: &str) {
    out.assert_user_error(what, &[expected]);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_run_that_delivers_everything_exits_0() {
    let topic = Topic::new("exit-0");
    let args = topic.producer_args(&["--count", "100", "--rate", "0"]);
    let produced = e2e::run("producer", &as_strs(&args));
    assert_eq!(produced.code, Some(0), "producer: {}", produced.stderr);
    let (code, report) = topic.verify();
    assert_eq!(code, Some(0), "verifier: {report:#?}");
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn bad_flags_exit_2_before_connecting() {
    // The table of docs/errors.md, row by row.
    let cases: [(&str, &[&str], &str); 23] = [
        (
            "producer",
            &["--http", "9100"],
            "\"9100\" is not an address to listen on",
        ),
        (
            "verifier",
            &["--log-format", "xml"],
            "\"xml\" is not a log format: text or json",
        ),
        ("producer", &["--rate=-1"], "--rate must be a number"),
        (
            "producer",
            &["--duration", "soon"],
            "\"soon\" is not a duration",
        ),
        ("producer", &["--partitions", "0"], "0 is not in 1..=65535"),
        ("producer", &["--users", "0"], "'--users <USERS>'"),
        (
            "producer",
            &["--flush-timeout", "0s"],
            "--flush-timeout must be longer than 0",
        ),
        (
            "producer",
            &["--delivery-timeout", "0s"],
            "--delivery-timeout must be longer than 0",
        ),
        ("producer", &["--topic", ""], "a topic name cannot be empty"),
        (
            "producer",
            &["--topic", "bad/topic!name"],
            "'/' cannot be in a topic name",
        ),
        (
            "verifier",
            &["--runs-topic", ".."],
            "cannot be a topic name",
        ),
        (
            "consumer",
            &["--group-id", ""],
            "--group-id must not be empty",
        ),
        (
            "consumer",
            &["--heartbeat-interval", "0s"],
            "--heartbeat-interval must be longer than 0",
        ),
        (
            "consumer",
            &["--session-timeout", "3s", "--heartbeat-interval", "3s"],
            "--heartbeat-interval must be shorter than --session-timeout",
        ),
        (
            "consumer",
            &["--commit-interval", "0"],
            "--commit-interval must be longer than 0",
        ),
        (
            "consumer",
            &["--fetch-max-wait", "0ms"],
            "--fetch-max-wait must be at least 1ms",
        ),
        ("verifier", &["--samples", "many"], "'many'"),
        (
            "verifier",
            &["--metrics-file", "verifier.txt"],
            "--metrics-file verifier.txt must end in .prom",
        ),
        ("smoke", &["--count", "0"], "'--count <COUNT>'"),
        (
            "smoke",
            &["--prefix", "a b"],
            "--prefix \"a b\" makes topic names Kafka refuses",
        ),
        (
            "verifier",
            &["--config", "/nope.properties"],
            "cannot read config file /nope.properties",
        ),
        (
            "producer",
            &["--sasl-mechanism", "GSSAPI"],
            "SASL mechanism GSSAPI is not supported",
        ),
        (
            "producer",
            &["--security-protocol", "SASL_SSL"],
            "security.protocol SASL_SSL needs a SASL user name",
        ),
    ];
    for (binary, args, expected) in cases {
        // No broker is named: a flag error must come before any connection attempt.
        let out = e2e::run(binary, &[&["--brokers", "127.0.0.1:1"], args].concat());
        assert_user_error(&out, &format!("{binary} {args:?}"), expected);
        assert!(
            out.elapsed < Duration::from_secs(5),
            "{binary}: {:?}",
            out.elapsed
        );
    }
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn an_unreachable_broker_exits_2_in_bounded_time() {
    // All three at once: each may take its whole connection timeout.
    let started: Vec<_> = [
        ("producer", vec!["--count", "1"]),
        ("consumer", vec![]),
        ("verifier", vec![]),
    ]
    .into_iter()
    .map(|(binary, extra)| {
        let args = [&["--brokers", "127.0.0.1:1"][..], &extra].concat();
        (binary, e2e::spawn(e2e::binary(binary), &args))
    })
    .collect();
    for (binary, child) in started {
        let out = e2e::wait(child, Duration::from_secs(60));
        assert_user_error(&out, binary, "cannot reach Kafka at 127.0.0.1:1");
        assert!(
            out.elapsed < Duration::from_secs(30),
            "{binary} took {:?}",
            out.elapsed
        );
    }
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn verifying_a_topic_that_does_not_exist_exits_2() {
    let topic = Topic::new("exit-missing");
    let out = e2e::run("verifier", &as_strs(&topic.verifier_args()));
    let expected = format!("topic {} does not exist", topic.name);
    assert_user_error(&out, "verifier", &expected);
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn an_empty_group_id_exits_2() {
    let topic = e2e::unique_topic("exit-group");
    let brokers = e2e::brokers();
    let out = e2e::wait(
        e2e::spawn(
            e2e::binary("consumer"),
            &["--brokers", &brokers, "--topic", &topic, "--group-id", ""],
        ),
        Duration::from_secs(30),
    );
    assert_user_error(&out, "consumer --group-id ''", "group id");
}
