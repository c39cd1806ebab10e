//! A service's first contact with the cluster, made with our own connections so that what the
//! security settings get wrong surfaces at once, with its cause, before rskafka's client (which
//! retries a failed connection until its deadline and keeps only the text of the failures).
//!
//! How it works:
//! 1. The bootstrap brokers are tried in turn until one connects (TCP, TLS, ApiVersions, SASL
//!    as the settings say). A failure that retrying cannot fix ends the probe with it; the
//!    others (a broker still starting) are left to rskafka's retries.
//! 2. That broker is asked for the cluster's brokers (Metadata, no topic). A broker that closes
//!    the connection there, after answering ApiVersions, wants SASL that was not given: that is
//!    what Kafka and tansu do with an unauthenticated request.
//! 3. Every other broker the cluster advertises is connected to at once, in parallel: the
//!    partition leaders rskafka and our fetching will talk to. An advertised listener of
//!    another kind, or a certificate without the advertised host name, fails here, named with
//!    the bootstrap broker that advertised it.

use kafka_protocol::messages::MetadataRequest;
use tokio::task::JoinSet;

use super::{metadata::METADATA_VERSION_CAP, ClusterError, Result};
use crate::connection::{security::Security, Connection, ConnectionError};

/// What a probe found.
#[derive(Debug)]
pub enum Probed {
    /// A bootstrap broker answered.
    Reached,
    /// No bootstrap broker answered; the last one's failure.
    NoAnswer(ConnectionError),
}

/// Connects to the cluster as a service will; fails only with an error that retrying cannot
/// fix ([`ClusterError::is_first_contact_fatal`]).
pub async fn cluster(brokers: &[String], client_id: &str, security: &Security) -> Result<Probed> {
    let mut last = None;
    for broker in brokers {
        match Connection::connect(broker, client_id, security).await {
            Ok(mut connection) => {
                advertised(&mut connection, client_id, security).await?;
                return Ok(Probed::Reached);
            }
            Err(error) if error.is_first_contact_fatal() => return Err(error.into()),
            Err(error) => {
                tracing::debug!(broker, %error, "bootstrap broker not answering yet");
                last = Some(error);
            }
        }
    }
    last.map(Probed::NoAnswer).ok_or(ClusterError::NoBrokers)
}

/// Connects to every broker that `bootstrap`'s metadata advertises, besides itself.
async fn advertised(
    bootstrap: &mut Connection,
    client_id: &str,
    security: &Security,
) -> Result<()> {
    let addresses = match advertised_brokers(bootstrap).await {
        Ok(addresses) => addresses,
        Err(error) if closed(&error) && !security.protocol.uses_sasl() => {
            return Err(ConnectionError::NeedsSasl {
                broker: bootstrap.address().to_string(),
            }
            .into())
        }
        Err(error) => {
            tracing::debug!(%error, "no metadata from the bootstrap broker: the brokers it advertises are not checked");
            return Ok(());
        }
    };
    let mut probes = JoinSet::new();
    for address in addresses.into_iter().filter(|a| a != bootstrap.address()) {
        let (client_id, security) = (client_id.to_string(), security.clone());
        probes.spawn(async move {
            let connected = Connection::connect(&address, &client_id, &security).await;
            (address, connected.map(drop))
        });
    }
    while let Some(probed) = probes.join_next().await {
        let Ok((address, Err(error))) = probed else {
            continue;
        };
        if error.is_first_contact_fatal() {
            return Err(ClusterError::Advertised {
                broker: address,
                by: bootstrap.address().to_string(),
                cause: Box::new(error),
            });
        }
        tracing::debug!(broker = address, %error, "advertised broker not answering yet");
    }
    Ok(())
}

/// The `host:port` of every broker of the cluster, from a Metadata request for no topic.
async fn advertised_brokers(connection: &mut Connection) -> Result<Vec<String>, ConnectionError> {
    let request = MetadataRequest::default().with_topics(Some(Vec::new()));
    let response = connection.send(&request, METADATA_VERSION_CAP).await?;
    Ok(response
        .brokers
        .iter()
        .map(|b| format!("{}:{}", b.host, b.port))
        .collect())
}

/// Whether the broker closed the connection instead of answering.
fn closed(error: &ConnectionError) -> bool {
    matches!(error, ConnectionError::Io { source, .. } if matches!(
        source.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
    ))
}
