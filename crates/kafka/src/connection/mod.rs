//! One connection to one broker, for the requests rskafka does not make: group coordination,
//! offset commits, topic creation and our own fetching. The security settings every
//! connection follows are [`security`]; the TLS configuration built from them, [`tls`].
//!
//! Messages are the `kafka-protocol` crate's types; this module only frames them (size prefix,
//! request header, correlation id) and negotiates versions with ApiVersions, as every Kafka client
//! does. One request is in flight at a time on a connection.
//!
//! Connecting follows the [`Security`] settings: TCP, then TLS when the protocol uses it
//! ([`transport`]), then ApiVersions, then SASL when the protocol uses it (`sasl.rs`: KIP-152's
//! SaslHandshake and SaslAuthenticate, the mechanism's messages from `rsasl`). Each failure of
//! these steps is named for what the user can do about it: a certificate the trust does not
//! cover, credentials refused, and a listener of the other kind (TLS spoken to a plaintext
//! port, or plaintext to a TLS port, whose answer to ApiVersions is a TLS alert or nothing).

mod error;
mod sasl;
pub mod security;
pub mod tls;
pub mod transport;

use std::{collections::HashMap, time::Duration};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::{
    messages::{ApiKey, ApiVersionsRequest, RequestHeader, ResponseHeader},
    protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes},
};
use memmap2::MmapOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};

pub use error::{ConnectionError, Mismatch, Result, UndecodableResponse};
use security::Security;
use transport::Transport;

/// Kafka's error code for a request version the broker does not speak.
const UNSUPPORTED_VERSION: i16 = 35;

/// Largest response accepted, against a corrupt size prefix.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Answers at least this large (fetches) are read into a mapping of their own, returned to the
/// system as soon as the last slice of it is dropped. From the heap, such buffers, allocated on
/// one thread and freed on another, stay resident: glibc's malloc raises its mmap threshold
/// past the first ones freed, then serves the next ones from arenas it does not give back.
const OWN_MAPPING_BYTES: usize = 256 * 1024;

/// How long connecting and the version handshake may take (and SASL authentication, again).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection to one broker (TCP or TLS, authenticated when the settings say so), with the
/// API versions it supports.
#[derive(Debug)]
pub struct Connection {
    address: String,
    stream: BufReader<Transport>,
    client_id: StrBytes,
    next_correlation_id: i32,
    /// api key → (lowest, highest) version the broker supports.
    broker_versions: HashMap<i16, (i16, i16)>,
    /// A request was sent and its answer not read yet: set while a request is in flight, and
    /// left set when the caller gave up waiting (a timeout, a stop), which leaves the answer
    /// in the stream ahead of any other.
    awaiting_answer: bool,
}

impl Connection {
    /// Connects to `address` (`host:port`) as `security` says (TLS, SASL), and learns the
    /// broker's API versions.
    pub async fn connect(
        address: &str,
        client_id: &str,
        security: &Security,
    ) -> Result<Connection> {
        let tls = security.tls_client_config()?;
        let sasl = security.sasl_credentials()?;
        let transport = Transport::connect(address, tls).await?;
        let mut connection = Connection {
            address: address.to_string(),
            stream: BufReader::new(transport),
            client_id: StrBytes::from_string(client_id.to_string()),
            next_correlation_id: 0,
            broker_versions: HashMap::new(),
            awaiting_answer: false,
        };
        let versions = tokio::time::timeout(CONNECT_TIMEOUT, connection.negotiate_versions())
            .await
            .map_err(|_| connect_timeout(address, "ApiVersions"))?;
        let client_certificate = security.tls.certificate_location.is_some();
        versions.map_err(|error| connection.first_answer_error(error, client_certificate))?;
        if let Some(sasl) = sasl {
            tokio::time::timeout(CONNECT_TIMEOUT, sasl::authenticate(&mut connection, sasl))
                .await
                .map_err(|_| connect_timeout(address, "SASL authentication"))??;
        }
        Ok(connection)
    }

