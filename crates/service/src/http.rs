//! The HTTP side of a service, on when `--http ADDR` is given: its metrics for Prometheus at
//! `/metrics` (OpenMetrics text), `/healthz` (the process is alive: always 200) and `/readyz`
//! (200 once the service says it is ready, 503 before), for orchestrators' probes.
//!
//! The metrics are a registry the service fills ([`prometheus_client`]); a scrape encodes it.
//! A service may serve pages of its own beside them (the consumer's dashboard at `/`).
//! Without `--http` nothing is served and the services keep no metrics at all.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

/// The routes a service adds to the endpoints (the consumer's dashboard).
pub use axum::Router;
use axum::{extract::State, http::header, http::StatusCode, response::IntoResponse, routing::get};
use prometheus_client::{encoding::text::encode, registry::Registry};

/// The content type of OpenMetrics' text format, which Prometheus asks for.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The address could not be listened on.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve HTTP on {address} (--http): {source}")]
pub struct BindError {
    /// The address asked for.
    pub address: SocketAddr,
    /// Why (in use, not an address of this host, …).
    #[source]
    pub source: std::io::Error,
}

/// `--http ADDR`: where to serve, `None` (empty or absent) for nowhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpAddress(pub Option<SocketAddr>);

/// Parses `--http`: an address and port to listen on (`0.0.0.0:9100`, `127.0.0.1:0` for any
/// free port), or empty for off (an unset variable in compose).
pub fn parse_address(value: &str) -> Result<HttpAddress, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(HttpAddress(None));
    }
    value
        .parse()
        .map(|address| HttpAddress(Some(address)))
        .map_err(|_| {
            format!(
                "{value:?} is not an address to listen on, such as 0.0.0.0:9100 or 127.0.0.1:9100"
            )
        })
}

/// The URL of the server bound to `address`, as a browser on this host reaches it: a wildcard
/// address (`0.0.0.0`, `[::]`) becomes `localhost`.
pub fn url_of(address: SocketAddr) -> String {
    if address.ip().is_unspecified() {
        format!("http://localhost:{}/", address.port())
    } else {
        format!("http://{address}/")
    }
}

/// Whether the service is ready for work, as `/readyz` says. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Marks the service ready, or not.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }

    /// Whether it is.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the endpoints read.
#[derive(Clone)]
struct Endpoints {
    registry: Arc<Registry>,
    readiness: Readiness,
}

/// Listens on `address` and serves `/metrics` (from `registry`), `/healthz` and `/readyz`
/// (from `readiness`), and the service's own `pages`, in the background until the process
/// ends. Returns the address bound (port 0 picks a free one), logged as `serving HTTP`.
pub async fn serve(
    address: SocketAddr,
    registry: Registry,
    readiness: Readiness,
    pages: Router,
) -> Result<SocketAddr, BindError> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| BindError { address, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| BindError { address, source })?;
    let endpoints = Endpoints {
        registry: Arc::new(registry),
        readiness,
    };
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(endpoints)
        .merge(pages);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::warn!(%error, "the HTTP endpoints stopped");
        }
    });
    tracing::info!(address = %bound, "serving HTTP: /metrics, /healthz, /readyz");
    Ok(bound)
}

/// `/metrics`: the registry in OpenMetrics text.
async fn metrics(State(endpoints): State<Endpoints>) -> impl IntoResponse {
    let mut text = String::new();
    match encode(&mut text, &endpoints.registry) {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, OPENMETRICS)], text),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain")],
            format!("encoding the metrics failed: {error}\n"),
        ),
    }
}

/// `/readyz`: 200 once ready, 503 before.
async fn ready(State(endpoints): State<Endpoints>) -> impl IntoResponse {
    if endpoints.readiness.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_turns_the_endpoints_on_and_empty_leaves_them_off() {
        assert_eq!(parse_address(""), Ok(HttpAddress(None)));
        assert_eq!(
            parse_address("0.0.0.0:9100"),
            Ok(HttpAddress(Some("0.0.0.0:9100".parse().unwrap())))
        );
        let refused = parse_address("9100").unwrap_err();
        assert_eq!(
            url_of("0.0.0.0:9100".parse().unwrap()),
            "http://localhost:9100/"
        );
        assert_eq!(url_of("[::1]:80".parse().unwrap()), "http://[::1]:80/");
        assert!(refused.contains("not an address to listen on"), "{refused}");
    }
}
