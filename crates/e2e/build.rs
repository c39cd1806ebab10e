//! Sets the `e2e_broker` cfg when `KAFKA_TEST_BROKERS` names a broker, so that without one the
//! end-to-end tests are reported as ignored, with how to run them, instead of failing.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(e2e_broker)");
    println!("cargo::rerun-if-env-changed=KAFKA_TEST_BROKERS");
    if std::env::var_os("KAFKA_TEST_BROKERS").is_some_and(|b| !b.is_empty()) {
        println!("cargo::rustc-cfg=e2e_broker");
    }
}
