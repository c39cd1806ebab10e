//! The one place that turns the TLS settings ([`TlsConfig`]) into rustls' client
//! configuration, which rskafka's connections and ours share.
//!
//! How it works:
//! - **Trust.** The CA file (`ssl.ca.location`, PEM, every certificate in it) or, when none is
//!   given, the system's roots (`rustls-native-certs`: `/etc/ssl/certs` and the like).
//! - **Mutual TLS.** A client certificate chain and its key (PEM). A key encrypted as PKCS#8
//!   (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, as `openssl pkey -aes256` writes it) is
//!   decrypted with `ssl.key.password`; OpenSSL's legacy encrypted keys (`Proc-Type:
//!   4,ENCRYPTED`) are refused with the command that decrypts them.
//! - **Host names.** The broker's certificate must name the host connected to, unless
//!   `verify_hostname` is off: then [`AnyHostVerifier`] skips that one check and still checks
//!   the chain, its signatures, its dates and its purpose.
//! - **Files that are not PEM** (a Java keystore, PKCS#12, DER) are refused with the
//!   `openssl`/`keytool` command that converts them; a missing or unreadable file names its
//!   flag.
//! - **Once per process.** A configuration is built once for each distinct [`TlsConfig`] and
//!   shared: reconnecting does not read the files again, and rustls resumes the sessions of
//!   earlier connections.
//!
//! The cryptography is rustls' `ring` provider, the one rskafka 0.6 builds with.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use rustls::{
    client::{
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
        WebPkiServerVerifier,
    },
    pki_types::{
        pem::PemObject, CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime,
    },
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::{
    security::{flags, Secret, Security, TlsConfig},
    ConnectionError, Result,
};

/// A TLS file of the settings, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFile {
    /// The CA certificates to trust (`ssl.ca.location`).
    Ca,
    /// The client certificate chain (`ssl.certificate.location`).
    Certificate,
    /// The client private key (`ssl.key.location`).
    Key,
}

impl TlsFile {
    /// The flag that names this file.
    pub fn flag(self) -> &'static str {
        match self {
            TlsFile::Ca => flags::SSL_CA_LOCATION,
            TlsFile::Certificate => flags::SSL_CERTIFICATE_LOCATION,
            TlsFile::Key => flags::SSL_KEY_LOCATION,
        }
    }
}

impl std::fmt::Display for TlsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsFile::Ca => "CA file",
            TlsFile::Certificate => "client certificate file",
            TlsFile::Key => "client key file",
        })
    }
}

/// What is wrong with a TLS file.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileProblem {
    /// It cannot be read (missing, no permission).
    #[error("cannot read it: {0}")]
    Unreadable(#[source] std::io::Error),
    /// It is not PEM; the command converts it.
    #[error("it is {format}, not PEM: convert it with `{command}`")]
    NotPem {
        /// What it is.
        format: &'static str,
        /// The command that writes it as PEM.
        command: String,
    },
    /// It is PEM but holds nothing of the kind wanted, or something that does not parse.
    #[error("{0}")]
    BadPem(String),
    /// The key is encrypted and no password was given.
    #[error("the key is encrypted: give its password ({}) or decrypt it with `openssl pkey -in {} -out key.pem`", flags::SSL_KEY_PASSWORD, .0.display())]
    NeedsPassword(PathBuf),
    /// The key is encrypted in a way this client does not read.
    #[error("the key is encrypted in OpenSSL's legacy format: decrypt it with `openssl pkey -in {} -out key.pem`", .0.display())]
    LegacyEncryption(PathBuf),
    /// The password does not decrypt the key.
    #[error("{} does not decrypt it ({reason}); or decrypt it with `openssl pkey -in {} -out key.pem`", flags::SSL_KEY_PASSWORD, .path.display())]
    WrongPassword {
        /// The key file.
        path: PathBuf,
        /// Why decryption failed.
        reason: String,
    },
}

/// The configurations built so far, by settings: built once, shared by every connection.
static BUILT: Mutex<Vec<(TlsConfig, Arc<ClientConfig>)>> = Mutex::new(Vec::new());

impl Security {
    /// The TLS configuration of every connection, or `None` when the protocol does not use
    /// TLS. Built once per process from the files (later calls share it: [`client_config`]),
    /// so that rskafka's connections and ours trust the same CAs and resume the same sessions.
    pub fn tls_client_config(&self) -> Result<Option<Arc<ClientConfig>>> {
        if !self.protocol.uses_tls() {
            return Ok(None);
        }
        client_config(&self.tls).map(Some)
    }
}

/// The rustls client configuration of `tls`, built on first use and shared afterwards.
pub fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>> {
    if let Some(config) = built(tls) {
        return Ok(config);
    }
    let config = Arc::new(build(tls)?);
    let mut configs = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    configs.push((tls.clone(), Arc::clone(&config)));
    Ok(config)
}

