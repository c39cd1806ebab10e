//! The byte stream under a connection: TCP, or TLS over TCP, and what goes wrong in each named
//! the way a user can act on it.
//!
//! TLS is rustls through tokio-rustls, with the configuration of [`crate::connection::tls`] and the host of
//! `host:port` as the server name (SNI for a DNS name; the certificate must name it, or the IP
//! address). The handshake is bounded by [`TLS_HANDSHAKE_TIMEOUT`]: a plaintext broker reads a
//! TLS hello as the first bytes of a request hundreds of megabytes long and waits for the rest,
//! and silence is the only answer some give.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use rustls::{pki_types::ServerName, AlertDescription, ClientConfig};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::{client::TlsStream, TlsConnector};

use super::CONNECT_TIMEOUT;
use super::{security::flags, tls::certificate_reason, ConnectionError, Mismatch, Result};

/// How long a TLS handshake may take. A handshake is a round trip or two; a broker silent
/// for this long is not speaking TLS.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection's stream: plain TCP or TLS.
#[derive(Debug)]
pub enum Transport {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP (boxed: rustls' state is large).
    Tls(Box<TlsStream<TcpStream>>),
}

impl Transport {
    /// Connects to `address` (`host:port`), then speaks TLS with `tls` when given.
    pub async fn connect(address: &str, tls: Option<Arc<ClientConfig>>) -> Result<Transport> {
        let tcp = tcp(address).await?;
        match tls {
            None => Ok(Transport::Plain(tcp)),
            Some(config) => handshake(address, tcp, config)
                .await
                .map(|tls| Transport::Tls(Box::new(tls))),
        }
    }

    /// Whether the stream is TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }
}

/// A TCP connection with Nagle's algorithm off (requests are whole frames already).
async fn tcp(address: &str) -> Result<TcpStream> {
    let io = |source| ConnectionError::Io {
        broker: address.to_string(),
        source,
    };
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| ConnectionError::Timeout {
            broker: address.to_string(),
            what: "the connection",
            timeout: CONNECT_TIMEOUT,
        })?
        .map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    Ok(stream)
}

/// The TLS handshake, bounded by [`TLS_HANDSHAKE_TIMEOUT`].
async fn handshake(
    address: &str,
    tcp: TcpStream,
    config: Arc<ClientConfig>,
) -> Result<TlsStream<TcpStream>> {
    let name = server_name(address)?;
    let connecting = TlsConnector::from(config).connect(name, tcp);
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, connecting).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(error)) => Err(handshake_error(address, error)),
        Err(_) => Err(ConnectionError::NotTls {
            broker: address.to_string(),
            seen: Mismatch::Silent(TLS_HANDSHAKE_TIMEOUT),
        }),
    }
}

/// The name the broker's certificate must carry: the host of `host:port` (an IPv6 address
/// in brackets, too).
fn server_name(address: &str) -> Result<ServerName<'static>> {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string()).map_err(|_| ConnectionError::Settings {
        problem: format!("{host} is neither a DNS name nor an IP address, which TLS needs"),
        flags: "--brokers".into(),
    })
}

/// What a failed handshake means: rustls' reason when it has one, else a broker that does
/// not speak TLS.
fn handshake_error(address: &str, error: io::Error) -> ConnectionError {
    if let Some(tls) = tls_error(address, &error) {
        return tls;
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => ConnectionError::NotTls {
            broker: address.to_string(),
            seen: Mismatch::Closed,
        },
        _ => ConnectionError::Io {
            broker: address.to_string(),
            source: error,
        },
    }
}

/// The TLS failure inside an I/O error of a TLS stream, if that is what it is.
pub fn tls_error(address: &str, error: &io::Error) -> Option<ConnectionError> {
    let tls = error.get_ref()?.downcast_ref::<rustls::Error>()?;
    Some(rustls_error(address, tls))
}

/// A rustls error as the user can act on it.
pub fn rustls_error(address: &str, error: &rustls::Error) -> ConnectionError {
    let broker = address.to_string();
    match error {
        rustls::Error::InvalidCertificate(certificate) => ConnectionError::CertificateRejected {
            broker,
            reason: certificate_reason(certificate),
        },
        rustls::Error::AlertReceived(alert) => ConnectionError::Tls {
            broker,
            reason: alert_reason(*alert),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            ConnectionError::NotTls {
                broker,
                seen: Mismatch::Answered("something else than TLS"),
            }
        }
        other => ConnectionError::Tls {
            broker,
            reason: other.to_string(),
        },
    }
}

/// What the broker's alert says about our side.
fn alert_reason(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::CertificateRequired => format!(
            "the broker requires a client certificate ({}, {})",
            flags::SSL_CERTIFICATE_LOCATION,
            flags::SSL_KEY_LOCATION
        ),
        AlertDescription::BadCertificate
        | AlertDescription::UnknownCA
        | AlertDescription::CertificateUnknown
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateExpired
        | AlertDescription::CertificateRevoked => format!(
            "the broker refused our client certificate ({alert:?}): is it signed by a CA the \
             broker trusts? ({})",
            flags::SSL_CERTIFICATE_LOCATION
        ),
        AlertDescription::ProtocolVersion => {
            "the broker refused the handshake (ProtocolVersion): no TLS version in common".into()
        }
        // TLS 1.2 servers also answer a missing client certificate this way.
        AlertDescription::HandshakeFailure => format!(
            "the broker refused the handshake (HandshakeFailure): no cipher in common, or it \
             requires a client certificate ({}, {})",
            flags::SSL_CERTIFICATE_LOCATION,
            flags::SSL_KEY_LOCATION
        ),
        other => format!("the broker sent the alert {other:?}"),
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_name_is_the_host_of_the_address() {
        assert_eq!(
            server_name("broker-1.example.com:9093").unwrap(),
            ServerName::try_from("broker-1.example.com").unwrap()
        );
        assert_eq!(
            server_name("127.0.0.1:9093").unwrap(),
            ServerName::try_from("127.0.0.1").unwrap()
        );
        assert_eq!(
            server_name("[::1]:9093").unwrap(),
            ServerName::try_from("::1").unwrap()
        );
        assert!(server_name("bad_host!:9093").is_err());
    }

    #[test]
    fn a_certificate_error_inside_an_io_error_is_named() {
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let error = tls_error("b:9093", &io).expect("a TLS error");
        assert!(
            error
                .to_string()
                .starts_with("TLS with b:9093: certificate verify failed: unknown CA"),
            "{error}"
        );
        assert!(error.is_fatal_security());
    }

    #[test]
    fn a_closed_handshake_suggests_a_plaintext_listener() {
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        let error = handshake_error("b:9092", eof);
        assert_eq!(
            error.to_string(),
            "the broker at b:9092 did not answer TLS (it closed the connection): is it a \
             plaintext listener? (--security-protocol)"
        );
        assert!(!error.is_fatal_security());
        assert!(error.is_first_contact_fatal());
    }
}
