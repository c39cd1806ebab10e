//! SASL authentication of a connection, right after its version handshake (KIP-152):
//! SaslHandshake v1 names the mechanism, then SaslAuthenticate requests carry the
//! mechanism's messages until the exchange ends. The messages themselves (PLAIN, and SCRAM's
//! nonces, salted proofs and the check of the broker's signature) come from `rsasl`.
//!
//! A refusal is final: a wrong password, a mechanism the broker does not offer or a broker's
//! proof that does not check out become typed errors that no caller retries
//! ([`crate::Error::is_fatal_security`]).

use bytes::Bytes;
use kafka_protocol::{
    error::{ParseResponseErrorCode, ResponseError},
    messages::{
        SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
        SaslHandshakeResponse,
    },
    protocol::StrBytes,
};
use rsasl::prelude::{Mechname, SASLClient, SASLConfig, Session};

use super::Connection;
use super::{
    security::{flags, SaslConfig, SaslMechanism},
    ConnectionError, Result,
};

/// SaslHandshake v1: from it on, the mechanism's messages travel in SaslAuthenticate requests
/// (v0 sent them as raw frames, which this client does not speak).
const HANDSHAKE_VERSION: i16 = 1;

/// The newest SaslAuthenticate layout this client fills in (v1 adds the session lifetime,
/// v2 is flexible).
const AUTHENTICATE_VERSION_CAP: i16 = 2;

/// Authenticates `connection` with `sasl`'s mechanism and credentials.
pub(super) async fn authenticate(connection: &mut Connection, sasl: &SaslConfig) -> Result<()> {
    handshake(connection, sasl).await?;
    let broker = connection.address().to_string();
    let mut session = start_session(&broker, sasl)?;
    let mut received: Option<Bytes> = None;
    loop {
        if let Some(refusal) = received.as_deref().and_then(scram_error) {
            return Err(failed(&broker, sasl, refusal));
        }
        let mut message = Vec::new();
        let state = session
            .step(received.as_deref(), &mut message)
            .map_err(|e| {
                failed(
                    &broker,
                    sasl,
                    format!("the {} exchange failed: {e}", sasl.mechanism),
                )
            })?;
        if state.has_sent_message() {
            received = Some(exchange(connection, sasl, message).await?);
        } else if state.is_running() {
            return Err(failed(
                &broker,
                sasl,
                "the exchange stalled: no message to send".into(),
            ));
        }
        if state.is_finished() {
            tracing::debug!(%broker, user = sasl.username, mechanism = %sasl.mechanism, "authenticated");
            return Ok(());
        }
    }
}

/// The SaslHandshake request for `mechanism`.
pub(super) fn handshake_request(mechanism: SaslMechanism) -> SaslHandshakeRequest {
    SaslHandshakeRequest::default().with_mechanism(StrBytes::from_string(mechanism.to_string()))
}

/// The SaslAuthenticate request carrying one message of the mechanism.
pub(super) fn authenticate_request(message: Vec<u8>) -> SaslAuthenticateRequest {
    SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(message))
}

async fn handshake(connection: &mut Connection, sasl: &SaslConfig) -> Result<()> {
    let version = connection.version::<SaslHandshakeRequest>(HANDSHAKE_VERSION)?;
    if version < HANDSHAKE_VERSION {
        return Err(ConnectionError::UnsupportedVersion {
            broker: connection.address().to_string(),
            api: "SaslHandshake".into(),
            detail: "the broker speaks v0 only, this client v1 (KIP-152, Kafka 1.0)".into(),
        });
    }
    let answer = connection
        .send_at(&handshake_request(sasl.mechanism), version)
        .await
        .map_err(|e| match closed(&e) {
            true => failed(
                connection.address(),
                sasl,
                format!(
                    "the broker closed the connection when asked for {}: does it offer it? ({})",
                    sasl.mechanism,
                    flags::SASL_MECHANISM
                ),
            ),
            false => e,
        })?;
    check_handshake(connection.address(), sasl, &answer)
}

/// Whether the broker takes the mechanism, from its SaslHandshake answer.
pub(super) fn check_handshake(
    broker: &str,
    sasl: &SaslConfig,
    answer: &SaslHandshakeResponse,
) -> Result<()> {
    match answer.error_code.err() {
        None => Ok(()),
        Some(ResponseError::UnsupportedSaslMechanism) => {
            let asked = sasl.mechanism.to_string();
            // Some brokers (tansu) only echo the mechanism asked for: that names nothing.
            let offered: Vec<&str> = answer
                .mechanisms
                .iter()
                .map(|m| m.as_str())
                .filter(|m| *m != asked)
                .collect();
            Err(ConnectionError::MechanismNotOffered {
                broker: broker.to_string(),
                mechanism: sasl.mechanism,
                offered: offered.join(", "),
            })
        }
        Some(code) => Err(ConnectionError::Refused {
            request: "SaslHandshake",
            code,
            message: None,
        }),
    }
}