    /// What a failure of the first exchange (ApiVersions) means: over TLS, the broker's
    /// refusal of our certificate surfaces here (TLS 1.3 sends it, or just closes the
    /// connection, after the handshake); in plaintext, a broker that closes the connection may
    /// be a TLS listener.
    fn first_answer_error(
        &self,
        error: ConnectionError,
        client_certificate: bool,
    ) -> ConnectionError {
        let ConnectionError::Io { source, .. } = &error else {
            return error;
        };
        let tls = self.stream.get_ref().is_tls();
        if let Some(refused) = transport::tls_error(&self.address, source).filter(|_| tls) {
            return refused;
        }
        let closed = matches!(
            source.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        );
        match (closed, tls) {
            (false, _) => error,
            (true, true) => ConnectionError::ClosedAfterTlsHandshake {
                broker: self.address.clone(),
                client_certificate,
            },
            (true, false) => ConnectionError::NotPlaintext {
                broker: self.address.clone(),
                seen: Mismatch::Closed,
            },
        }
    }

    /// Whether requests can be sent now: not while the answer to a cancelled request is still
    /// due (it would come back in place of the next one; see [`Self::discard_pending_answer`]).
    pub fn is_usable(&self) -> bool {
        !self.awaiting_answer
    }

    /// The broker's address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// ApiVersions at v3, falling back to the version the broker names (or v0) when it refuses:
    /// brokers answer an unsupported ApiVersions with UNSUPPORTED_VERSION and their own range.
    async fn negotiate_versions(&mut self) -> Result<()> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("kafka-pipeline"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut response = self.send_at(&request, 3).await;
        if let Ok(refused) = &response {
            if refused.error_code == UNSUPPORTED_VERSION {
                let version = refused
                    .api_keys
                    .iter()
                    .find(|k| k.api_key == ApiVersionsRequest::KEY)
                    .map_or(0, |k| k.max_version.min(3));
                response = self.send_at(&request, version).await;
            }
        }
        let response = match response {
            Ok(response) => response,
            // The stream is broken or speaks something else: asking again cannot help.
            Err(error @ (ConnectionError::Io { .. } | ConnectionError::NotPlaintext { .. })) => {
                return Err(error)
            }
            Err(_) => self.send_at(&request, 0).await?,
        };
        if response.error_code != 0 {
            return Err(self.protocol_error(format!(
                "ApiVersions refused with error {}",
                response.error_code
            )));
        }
        self.broker_versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        tracing::debug!(broker = %self.address, versions = ?self.broker_versions, "API versions");
        Ok(())
    }

    /// Whether the broker answers requests of type `R` at all.
    pub fn supports<R: Request>(&self) -> bool {
        self.broker_versions.contains_key(&R::KEY)
    }

    /// The version to speak for `R`: the highest that the broker, the `kafka-protocol` crate and
    /// the caller (`cap`, the newest layout the caller fills in) all support.
    pub fn version<R: Request>(&self, cap: i16) -> Result<i16> {
        let unsupported = |detail: String| ConnectionError::UnsupportedVersion {
            broker: self.address.clone(),
            api: api_name(R::KEY),
            detail,
        };
        let (broker_min, broker_max) = self
            .broker_versions
            .get(&R::KEY)
            .copied()
            .ok_or_else(|| unsupported("the broker does not offer it".into()))?;
        let version = cap.min(broker_max).min(R::VERSIONS.max);
        let lowest = broker_min.max(R::VERSIONS.min);
        if version < lowest {
            return Err(unsupported(format!(
                "broker v{broker_min}-v{broker_max}, client up to v{}",
                cap.min(R::VERSIONS.max)
            )));
        }
        Ok(version)
    }

    /// Sends `request` at the best version up to `cap` and waits for its response.
    pub async fn send<R: Request>(&mut self, request: &R, cap: i16) -> Result<R::Response> {
        let version = self.version::<R>(cap)?;
        self.send_at(request, version).await
    }

    /// Sends `request` at `version` and waits for its response.
    async fn send_at<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response> {
        if self.awaiting_answer {
            return Err(self.protocol_error(
                "the connection still awaits the answer to a cancelled request".into(),
            ));
        }
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let frame = encode_request(request, version, correlation_id, &self.client_id)
            .map_err(|reason| self.protocol_error(reason))?;
        self.awaiting_answer = true;
        let stream = self.stream.get_mut();
        // TLS holds what it encrypted until flushed.
        let sent = async { stream.write_all(&frame).await.and(stream.flush().await) };
        sent.await.map_err(|source| self.io_error(source))?;
        let body = self.read_answer().await?;
        decode_response::<R>(&self.address, body, version, correlation_id)
    }

