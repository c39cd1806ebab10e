//! A real Prometheus server (Debian's `prometheus` package, which `scripts/install.sh`
//! installs) scraping the services under test every second, and its HTTP query API: proof that
//! what the services serve at `/metrics` is what Prometheus reads.

use std::{
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

use serde_json::Value;

/// A Prometheus server of one test, killed when dropped.
pub struct Prometheus {
    server: Child,
    address: String,
    data: PathBuf,
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`host:port` each, path `/metrics`) every second,
    /// and waits until it answers. `None`, the check recorded as skipped ([`crate::skip`]), when
    /// `prometheus` is not installed (`just test` installs it).
    pub fn scraping(targets: &[&str]) -> Option<Prometheus> {
        if Command::new("prometheus")
            .arg("--version")
            .output()
            .is_err()
        {
            crate::skip(
                "the Prometheus check: no `prometheus` here (Debian's package; \
                 scripts/install.sh installs it)",
            );
            return None;
        }
        let data = std::env::temp_dir().join(crate::unique_topic("prometheus"));
        std::fs::create_dir_all(&data).expect("Prometheus's folder");
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = data.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pipeline\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ),
        )
        .expect("writing prometheus.yml");
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let server = crate::spawn(
            "prometheus",
            &[
                &format!("--config.file={}", config.display()),
                &format!("--storage.tsdb.path={}", data.join("tsdb").display()),
                &format!("--web.listen-address={address}"),
            ],
        );
        let prometheus = Prometheus {
            server,
            address,
            data,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(&prometheus.address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Prometheus did not start: {}",
                crate::stderr_so_far(&prometheus.server)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(prometheus)
    }

    /// The result of the instant query `expression`: each series' labels and value.
    pub fn query(&self, expression: &str) -> Vec<(Value, f64)> {
        let (status, body) =
            crate::http_get(&self.address, &format!("/api/v1/query?query={expression}"));
        assert_eq!(status, 200, "query {expression}: {body}");
        let answer: Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
        answer["data"]["result"]
            .as_array()
            .expect("a vector result")
            .iter()
            .map(|series| {
                let value = series["value"][1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .expect("a sample value");
                (series["metric"].clone(), value)
            })
            .collect()
    }

    /// Waits, for at most `limit`, until `expression` has a result on which `done` holds;
    /// returns it.
    pub fn wait_for(
        &self,
        expression: &str,
        limit: Duration,
        done: impl Fn(&[(Value, f64)]) -> bool,
    ) -> Vec<(Value, f64)> {
        let started = Instant::now();
        loop {
            let result = self.query(expression);
            if done(&result) {
                return result;
            }
            assert!(
                started.elapsed() < limit,
                "{expression} within {limit:?}: {result:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// A port free now on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