/// An rsasl client session of the mechanism, with the credentials.
fn start_session(broker: &str, sasl: &SaslConfig) -> Result<Session> {
    let config = SASLConfig::with_credentials(
        None,
        sasl.username.clone(),
        sasl.password.expose().to_string(),
    )
    .map_err(|e| {
        failed(
            broker,
            sasl,
            format!("cannot set up {}: {e}", sasl.mechanism),
        )
    })?;
    let name = sasl.mechanism.to_string();
    let mechanism = Mechname::parse(name.as_bytes())
        .map_err(|e| failed(broker, sasl, format!("bad mechanism name: {e}")))?;
    SASLClient::new(config)
        .start_suggested(&[mechanism])
        .map_err(|e| {
            failed(
                broker,
                sasl,
                format!("cannot start {}: {e}", sasl.mechanism),
            )
        })
}

/// Sends one message of the mechanism and returns the broker's.
async fn exchange(
    connection: &mut Connection,
    sasl: &SaslConfig,
    message: Vec<u8>,
) -> Result<Bytes> {
    let answer = connection
        .send(&authenticate_request(message), AUTHENTICATE_VERSION_CAP)
        .await
        .map_err(|e| match closed(&e) {
            // Brokers of the SaslHandshake v0 era close the connection on a refusal.
            true => failed(
                connection.address(),
                sasl,
                "the broker closed the connection during the exchange".into(),
            ),
            false => e,
        })?;
    check_authenticate(connection.address(), sasl, answer)
}

/// The broker's message from its SaslAuthenticate answer, or why it refused.
pub(super) fn check_authenticate(
    broker: &str,
    sasl: &SaslConfig,
    answer: SaslAuthenticateResponse,
) -> Result<Bytes> {
    match answer.error_code.err() {
        None => Ok(answer.auth_bytes),
        Some(ResponseError::SaslAuthenticationFailed) => Err(failed(
            broker,
            sasl,
            answer
                .error_message
                .map_or_else(|| "no reason given".to_string(), |m| m.to_string()),
        )),
        Some(code) => Err(ConnectionError::Refused {
            request: "SaslAuthenticate",
            code,
            message: answer.error_message.map(|m| m.to_string()),
        }),
    }
}

/// Whether the broker closed the connection instead of answering.
fn closed(error: &ConnectionError) -> bool {
    matches!(error, ConnectionError::Io { source, .. } if matches!(
        source.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
    ))
}

/// A SCRAM server message that is an error (`e=invalid-proof`, RFC 5802), which some brokers
/// send inside a successful SaslAuthenticate answer, as the refusal to report.
pub(super) fn scram_error(message: &[u8]) -> Option<String> {
    let value = message.strip_prefix(b"e=")?;
    let value = String::from_utf8_lossy(value);
    Some(match value.as_ref() {
        "invalid-proof" => "wrong password (the broker's SCRAM answer: invalid-proof)".into(),
        "unknown-user" => "no such user for this mechanism (the broker's SCRAM answer: \
                           unknown-user)"
            .into(),
        other => format!("the broker's SCRAM answer: {other}"),
    })
}