    /// Reads and drops the answer to a request whose caller gave up waiting (a timeout, a
    /// stop), so that the connection carries requests again. Better than closing it under the
    /// broker: some brokers stop serving everyone when a client disconnects in the middle of a
    /// request (docs/brokers.md).
    pub async fn discard_pending_answer(&mut self) -> Result<()> {
        if self.awaiting_answer {
            self.read_answer().await?;
        }
        Ok(())
    }

    /// Reads one size-prefixed answer; the connection is free again once it is read whole.
    async fn read_answer(&mut self) -> Result<Bytes> {
        let mut prefix = [0u8; 4];
        self.stream
            .read_exact(&mut prefix)
            .await
            .map_err(|source| self.io_error(source))?;
        let size = i32::from_be_bytes(prefix);
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= MAX_RESPONSE_BYTES)
            .ok_or_else(|| self.bad_size_error(prefix))?;
        let body = if size >= OWN_MAPPING_BYTES {
            let mut body = MmapOptions::new()
                .len(size)
                .map_anon()
                .map_err(|source| self.io_error(source))?;
            self.read_body(&mut body).await?;
            Bytes::from_owner(body)
        } else {
            let mut body = vec![0u8; size];
            self.read_body(&mut body).await?;
            Bytes::from(body)
        };
        self.awaiting_answer = false;
        Ok(body)
    }

    async fn read_body(&mut self, body: &mut [u8]) -> Result<()> {
        self.stream
            .read_exact(body)
            .await
            .map(drop)
            .map_err(|source| self.io_error(source))
    }

    /// A size prefix no Kafka answer has: in plaintext, the first bytes of a TLS record (an
    /// alert) mean a TLS listener.
    fn bad_size_error(&self, prefix: [u8; 4]) -> ConnectionError {
        if !self.stream.get_ref().is_tls() && is_tls_record(prefix) {
            return ConnectionError::NotPlaintext {
                broker: self.address.clone(),
                seen: Mismatch::Answered("with a TLS record"),
            };
        }
        let size = i32::from_be_bytes(prefix);
        self.protocol_error(format!("bad response size {size}"))
    }

    fn io_error(&self, source: std::io::Error) -> ConnectionError {
        ConnectionError::Io {
            broker: self.address.clone(),
            source,
        }
    }

    fn protocol_error(&self, reason: String) -> ConnectionError {
        ConnectionError::Protocol {
            broker: self.address.clone(),
            reason,
        }
    }
}

/// A step of connecting that took longer than [`CONNECT_TIMEOUT`].
fn connect_timeout(address: &str, what: &'static str) -> ConnectionError {
    ConnectionError::Timeout {
        broker: address.to_string(),
        what,
        timeout: CONNECT_TIMEOUT,
    }
}

/// Whether 4 bytes start a TLS record: an alert or a handshake, TLS 1.0 to 1.3 (0x0301-0x0304)
/// or SSL 3.0.
fn is_tls_record(prefix: [u8; 4]) -> bool {
    matches!(prefix, [0x15 | 0x16, 0x03, 0x00..=0x04, _])
}

/// The protocol's name of an API key (`JoinGroup`), for messages.
fn api_name(key: i16) -> String {
    ApiKey::try_from(key).map_or_else(|()| format!("API key {key}"), |api| format!("{api:?}"))
}

fn encode_request<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: &StrBytes,
) -> std::result::Result<BytesMut, String> {
    let header = RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(client_id.clone()));
    let mut frame = BytesMut::new();
    frame.put_i32(0); // size, patched below
    let encoded = header
        .encode(&mut frame, R::header_version(version))
        .and_then(|()| request.encode(&mut frame, version));
    encoded.map_err(|e| format!("cannot encode {} v{version}: {e:#}", api_name(R::KEY)))?;
    let size = i32::try_from(frame.len() - 4).map_err(|_| "request too large".to_string())?;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    Ok(frame)
}

