//! HTTPS in front of the server: a rustls terminator on loopback with a certificate made by
//! openssl (a test CA and a server certificate for the names asked), forwarding each request
//! to scim2-server (which speaks plain HTTP).

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::proxy::{forward, read_request};

/// A test CA and a server certificate it signed for `subject_alt_names` (`DNS:localhost`,
/// `IP:127.0.0.1`): (ca.pem, server.pem, server.key) in `dir`.
pub fn ca_and_server_certificate(
    dir: &Path,
    subject_alt_names: &str,
) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl to make test certificates (scripts/setup installs it)");
        assert!(status.success(), "openssl {args:?}");
    };
    let p = |name: &str| path(name).to_str().unwrap().to_owned();
    fs::write(
        path("server.ext"),
        format!("subjectAltName={subject_alt_names}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend(["-days", "2", "-subj", "/CN=Roster SCIM Test CA"]);
    let (ca_key, ca_pem) = (p("ca.key"), p("ca.pem"));
    ca.extend(["-keyout", &ca_key, "-out", &ca_pem]);
    openssl(&ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    let (server_key, server_csr, server_pem, ext) = (
        p("server.key"),
        p("server.csr"),
        p("server.pem"),
        p("server.ext"),
    );
    csr.extend([
        "-subj",
        "/CN=scim test server",
        "-keyout",
        &server_key,
        "-out",
        &server_csr,
    ]);
    openssl(&csr);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &server_csr,
        "-CA",
        &ca_pem,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &ext,
        "-out",
        &server_pem,
    ]);
    (path("ca.pem"), path("server.pem"), path("server.key"))
}

/// Terminates TLS on a loopback port and forwards to `upstream_port`.
pub struct TlsFront {
    pub port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl TlsFront {
    pub fn start(upstream_port: u16, certificate: &Path, key: &Path) -> TlsFront {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let config = config.clone();
                    std::thread::spawn(move || {
                        let Ok(connection) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        let mut tls = rustls::StreamOwned::new(connection, stream);
                        // A handshake the client refuses ends here, in the read.
                        let Some(request) = read_request(&mut tls) else {
                            return;
                        };
                        if let Some(response) = forward(upstream_port, &request) {
                            let _ = tls.write_all(&response);
                            tls.conn.send_close_notify();
                            let _ = tls.flush();
                        }
                    });
                }
            })
        };
        TlsFront {
            port,
            stop,
            accept: Some(accept),
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}
