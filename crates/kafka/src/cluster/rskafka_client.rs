//! rskafka clients that give up in bounded time: the cluster client every service starts with,
//! and one client per partition.
//!
//! Security: rskafka's connections get the same TLS configuration (one shared
//! `Arc<rustls::ClientConfig>`, [`crate::connection::tls`]) and SASL credentials as ours. rskafka retries a
//! failed connection until its deadline and keeps only the text of the failures, so a refused
//! password or an untrusted certificate would surface after [`CONNECT_TIMEOUT`] as "no
//! answer". Before building the client, one of our own connections therefore checks the
//! bootstrap brokers with the same settings ([`super::probe`]): such failures surface at once, typed,
//! with their cause. rskafka's own errors are mapped to the same types where they can be told
//! apart ([`security_error`]).

use std::{sync::Arc, time::Duration};

use rskafka::{
    client::{
        partition::{PartitionClient, UnknownTopicHandling},
        Client, ClientBuilder, Credentials, SaslConfig as RskafkaSasl,
    },
    BackoffConfig,
};

use super::{Cluster, ClusterError, Result};
use crate::connection::{
    security::{SaslConfig, SaslMechanism, Security},
    transport, ConnectionError,
};

pub use super::CONNECT_TIMEOUT;

/// How long one request is retried (with backoff) on transient errors.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// Connects an rskafka client to `cluster`'s bootstrap brokers, with its client id and
/// security, once [`Cluster::reach`] reached the cluster (so that security errors end it at
/// once, typed), retrying for at most [`CONNECT_TIMEOUT`]. Its requests are retried on
/// transient errors for [`REQUEST_DEADLINE`].
pub async fn connect(cluster: &Cluster) -> Result<Arc<Client>> {
    connect_with_deadline(cluster, REQUEST_DEADLINE).await
}

/// [`connect`], the client's requests retried on transient errors for `request_deadline`
/// (a producer's delivery timeout).
pub async fn connect_with_deadline(
    cluster: &Cluster,
    request_deadline: Duration,
) -> Result<Arc<Client>> {
    let (brokers, client_id, security) =
        (cluster.bootstrap(), cluster.client_id(), cluster.security());
    if brokers.is_empty() {
        return Err(ClusterError::NoBrokers);
    }
    let tls = security.tls_client_config()?;
    let sasl = security.sasl_credentials()?;
    let backoff = BackoffConfig {
        init_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(1),
        base: 2.0,
        deadline: Some(request_deadline),
    };
    let mut builder = ClientBuilder::new(brokers.to_vec())
        .client_id(client_id.to_string())
        .backoff_config(backoff);
    if let Some(tls) = tls {
        builder = builder.tls_config(tls);
    }
    if let Some(sasl) = sasl {
        builder = builder.sasl_config(rskafka_sasl(sasl));
    }
    let connecting = async {
        cluster.reach().await?;
        builder.build().await.map_err(|e| {
            security_error(&e, &brokers.join(","), security)
                .map_or_else(|| cluster.unreachable(e.to_string()), ClusterError::from)
        })
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(client)) => Ok(Arc::new(client)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(cluster.unreachable("no answer".into())),
    }
}

/// rskafka's SASL settings for ours.
pub fn rskafka_sasl(sasl: &SaslConfig) -> RskafkaSasl {
    let credentials = Credentials::new(sasl.username.clone(), sasl.password.expose().to_string());
    match sasl.mechanism {
        SaslMechanism::Plain => RskafkaSasl::Plain(credentials),
        SaslMechanism::ScramSha256 => RskafkaSasl::ScramSha256(credentials),
        SaslMechanism::ScramSha512 => RskafkaSasl::ScramSha512(credentials),
    }
}

/// The security failure an rskafka error carries, when it can be told apart: its SASL errors
/// and the rustls errors inside its I/O errors. Those that went through its retries keep only
/// their text, and are not.
pub fn security_error(
    error: &rskafka::client::error::Error,
    broker: &str,
    security: &Security,
) -> Option<ConnectionError> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(sasl) = current.downcast_ref::<rskafka::SaslError>() {
            return sasl_error(sasl, broker, security);
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if let Some(tls) = transport::tls_error(broker, io) {
                return Some(tls);
            }
        }
        cause = current.source();
    }
    None
}

