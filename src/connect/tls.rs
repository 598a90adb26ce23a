//! TLS for client connections through rustls (ring provider: no OpenSSL,
//! only a C compiler to build). Builds a [`ClientConfig`] from [`Tls`]
//! options and turns rustls's errors into messages that name the option
//! to change.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::endpoint::Tls;

/// CA bundles tried, in order, when neither --cacert nor --cacertdir is
/// given (Debian/Ubuntu, Fedora/RHEL, Alpine/SUSE).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The ring provider: it builds with only a C compiler (aws-lc-rs wants
/// more of a toolchain). rustls deprecated its default constructor because
/// ring has no post-quantum key exchange; classic TLS 1.2/1.3 is what Redis
/// servers speak today.
#[allow(deprecated)]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client configuration for `tls`.
pub fn client_config(tls: &Tls) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let builder = if tls.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        builder.with_root_certificates(roots(tls)?)
    };
    let config = match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => {
            let certs = read_certs(cert, "--cert")?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("--key {}: {}", key.display(), pem_error(e)))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("--cert/--key: {e}"))?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name sent as SNI and checked against the certificate.
pub fn server_name(tls: &Tls, host: &str) -> Result<ServerName<'static>, String> {
    let name = tls.sni.as_deref().unwrap_or(host);
    ServerName::try_from(name.to_owned())
        .map_err(|_| format!("{name:?} is not a valid TLS server name (pass --sni NAME)"))
}

fn roots(tls: &Tls) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let mut add = |certs: Vec<CertificateDer<'static>>, what: &str| -> Result<(), String> {
        let (added, _ignored) = store.add_parsable_certificates(certs);
        if added == 0 {
            return Err(format!("{what}: no usable CA certificate in it"));
        }
        Ok(())
    };
    if let Some(file) = &tls.ca_file {
        add(
            read_certs(file, "--cacert")?,
            &format!("--cacert {}", file.display()),
        )?;
    }
    if let Some(dir) = &tls.ca_dir {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("--cacertdir {}: {e}", dir.display()))?;
        let mut certs = Vec::new();
        for entry in entries.flatten() {
            // Files that are not PEM certificates (hash links to them, keys)
            // are skipped, as OpenSSL's directory lookup does.
            if let Ok(iter) = CertificateDer::pem_file_iter(entry.path()) {
                certs.extend(iter.flatten());
            }
        }
        add(certs, &format!("--cacertdir {}", dir.display()))?;
    }
    if tls.ca_file.is_none() && tls.ca_dir.is_none() {
        let env = std::env::var_os("SSL_CERT_FILE");
        let candidates = env
            .iter()
            .map(Path::new)
            .chain(SYSTEM_BUNDLES.iter().map(Path::new));
        for path in candidates {
            if let Ok(iter) = CertificateDer::pem_file_iter(path) {
                let (added, _) = store.add_parsable_certificates(iter.flatten());
                if added > 0 {
                    return Ok(store);
                }
            }
        }
        return Err(
            "no system CA bundle found: pass --cacert FILE (or --cacertdir DIR) with the CA \
             that signed the server's certificate"
                .to_owned(),
        );
    }
    Ok(store)
}

fn read_certs(path: &Path, option: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{option} {}: {}", path.display(), pem_error(e)))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{option} {}: {}", path.display(), pem_error(e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{option} {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

fn pem_error(e: rustls_pki_types::pem::Error) -> String {
    match e {
        rustls_pki_types::pem::Error::Io(io) => io.to_string(),
        rustls_pki_types::pem::Error::NoItemsFound => "no PEM item of the right kind in it".into(),
        other => format!("not valid PEM ({other:?})"),
    }
}

/// A handshake failure as the user can act on it: what went wrong and the
/// option that changes it. `sni` is the name we asked for.
pub fn explain(error: &rustls::Error, sni: &str) -> String {
    use rustls::AlertDescription as Alert;
    match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate is not signed by a CA we trust (UnknownIssuer): pass \
             --cacert FILE with the CA that signed it (or --insecure to skip verification)"
                .to_owned()
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the server's certificate is not issued for {sni:?}: pass --sni NAME with a name it \
             is issued for (or --insecure)"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired (or this clock is wrong)".to_owned(),
        rustls::Error::InvalidCertificate(other) => {
            format!("the server's certificate was rejected: {other:?}")
        }
        rustls::Error::AlertReceived(Alert::CertificateRequired)
        | rustls::Error::AlertReceived(Alert::HandshakeFailure)
        | rustls::Error::AlertReceived(Alert::BadCertificate) => format!(
            "the server ended the handshake ({error}); if it checks clients \
             (tls-auth-clients), pass --cert FILE and --key FILE"
        ),
        rustls::Error::AlertReceived(Alert::UnknownCA) => {
            "the server does not trust our client certificate (unknown CA): pass a --cert \
             signed by a CA in its tls-ca-cert-file"
                .to_owned()
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => format!(
            "the server does not speak TLS on this port ({error}): drop --tls, or use its \
             tls-port"
        ),
        other => format!("TLS handshake failed: {other}"),
    }
}

/// `--insecure`: any certificate is accepted; handshake signatures are
/// still checked, so the connection is encrypted, only not authenticated.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