fn built(tls: &TlsConfig) -> Option<Arc<ClientConfig>> {
    let configs = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    configs
        .iter()
        .find(|(settings, _)| settings == tls)
        .map(|(_, config)| Arc::clone(config))
}

/// Builds the configuration from the files, every time.
fn build(tls: &TlsConfig) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(roots(tls.ca_location.as_deref())?);
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
        .build()
        .map_err(|e| settings(format!("no usable CA certificate: {e}"), TlsFile::Ca.flag()))?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| settings(format!("TLS: {e}"), flags::SECURITY_PROTOCOL))?;
    let builder = if tls.verify_hostname {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyHostVerifier(verifier)))
    };
    match (&tls.certificate_location, &tls.key_location) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(certificate), Some(key)) => {
            let chain = read_certificates(TlsFile::Certificate, certificate)?;
            let key = read_key(key, tls.key_password.as_ref())?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                settings(
                    format!("the client certificate and key do not go together: {e}"),
                    &format!(
                        "{}, {}",
                        flags::SSL_CERTIFICATE_LOCATION,
                        flags::SSL_KEY_LOCATION
                    ),
                )
            })
        }
        (Some(_), None) => Err(settings(
            "a client certificate needs its key".into(),
            flags::SSL_KEY_LOCATION,
        )),
        (None, Some(_)) => Err(settings(
            "a client key needs its certificate".into(),
            flags::SSL_CERTIFICATE_LOCATION,
        )),
    }
}

fn settings(problem: String, flags: &str) -> ConnectionError {
    ConnectionError::Settings {
        problem,
        flags: flags.to_string(),
    }
}

fn file_error(file: TlsFile, path: &Path, problem: TlsFileProblem) -> ConnectionError {
    ConnectionError::TlsFile {
        file,
        path: path.to_path_buf(),
        problem,
    }
}

/// The CAs to trust: those of the CA file, or the system's.
fn roots(ca_location: Option<&Path>) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let Some(path) = ca_location else {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::debug!(%error, "skipping a system root certificate");
        }
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(settings(
                "no CA given and the system has no root certificates (install ca-certificates, \
                 or give the CA file)"
                    .into(),
                flags::SSL_CA_LOCATION,
            ));
        }
        return Ok(roots);
    };
    for certificate in read_certificates(TlsFile::Ca, path)? {
        roots.add(certificate).map_err(|e| {
            file_error(
                TlsFile::Ca,
                path,
                TlsFileProblem::BadPem(format!("a certificate in it is not a usable CA: {e}")),
            )
        })?;
    }
    Ok(roots)
}

/// Every certificate of a PEM file; at least one.
fn read_certificates(file: TlsFile, path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read_pem(file, path)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(file, path, TlsFileProblem::BadPem(format!("bad PEM: {e}"))))?;
    if certificates.is_empty() {
        return Err(file_error(
            file,
            path,
            TlsFileProblem::BadPem("no CERTIFICATE in it".into()),
        ));
    }
    Ok(certificates)
}

/// The private key of a PEM file, decrypted with `password` when it is encrypted.
fn read_key(path: &Path, password: Option<&Secret>) -> Result<PrivateKeyDer<'static>> {
    let pem = read_pem(TlsFile::Key, path)?;
    let problem = |problem| file_error(TlsFile::Key, path, problem);
    let text = String::from_utf8_lossy(&pem);
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(problem(TlsFileProblem::LegacyEncryption(
            path.to_path_buf(),
        )));
    }
    if let Some(block) = pem_block(&text, "ENCRYPTED PRIVATE KEY") {
        let password =
            password.ok_or_else(|| problem(TlsFileProblem::NeedsPassword(path.into())))?;
        return decrypt_key(block, password)
            .map_err(|reason| {
                problem(TlsFileProblem::WrongPassword {
                    path: path.into(),
                    reason,
                })
            })
            .map(PrivateKeyDer::Pkcs8);
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        problem(TlsFileProblem::BadPem(format!(
            "no usable PRIVATE KEY in it ({e})"
        )))
    })
}

/// The PKCS#8 key of an `ENCRYPTED PRIVATE KEY` PEM block.
fn decrypt_key(
    block: &str,
    password: &Secret,
) -> std::result::Result<PrivatePkcs8KeyDer<'static>, String> {
    let (_, der) = pkcs8::der::pem::decode_vec(block.as_bytes()).map_err(|e| e.to_string())?;
    let encrypted =
        pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| e.to_string())?;
    let decrypted = encrypted
        .decrypt(password.expose())
        .map_err(|e| e.to_string())?;
    Ok(PrivatePkcs8KeyDer::from(decrypted.as_bytes().to_vec()))
}

/// The PEM block labelled `label`, from its BEGIN line to its END line.
fn pem_block<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let begin = text.find(&format!("-----BEGIN {label}-----"))?;
    let end_line = format!("-----END {label}-----");
    let end = text[begin..].find(&end_line)? + begin + end_line.len();
    Some(&text[begin..end])
}