fn decode_response<R: Request>(
    broker: &str,
    mut body: Bytes,
    version: i16,
    correlation_id: i32,
) -> Result<R::Response> {
    let protocol = |reason: String| ConnectionError::Protocol {
        broker: broker.to_string(),
        reason,
    };
    let header = ResponseHeader::decode(&mut body, R::Response::header_version(version))
        .map_err(|e| protocol(format!("bad response header: {e:#}")))?;
    if header.correlation_id != correlation_id {
        return Err(protocol(format!(
            "response out of order: correlation id {} instead of {correlation_id}",
            header.correlation_id
        )));
    }
    let undecoded = body.clone();
    let response =
        R::Response::decode(&mut body, version).map_err(|error| UndecodableResponse {
            api_key: R::KEY,
            version,
            body: undecoded,
            reason: format!("{error:#}"),
        })?;
    if body.has_remaining() {
        tracing::debug!(
            api_key = R::KEY,
            left = body.remaining(),
            "response had trailing bytes"
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse, SyncGroupRequest};

    use super::*;

    /// The framing must match the protocol byte for byte: size, key, version, correlation id,
    /// client id, then the body.
    #[test]
    fn request_frame_layout() {
        let request = HeartbeatRequest::default()
            .with_group_id(StrBytes::from_static_str("g").into())
            .with_generation_id(7)
            .with_member_id(StrBytes::from_static_str("m"));
        let frame = encode_request(&request, 0, 42, &StrBytes::from_static_str("c")).unwrap();
        let expected: Vec<u8> = [
            &[0, 0, 0, 21][..], // size
            &[0, 12, 0, 0],     // Heartbeat, v0
            &[0, 0, 0, 42],     // correlation id
            &[0, 1, b'c'],      // client id
            &[0, 1, b'g'],      // group id
            &[0, 0, 0, 7],      // generation
            &[0, 1, b'm'],      // member id
        ]
        .concat();
        assert_eq!(&frame[..], &expected[..]);
    }

    #[test]
    fn response_with_wrong_correlation_id_is_rejected() {
        let mut body = BytesMut::new();
        body.put_i32(5); // correlation id
        HeartbeatResponse::default().encode(&mut body, 0).unwrap();
        let ok = decode_response::<HeartbeatRequest>("b:1", body.clone().freeze(), 0, 5);
        assert_eq!(ok.unwrap().error_code, 0);
        let err = decode_response::<HeartbeatRequest>("b:1", body.freeze(), 0, 6).unwrap_err();
        assert!(err.to_string().contains("out of order"));
    }

    #[test]
    fn an_undecodable_body_is_kept_for_the_caller() {
        // A SyncGroup error answer with a null assignment, as librdkafka's mock cluster writes it.
        let mut body = BytesMut::new();
        body.put_i32(9); // correlation id
        body.put_i32(0); // throttle time
        body.put_i16(27); // error code
        body.put_i32(-1); // assignment: null, which the protocol does not allow
        let err = decode_response::<SyncGroupRequest>("b:1", body.freeze(), 3, 9).unwrap_err();
        let ConnectionError::Undecodable(undecodable) = err else {
            panic!("kept: {err:?}")
        };
        assert_eq!((undecodable.api_key, undecodable.version), (14, 3));
        assert_eq!(&undecodable.body[..6], &[0, 0, 0, 0, 0, 27]);
    }

    proptest::proptest! {
        /// Any answer's framing (its response header, then the correlation check) is read or
        /// refused with a typed error, never a panic. Bodies are not fuzzed here:
        /// kafka-protocol 0.18 sizes arrays from their length on the wire before reading them
        /// (docs/brokers.md), so a corrupted length aborts on allocation rather than failing.
        #[test]
        fn any_answer_header_is_read_or_refused_without_panicking(
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            version in 0i16..5,
            correlation_id in proptest::num::i32::ANY,
        ) {
            let body = Bytes::from(body);
            let _ = decode_response::<HeartbeatRequest>("b:9092", body.clone(), version, correlation_id);
            let _ = decode_response::<SyncGroupRequest>("b:9092", body, version, correlation_id);
        }
    }
}
