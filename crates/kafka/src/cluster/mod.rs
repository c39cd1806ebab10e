//! The cluster as a client sees it, above single connections: the bootstrap brokers, the
//! brokers the cluster advertises, which broker leads each partition ([`Layout`]), the first
//! contact that names what the security settings get wrong ([`probe`]), and rskafka's client
//! with its deadline ([`rskafka_client`]).
//!
//! How it works: a process makes one [`Cluster`] from its settings and hands clones of it (one
//! `Arc`) to every client it runs (the fetch reader, the group member, the admin requests), so
//! that the broker list, client id and security settings live in one place. Metadata is asked
//! on demand, on one connection the cluster keeps (a new one to a bootstrap broker, or a broker
//! learned since, when it broke), and the brokers each answer names are remembered for the
//! next time the bootstrap brokers are gone.

mod error;
mod metadata;
pub mod probe;
pub mod rskafka_client;

use std::{collections::HashMap, sync::Arc, time::Duration};

use tokio::sync::Mutex;

pub use error::{ClusterError, Result};
pub use metadata::Layout;

use crate::{
    backoff::Backoff,
    connection::{security::Security, Connection, ConnectionError},
};

/// How long a Metadata request may take.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the first contact with the cluster may take before a service gives up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The cluster one process talks to: cheap to clone, shared by all its clients.
#[derive(Debug, Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    bootstrap: Vec<String>,
    client_id: String,
    security: Security,
    /// The connection Metadata is asked on, and the brokers learned from the answers.
    metadata: Mutex<MetadataLink>,
}

#[derive(Debug, Default)]
struct MetadataLink {
    connection: Option<Connection>,
    /// node id → `host:port`, from the last answer.
    brokers: HashMap<i32, String>,
    /// The last layout learned of each topic asked about.
    layouts: HashMap<String, Layout>,
}

impl Cluster {
    /// The cluster reached through `bootstrap` (`host:port` each), as `client_id`, over
    /// connections secured as `security` says. Connects to nothing yet.
    pub fn new(
        bootstrap: Vec<String>,
        client_id: impl Into<String>,
        security: Security,
    ) -> Cluster {
        Cluster {
            inner: Arc::new(Inner {
                bootstrap,
                client_id: client_id.into(),
                security,
                metadata: Mutex::default(),
            }),
        }
    }

    /// The bootstrap brokers.
    pub fn bootstrap(&self) -> &[String] {
        &self.inner.bootstrap
    }

    /// The client id sent to the brokers.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// How every connection is secured.
    pub fn security(&self) -> &Security {
        &self.inner.security
    }

    /// A new connection to the broker at `address`, with this cluster's client id and security.
    pub async fn connect(&self, address: &str) -> Result<Connection, ConnectionError> {
        Connection::connect(address, &self.inner.client_id, &self.inner.security).await
    }

    /// A new connection to the first bootstrap broker that answers.
    pub async fn connect_bootstrap(&self) -> Result<Connection> {
        let mut last_error = ClusterError::NoBrokers;
        for address in &self.inner.bootstrap {
            match self.connect(address).await {
                Ok(connection) => return Ok(connection),
                Err(error) if error.is_fatal_security() => return Err(error.into()),
                Err(error) => last_error = error.into(),
            }
        }
        Err(last_error)
    }

    /// The first contact with the cluster, as a service starts: the [`probe`] is made again
    /// (with backoff) until a bootstrap broker answers, for at most [`CONNECT_TIMEOUT`]. Fails
    /// at once with an error that retrying cannot fix, and with
    /// [`ClusterError::Unreachable`] when no broker answered in time.
    pub async fn reach(&self) -> Result<()> {
        let inner = &self.inner;
        let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
        let mut last = "no answer".to_string();
        let probing = async {
            loop {
                match probe::cluster(&inner.bootstrap, &inner.client_id, &inner.security).await? {
                    probe::Probed::Reached => return Ok(()),
                    probe::Probed::NoAnswer(error) => last = error.to_string(),
                }
                backoff.wait().await;
            }
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, probing).await {
            Ok(reached) => reached,
            Err(_) => Err(self.unreachable(last)),
        }
    }

    /// No bootstrap broker answered within [`CONNECT_TIMEOUT`]; `reason` is the last failure.
    pub(crate) fn unreachable(&self, reason: String) -> ClusterError {
        ClusterError::Unreachable {
            brokers: self.inner.bootstrap.join(","),
            timeout: CONNECT_TIMEOUT,
            reason,
        }
    }

    /// Where `topic`'s partitions are led now: asked on the kept metadata connection, or on a
    /// new one to a bootstrap broker or a broker learned since when it broke.
    pub async fn topic_layout(&self, topic: &str) -> Result<Layout> {
        let mut link = self.inner.metadata.lock().await;
        if let Some(connection) = link.connection.as_mut().filter(|c| c.is_usable()) {
            match within(metadata::topic_layout(connection, topic)).await {
                Ok(layout) => return Ok(link.learned(topic, layout)),
                Err(error @ ClusterError::UnknownTopic { .. }) => return Err(error),
                Err(_) => link.connection = None,
            }
        }
        let mut candidates = self.inner.bootstrap.clone();
        candidates.extend(link.brokers.values().cloned());
        let mut last_error = ClusterError::NoBrokers;
        for address in candidates {
            let mut connection = match self.connect(&address).await {
                Ok(connection) => connection,
                Err(error) if error.is_fatal_security() => return Err(error.into()),
                Err(error) => {
                    last_error = error.into();
                    continue;
                }
            };
            match within(metadata::topic_layout(&mut connection, topic)).await {
                Ok(layout) => {
                    link.connection = Some(connection);
                    return Ok(link.learned(topic, layout));
                }
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    /// Where `topic`'s partitions were led when last asked by any client of the process, or
    /// now when nobody asked yet: for a first placement, right after a client learned the
    /// layout. A leader that moved since is found again through [`Cluster::topic_layout`]
    /// when its broker says so.
    pub async fn known_layout(&self, topic: &str) -> Result<Layout> {
        let known = self.inner.metadata.lock().await.layouts.get(topic).cloned();
        match known {
            Some(layout) => Ok(layout),
            None => self.topic_layout(topic).await,
        }
    }

    /// The number of partitions of `topic`, or `None` when it does not exist.
    pub async fn partition_count(&self, topic: &str) -> Result<Option<usize>> {
        match self.topic_layout(topic).await {
            Ok(layout) => Ok(Some(layout.partitions)),
            Err(ClusterError::UnknownTopic { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl MetadataLink {
    /// Remembers `layout` of `topic` and the brokers it names.
    fn learned(&mut self, topic: &str, layout: Layout) -> Layout {
        self.brokers.clone_from(&layout.brokers);
        self.layouts.insert(topic.to_string(), layout.clone());
        layout
    }
}

/// `request`, or a timeout error after [`METADATA_TIMEOUT`].
async fn within<T>(request: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(METADATA_TIMEOUT, request)
        .await
        .unwrap_or_else(|_| {
            Err(ConnectionError::Timeout {
                broker: "the metadata broker".into(),
                what: "Metadata",
                timeout: METADATA_TIMEOUT,
            }
            .into())
        })
}
