//! TLS: verified against the OS's trust store by default (a test CA is not in it), trusted
//! when its root is given, refused for a certificate of another name, and accepted blindly
//! only with `insecure_skip_tls_verify`. HTTPS through a rustls terminator in front of a
//! real scim2-server.

mod common;

use common::tls_front::{ca_and_server_certificate, TlsFront};
use common::{client_for, test_user, ScimServer, ServerOptions};
use roster_scim::{ScimErrorCode, User};

#[test]
fn tls_is_verified_unless_the_admin_opts_out() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let dir = tempfile::tempdir().unwrap();
    let (ca, certificate, key) =
        ca_and_server_certificate(dir.path(), "DNS:localhost,IP:127.0.0.1");
    let front = TlsFront::start(server.port, &certificate, &key);
    let base = format!("https://127.0.0.1:{}/v2", front.port);

    // Verified by default: a certificate from an unknown CA is refused, and not retried.
    let (client, clock) = client_for(&base, |_| {});
    let error = client.discover().unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Tls, "{error}");
    assert!(!error.maybe_applied());
    assert_eq!(error.attempts(), 1);
    assert!(clock.waits().is_empty());
    assert!(error.message().contains("127.0.0.1"), "{error}");

    // Its CA given as an extra root: trusted; the whole client works over HTTPS.
    let (client, _) = client_for(&base, |c| {
        c.extra_root_certificates = vec![std::fs::read(&ca).unwrap()];
    });
    assert!(client.discover().unwrap().patch);
    let created = client.create(&test_user("tls", 1)).unwrap();
    let read: User = client.get(created.id.as_deref().unwrap()).unwrap();
    assert_eq!(read.user_name, "tls1");

    // Opted out: any certificate goes.
    let (client, _) = client_for(&base, |c| c.insecure_skip_tls_verify = true);
    assert_eq!(
        client.find_user_by_user_name("tls1").unwrap().unwrap().id,
        created.id
    );
    assert_eq!(server.all("Users").len(), 1);
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let dir = tempfile::tempdir().unwrap();
    let (ca, certificate, key) = ca_and_server_certificate(dir.path(), "DNS:scim.example.com");
    let front = TlsFront::start(server.port, &certificate, &key);
    let (client, _) = client_for(&format!("https://127.0.0.1:{}/v2", front.port), |c| {
        c.extra_root_certificates = vec![std::fs::read(&ca).unwrap()];
    });
    let error = client.discover().unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Tls, "{error}");

    let (client, _) = client_for(&format!("https://127.0.0.1:{}/v2", front.port), |c| {
        c.insecure_skip_tls_verify = true;
    });
    client.discover().unwrap();
}