/// The file's bytes, when they are PEM.
fn read_pem(file: TlsFile, path: &Path) -> Result<Vec<u8>> {
    let bytes =
        fs::read(path).map_err(|e| file_error(file, path, TlsFileProblem::Unreadable(e)))?;
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(bytes);
    }
    Err(file_error(file, path, not_pem(file, path, &bytes)))
}

/// What a file that is not PEM is, and the command that converts it.
pub fn not_pem(file: TlsFile, path: &Path, bytes: &[u8]) -> TlsFileProblem {
    let input = path.display();
    let der_kind = der_kind(bytes);
    let (format, command) = match (file, der_kind) {
        (_, Some(DerKind::JavaKeystore)) => (
            "a Java keystore (JKS)",
            format!(
                "keytool -importkeystore -srckeystore {input} -destkeystore store.p12 \
                 -deststoretype PKCS12` then `{}",
                pkcs12_command(file, "store.p12")
            ),
        ),
        (_, Some(DerKind::Pkcs12)) => (
            "a PKCS#12 keystore",
            pkcs12_command(file, &input.to_string()),
        ),
        (TlsFile::Key, Some(DerKind::Key)) => (
            "a DER key",
            format!("openssl pkey -inform der -in {input} -out key.pem"),
        ),
        (_, Some(DerKind::Certificate)) => (
            "a DER certificate",
            format!(
                "openssl x509 -inform der -in {input} -out {}",
                pem_name(file)
            ),
        ),
        _ => {
            return TlsFileProblem::BadPem(
                "it is not PEM (no -----BEGIN line), nor a keystore or DER file".into(),
            )
        }
    };
    TlsFileProblem::NotPem { format, command }
}

/// The openssl command that takes `file`'s part out of a PKCS#12 keystore.
fn pkcs12_command(file: TlsFile, input: &str) -> String {
    let part = match file {
        TlsFile::Ca => "-cacerts -nokeys",
        TlsFile::Certificate => "-clcerts -nokeys",
        TlsFile::Key => "-nocerts -nodes",
    };
    format!("openssl pkcs12 -in {input} {part} -out {}", pem_name(file))
}

fn pem_name(file: TlsFile) -> &'static str {
    match file {
        TlsFile::Ca => "ca.pem",
        TlsFile::Certificate => "client.pem",
        TlsFile::Key => "key.pem",
    }
}

/// What a binary file holds, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DerKind {
    JavaKeystore,
    Pkcs12,
    Certificate,
    Key,
}

/// JKS and JCEKS start with their magic number; the DER files with a SEQUENCE whose first
/// element tells them apart: PKCS#12's version 3, a key's version 0, a certificate's own
/// SEQUENCE (to be signed).
fn der_kind(bytes: &[u8]) -> Option<DerKind> {
    if bytes.starts_with(&[0xfe, 0xed, 0xfe, 0xed]) || bytes.starts_with(&[0xce, 0xce, 0xce, 0xce])
    {
        return Some(DerKind::JavaKeystore);
    }
    if bytes.first() != Some(&0x30) {
        return None;
    }
    let length_bytes = match bytes.get(1)? {
        short if *short < 0x80 => 0,
        long => usize::from(long & 0x7f),
    };
    let inner = bytes.get(2 + length_bytes..)?;
    match inner {
        [0x02, 0x01, 0x03, ..] => Some(DerKind::Pkcs12),
        [0x02, 0x01, 0x00, ..] | [0x02, 0x01, 0x01, ..] => Some(DerKind::Key),
        [0x30, ..] => Some(DerKind::Certificate),
        _ => None,
    }
}

/// Checks the broker's certificate as rustls' WebPKI verifier does, except the host name
/// (`ssl.endpoint.identification.algorithm` = none): the chain to a trusted CA, the
/// signatures, the dates and the purpose are still checked.
#[derive(Debug)]
pub struct AnyHostVerifier(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let verified =
            self.0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        match verified {
            // The name is checked last, after everything else passed.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Why a TLS connection failed, as one readable reason: rustls' certificate errors named the
/// way Kafka users know them (unknown CA, wrong host name, expired).
pub fn certificate_reason(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => format!(
            "unknown CA: its certificate is not signed by a CA of {} (or the system's roots)",
            flags::SSL_CA_LOCATION
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!(
                "wrong host name: {error} ({} none skips this check, for test clusters only)",
                flags::SSL_ENDPOINT_IDENTIFICATION
            )
        }
        CertificateError::Expired => "expired: the certificate is past its end date".into(),
        CertificateError::ExpiredContext { .. } => format!("expired: {error}"),
        CertificateError::NotValidYet => "not valid yet: the certificate's start date is to come \
            (or this machine's clock is behind)"
            .into(),
        CertificateError::NotValidYetContext { .. } => format!("not valid yet: {error}"),
        CertificateError::BadSignature => {
            "bad signature: the certificate is forged or corrupt".into()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            format!("not a server certificate: {error}")
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
