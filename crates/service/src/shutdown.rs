//! Ctrl+C and SIGTERM, as a value every task can watch.
//!
//! Services stop the same way whatever stops them (a terminal, `docker stop`, Kubernetes): stop
//! taking new work, flush or commit what is in flight, print the summary, exit 0.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::{sync::watch, task::JoinHandle};

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

    /// A stop for one phase of a run that must end in bounded time: requested when this one
    /// is, or once `limit` has passed, whichever comes first.
    pub fn with_deadline(&self, limit: Duration) -> Deadline {
        let (tx, rx) = watch::channel(false);
        let expired = Arc::new(AtomicBool::new(false));
        let mut parent = self.clone();
        let expired_flag = Arc::clone(&expired);
        let timer = tokio::spawn(async move {
            tokio::select! {
                () = parent.requested() => {}
                () = tokio::time::sleep(limit) => expired_flag.store(true, Ordering::Relaxed),
            }
            let _ = tx.send(true);
        });
        Deadline {
            shutdown: Shutdown { requested: rx },
            expired,
            timer,
        }
    }
}

/// A [`Shutdown`] that also comes when a time limit passes ([`Shutdown::with_deadline`]).
#[derive(Debug)]
pub struct Deadline {
    shutdown: Shutdown,
    expired: Arc<AtomicBool>,
    timer: JoinHandle<()>,
}

impl Deadline {
    /// The stop to hand to the phase.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Whether the time limit passed (rather than the process being asked to stop).
    pub fn expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.timer.abort();
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
