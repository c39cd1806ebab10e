//! Ctrl+C and SIGTERM, as a value every task can watch.
//!
//! Services stop the same way whatever stops them (a terminal, `docker stop`, Kubernetes): stop
//! taking new work, flush or commit what is in flight, print the summary, exit 0.

use tokio::sync::watch;

/// A handle that reports when the process was asked to stop. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown {
    requested: watch::Receiver<bool>,
}

impl Shutdown {
    /// Starts listening for Ctrl+C and SIGTERM. Call once, early in `main`.
    pub fn listen() -> Shutdown {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("stop requested, finishing");
            let _ = tx.send(true);
        });
        Shutdown { requested: rx }
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        *self.requested.borrow()
    }

    /// Resolves once a stop is requested (at once if it already was).
    pub async fn requested(&mut self) {
        let _ = self.requested.wait_for(|stop| *stop).await;
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