fn failed(broker: &str, sasl: &SaslConfig, message: String) -> ConnectionError {
    ConnectionError::AuthenticationFailed {
        broker: broker.to_string(),
        user: sasl.username.clone(),
        mechanism: sasl.mechanism,
        message,
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use kafka_protocol::protocol::Encodable;

    use super::*;
    use crate::connection::{encode_request, security::Secret};

    fn alice(mechanism: SaslMechanism) -> SaslConfig {
        SaslConfig {
            mechanism,
            username: "alice".into(),
            password: Secret::new("alice-secret"),
        }
    }

    /// SaslHandshake v1: size, key 17, version 1, correlation id, client id, mechanism.
    #[test]
    fn the_handshake_names_the_mechanism_as_kafka_spells_it() {
        let request = handshake_request(SaslMechanism::ScramSha512);
        let frame = encode_request(&request, 1, 0, &StrBytes::from_static_str("c")).unwrap();
        let expected = [
            &[0, 0, 0, 26][..], // size
            &[0, 17, 0, 1],     // api key, version
            &[0, 0, 0, 0],      // correlation id
            &[0, 1, b'c'],      // client id
            &[0, 13],           // mechanism length
            b"SCRAM-SHA-512",   // mechanism
        ]
        .concat();
        assert_eq!(&frame[..], &expected[..]);
        assert_eq!(
            handshake_request(SaslMechanism::ScramSha256)
                .mechanism
                .as_str(),
            "SCRAM-SHA-256"
        );
        assert_eq!(
            handshake_request(SaslMechanism::Plain).mechanism.as_str(),
            "PLAIN"
        );
    }

    /// SaslAuthenticate v2 is flexible: compact bytes (length + 1) and tagged fields.
    #[test]
    fn authenticate_carries_the_message_as_bytes() {
        let request = authenticate_request(b"n,,n=alice,r=x".to_vec());
        let mut v0 = BytesMut::new();
        request.encode(&mut v0, 0).unwrap();
        assert_eq!(&v0[..4], &[0, 0, 0, 14]);
        assert_eq!(&v0[4..], b"n,,n=alice,r=x");
        let mut v2 = BytesMut::new();
        request.encode(&mut v2, 2).unwrap();
        assert_eq!(v2[0], 15);
        assert_eq!(&v2[1..15], b"n,,n=alice,r=x");
        assert_eq!(v2[15], 0); // no tagged fields
    }

    #[test]
    fn the_first_scram_message_names_the_user() {
        let sasl = alice(SaslMechanism::ScramSha512);
        let mut session = start_session("b:1", &sasl).unwrap();
        let mut first = Vec::new();
        let state = session.step(None, &mut first).unwrap();
        assert!(state.has_sent_message() && state.is_running());
        let first = String::from_utf8(first).unwrap();
        assert!(first.starts_with("n,,n=alice,r="), "{first}");
    }

    #[test]
    fn plain_sends_the_credentials_in_one_message() {
        let sasl = alice(SaslMechanism::Plain);
        let mut session = start_session("b:1", &sasl).unwrap();
        let mut message = Vec::new();
        let state = session.step(None, &mut message).unwrap();
        assert!(state.is_finished() && state.has_sent_message());
        assert_eq!(message, b"\0alice\0alice-secret");
    }

    #[test]
    fn a_scram_error_message_is_a_refusal() {
        assert_eq!(
            scram_error(b"e=invalid-proof").unwrap(),
            "wrong password (the broker's SCRAM answer: invalid-proof)"
        );
        assert!(scram_error(b"e=unknown-user")
            .unwrap()
            .starts_with("no such user"));
        assert!(scram_error(b"v=c2lnbmF0dXJl").is_none());
    }

    #[test]
    fn a_refusal_names_the_user_the_mechanism_and_the_reason() {
        let answer = SaslAuthenticateResponse::default()
            .with_error_code(ResponseError::SaslAuthenticationFailed.code())
            .with_error_message(Some(StrBytes::from_static_str(
                "Authentication failed during authentication due to invalid credentials",
            )));
        let error =
            check_authenticate("b:9093", &alice(SaslMechanism::ScramSha512), answer).unwrap_err();
        assert_eq!(
            error.to_string(),
            "authentication failed for user alice with SCRAM-SHA-512 at b:9093: Authentication \
             failed during authentication due to invalid credentials"
        );
        assert!(error.is_fatal_security());
    }

    #[test]
    fn an_unsupported_mechanism_lists_what_the_broker_offers() {
        let answer = SaslHandshakeResponse::default()
            .with_error_code(ResponseError::UnsupportedSaslMechanism.code())
            .with_mechanisms(vec![
                StrBytes::from_static_str("PLAIN"),
                StrBytes::from_static_str("SCRAM-SHA-256"),
            ]);
        let error =
            check_handshake("b:9093", &alice(SaslMechanism::ScramSha512), &answer).unwrap_err();
        assert_eq!(
            error.to_string(),
            "b:9093 does not offer SASL mechanism SCRAM-SHA-512 (it offers: PLAIN, SCRAM-SHA-256) \
             (--sasl-mechanism)"
        );
        // A broker that only echoes the mechanism asked for names nothing.
        let echo = SaslHandshakeResponse::default()
            .with_error_code(ResponseError::UnsupportedSaslMechanism.code())
            .with_mechanisms(vec![StrBytes::from_static_str("PLAIN")]);
        let error = check_handshake("b:9093", &alice(SaslMechanism::Plain), &echo).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("(its answer does not say which it offers)"),
            "{error}"
        );
        assert!(error.is_fatal_security());
    }
}