fn sasl_error(
    error: &rskafka::SaslError,
    broker: &str,
    security: &Security,
) -> Option<ConnectionError> {
    use rskafka::client::error::ProtocolError;
    let sasl = security.sasl.as_ref()?;
    let refused = |message: &str| ConnectionError::AuthenticationFailed {
        broker: broker.to_string(),
        user: sasl.username.clone(),
        mechanism: sasl.mechanism,
        message: message.to_string(),
    };
    match error {
        rskafka::SaslError::ApiError(ProtocolError::SaslAuthenticationFailed) => {
            Some(refused("the broker refused the credentials"))
        }
        rskafka::SaslError::ApiError(ProtocolError::UnsupportedSaslMechanism)
        | rskafka::SaslError::UnsupportedSaslMechanism => {
            Some(ConnectionError::MechanismNotOffered {
                broker: broker.to_string(),
                mechanism: sasl.mechanism,
                offered: String::new(),
            })
        }
        rskafka::SaslError::SaslSessionError(e) => Some(refused(&format!(
            "the {} exchange failed: {e}",
            sasl.mechanism
        ))),
        _ => None,
    }
}

/// The rskafka client of one partition, waiting for a leader when there is none yet.
pub async fn partition_client(
    client: &Client,
    topic: &str,
    partition: i32,
) -> Result<Arc<PartitionClient>> {
    client
        .partition_client(topic, partition, UnknownTopicHandling::Retry)
        .await
        .map(Arc::new)
        .map_err(ClusterError::client(format!(
            "no leader for {topic}/{partition}"
        )))
}

/// One rskafka client per partition of `topic`, in partition order.
pub async fn partition_clients(
    client: &Client,
    topic: &str,
    partitions: usize,
) -> Result<Vec<Arc<PartitionClient>>> {
    let mut clients = Vec::with_capacity(partitions);
    for partition in 0..partitions {
        let partition = i32::try_from(partition).expect("partition counts fit Kafka's i32");
        clients.push(partition_client(client, topic, partition).await?);
    }
    Ok(clients)
}

#[cfg(test)]
mod tests {
    use rskafka::{client::error::ProtocolError, ConnectionError, SaslError};

    use super::*;
    use crate::connection::security::{Secret, SecurityProtocol};

    fn alice() -> Security {
        Security {
            protocol: SecurityProtocol::SaslSsl,
            sasl: Some(SaslConfig {
                mechanism: SaslMechanism::ScramSha256,
                username: "alice".into(),
                password: Secret::new("alice-secret"),
            }),
            ..Security::default()
        }
    }

    fn rskafka_sasl_failure(error: SaslError) -> rskafka::client::error::Error {
        rskafka::client::error::Error::Connection(ConnectionError::SaslFailed(error))
    }

    #[test]
    fn rskafka_sasl_refusals_map_to_ours() {
        let refused =
            rskafka_sasl_failure(SaslError::ApiError(ProtocolError::SaslAuthenticationFailed));
        let error = security_error(&refused, "b:9093", &alice()).expect("told apart");
        assert_eq!(
            error.to_string(),
            "authentication failed for user alice with SCRAM-SHA-256 at b:9093: the broker \
             refused the credentials"
        );
        let unsupported = rskafka_sasl_failure(SaslError::UnsupportedSaslMechanism);
        assert!(matches!(
            security_error(&unsupported, "b:9093", &alice()),
            Some(crate::connection::ConnectionError::MechanismNotOffered { .. })
        ));
    }

    #[test]
    fn other_rskafka_errors_are_left_as_they_are() {
        let timeout = rskafka::client::error::Error::Timeout;
        assert!(security_error(&timeout, "b:9093", &alice()).is_none());
    }

    #[test]
    fn our_sasl_settings_become_rskafka_s() {
        let RskafkaSasl::ScramSha256(credentials) = rskafka_sasl(alice().sasl.as_ref().unwrap())
        else {
            panic!("SCRAM-SHA-256 expected")
        };
        assert_eq!(
            (credentials.username.as_str(), credentials.password.as_str()),
            ("alice", "alice-secret")
        );
    }
}
