//! TLS that works: SMTPS and STARTTLS to a sink whose certificate a test certificate authority
//! signed, trusted through `SSL_CERT_FILE` (read by the platform verifier on Linux, through
//! rustls-native-certs). A binary of its own, with one test, because it sets that variable for
//! the whole process.

mod common;

use common::{ca_and_server_certificate, Sink};
use roster_mail::{MailErrorCode, OutgoingMail, Postman, Security};

#[test]
#[cfg(all(unix, not(target_vendor = "apple")))]
fn tls_and_starttls_work_with_a_trusted_certificate_and_check_the_host_name() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = ca_and_server_certificate(certs.path());
    // Before any thread or verifier exists; the only roots this process trusts.
    std::env::set_var("SSL_CERT_FILE", &ca);
    std::env::remove_var("SSL_CERT_DIR");

    // TLS from the first byte.
    let sink = Sink::start_with(&["--smtpscert", &cert, "--smtpskey", &key]);
    let mut server = sink.server();
    server.host = "localhost".into();
    server.security = Security::Tls;
    let postman = Postman::new(server, None).unwrap();
    postman.test_connection().unwrap();
    postman
        .send(&OutgoingMail::new("ann@example.com", "Over TLS", "t"))
        .unwrap();
    assert_eq!(sink.mails()[0]["subject"], "Over TLS");

    // STARTTLS (the sink refuses mail before it).
    let sink = Sink::start_with(&["--tlscert", &cert, "--tlskey", &key]);
    let mut server = sink.server();
    server.host = "localhost".into();
    server.security = Security::StartTls;
    let postman = Postman::new(server.clone(), None).unwrap();
    postman
        .send(&OutgoingMail::new("ann@example.com", "Over STARTTLS", "t"))
        .unwrap();
    assert_eq!(sink.mails()[0]["subject"], "Over STARTTLS");

    // The same trusted certificate, reached by a name it is not for.
    server.host = "127.0.0.1".into();
    let err = Postman::new(server, None)
        .unwrap()
        .send(&OutgoingMail::new("ann@example.com", "s", "t"))
        .unwrap_err();
    assert_eq!(err.code(), MailErrorCode::Tls, "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{}", sink.port)),
        "{err}"
    );
    assert!(err.message().contains("certificate"), "{err}");
    assert_eq!(sink.mails().len(), 1);
}
