//! The TLS configuration built from certificates and keys made here (rcgen), in a folder of
//! the test's own: trust, mutual TLS, encrypted keys, files that are not PEM, and the verifier
//! that skips the host name only.

use std::{fs, path::PathBuf};

use pkcs8::{der::pem::LineEnding, pkcs5::pbes2};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::*;

/// A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate.
struct Pki {
    dir: PathBuf,
    ca: rcgen::Certificate,
    server: rcgen::Certificate,
    client_key: KeyPair,
}

impl Pki {
    fn new(test: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("kafka-tls-{}-{test}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&server_key, &ca, &ca_key)
            .unwrap();
        let client_key = KeyPair::generate().unwrap();
        let client = CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .signed_by(&client_key, &ca, &ca_key)
            .unwrap();
        let pki = Pki {
            dir,
            ca,
            server,
            client_key,
        };
        pki.write("ca.pem", pki.ca.pem().as_bytes());
        pki.write("client.pem", client.pem().as_bytes());
        pki.write("client.key", pki.client_key.serialize_pem().as_bytes());
        pki
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn settings(&self) -> TlsConfig {
        TlsConfig {
            ca_location: Some(self.path("ca.pem")),
            ..TlsConfig::default()
        }
    }

    fn mutual(&self, key: &str, password: Option<&str>) -> TlsConfig {
        TlsConfig {
            certificate_location: Some(self.path("client.pem")),
            key_location: Some(self.path(key)),
            key_password: password.map(Secret::new),
            ..self.settings()
        }
    }

    /// The client key encrypted as `openssl pkey -aes256` writes it (PBES2, PBKDF2-SHA256,
    /// AES-256-CBC).
    fn encrypted_key(&self, password: &str) -> PathBuf {
        let der = self.client_key.serialize_der();
        let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).unwrap();
        let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &[7; 16], &[9; 16]).unwrap();
        let encrypted = info.encrypt_with_params(params, password).unwrap();
        let pem = encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .unwrap();
        self.write("client-encrypted.key", pem.as_bytes())
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn message(result: Result<Arc<ClientConfig>>) -> String {
    result.expect_err("an error").to_string()
}

#[test]
fn a_ca_file_and_a_client_pair_build_one_shared_config() {
    let pki = Pki::new("shared");
    let settings = pki.mutual("client.key", None);
    let first = client_config(&settings).unwrap();
    let again = client_config(&settings).unwrap();
    assert!(Arc::ptr_eq(&first, &again), "built once, then shared");
    assert!(first.client_auth_cert_resolver.has_certs());
    assert!(client_config(&pki.settings()).is_ok());
}

#[test]
fn an_encrypted_key_is_decrypted_with_its_password_only() {
    let pki = Pki::new("encrypted");
    pki.encrypted_key("client-key-secret");
    let decrypted = client_config(&pki.mutual("client-encrypted.key", Some("client-key-secret")));
    assert!(decrypted.is_ok(), "{:?}", decrypted.err());
    let wrong = message(client_config(
        &pki.mutual("client-encrypted.key", Some("not-it")),
    ));
    assert!(
        wrong.contains("(--ssl-key-location): --ssl-key-password does not decrypt it"),
        "{wrong}"
    );
    let missing = message(client_config(&pki.mutual("client-encrypted.key", None)));
    assert!(
        missing.contains("the key is encrypted: give its password (--ssl-key-password) or decrypt it with `openssl pkey -in "),
        "{missing}"
    );
}

#[test]
fn a_legacy_encrypted_key_says_how_to_decrypt_it() {
    let pki = Pki::new("legacy");
    pki.write(
        "legacy.key",
        b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n",
    );
    let error = message(client_config(&pki.mutual("legacy.key", Some("x"))));
    assert!(
        error.contains("OpenSSL's legacy format: decrypt it with `openssl pkey -in "),
        "{error}"
    );
}

#[test]
fn a_missing_file_is_one_line_naming_its_flag() {
    let settings = TlsConfig {
        ca_location: Some("/nonexistent/ca.pem".into()),
        ..TlsConfig::default()
    };
    let error = message(client_config(&settings));
    assert!(
        error.starts_with("the CA file /nonexistent/ca.pem (--ssl-ca-location): cannot read it: "),
        "{error}"
    );
    assert!(!error.contains('\n'));
}

#[test]
fn files_that_are_not_pem_get_the_command_that_converts_them() {
    let pki = Pki::new("not-pem");
    let jks = pki.write("truststore.jks", &[0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]);
    let error = message(client_config(&TlsConfig {
        ca_location: Some(jks.clone()),
        ..TlsConfig::default()
    }));
    assert!(
        error.contains(&format!(
            "it is a Java keystore (JKS), not PEM: convert it with `keytool -importkeystore \
             -srckeystore {} -destkeystore store.p12 -deststoretype PKCS12` then `openssl pkcs12 \
             -in store.p12 -cacerts -nokeys -out ca.pem`",
            jks.display()
        )),
        "{error}"
    );
    // PKCS#12 begins with a SEQUENCE holding version 3.
    let p12 = pki.write(
        "client.p12",
        &[0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, 0x30],
    );
    let error = message(client_config(&TlsConfig {
        certificate_location: Some(p12.clone()),
        key_location: Some(pki.path("client.key")),
        ..pki.settings()
    }));
    assert!(
        error.contains(&format!(
            "(--ssl-certificate-location): it is a PKCS#12 keystore, not PEM: convert it with \
             `openssl pkcs12 -in {} -clcerts -nokeys -out client.pem`",
            p12.display()
        )),
        "{error}"
    );
    let der = pki.write("ca.der", pki.ca.der());
    let error = message(client_config(&TlsConfig {
        ca_location: Some(der.clone()),
        ..TlsConfig::default()
    }));
    assert!(
        error.contains(
            "it is a DER certificate, not PEM: convert it with `openssl x509 -inform der"
        ),
        "{error}"
    );
    let key = pki.write("client.der", &pki.client_key.serialize_der());
    let error = message(client_config(&TlsConfig {
        certificate_location: Some(pki.path("client.pem")),
        key_location: Some(key),
        ..pki.settings()
    }));
    assert!(
        error.contains("it is a DER key, not PEM: convert it with `openssl pkey -inform der"),
        "{error}"
    );
}

#[test]
fn a_certificate_needs_its_key() {
    let pki = Pki::new("half");
    let error = message(client_config(&TlsConfig {
        certificate_location: Some(pki.path("client.pem")),
        ..pki.settings()
    }));
    assert_eq!(
        error,
        "a client certificate needs its key (--ssl-key-location)"
    );
    let other_key = KeyPair::generate().unwrap();
    pki.write("other.key", other_key.serialize_pem().as_bytes());
    let error = message(client_config(&pki.mutual("other.key", None)));
    assert!(error.contains("do not go together"), "{error}");
}

#[test]
fn without_host_name_checks_the_chain_is_still_checked() {
    let pki = Pki::new("any-host");
    let roots = Arc::new(roots(Some(&pki.path("ca.pem"))).unwrap());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
        .build()
        .unwrap();
    let verifier = AnyHostVerifier(Arc::clone(&webpki));
    let elsewhere = ServerName::try_from("broker.example.com").unwrap();
    let server = CertificateDer::from(pki.server.der().to_vec());
    let now = UnixTime::now();
    assert!(matches!(
        webpki.verify_server_cert(&server, &[], &elsewhere, &[], now),
        Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ))
    ));
    assert!(verifier
        .verify_server_cert(&server, &[], &elsewhere, &[], now)
        .is_ok());
    // A certificate from a CA not trusted is refused whatever the name.
    let stranger_key = KeyPair::generate().unwrap();
    let mut stranger = CertificateParams::new(vec!["broker.example.com".to_string()]).unwrap();
    stranger
        .distinguished_name
        .push(DnType::CommonName, "another CA's");
    let stranger = stranger.self_signed(&stranger_key).unwrap();
    let stranger = CertificateDer::from(stranger.der().to_vec());
    let refused = verifier.verify_server_cert(&stranger, &[], &elsewhere, &[], now);
    assert!(
        matches!(
            refused,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        ),
        "{refused:?}"
    );
}

#[test]
fn certificate_reasons_are_named_as_kafka_users_know_them() {
    assert!(certificate_reason(&CertificateError::UnknownIssuer).starts_with("unknown CA"));
    assert!(certificate_reason(&CertificateError::NotValidForName).starts_with("wrong host name"));
    assert!(certificate_reason(&CertificateError::Expired).starts_with("expired"));
}
