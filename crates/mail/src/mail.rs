//! A finished mail, ready to go: recipients, subject, bodies and attachments.

use std::fmt;

use lettre::message::header::ContentType;
use lettre::message::{self, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::error::{MailError, MailErrorCode};

/// One mail as its recipients will read it. Templates (later) fill these fields; this crate
/// only encodes and sends them.
///
/// `Debug` shows the recipients, the subject and the sizes of the bodies, never the bodies
/// themselves: a body may carry a temporary password or a reset link.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Each an address or `Name <address>`; at least one.
    pub to: Vec<String>,
    pub subject: String,
    /// The plain-text body; always sent.
    pub text: String,
    /// The HTML body, sent beside the text one (`multipart/alternative`) when given.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// A file attached to a mail.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The name the recipient sees, e.g. `results.csv`.
    pub file_name: String,
    /// A MIME type, e.g. `text/csv; charset=utf-8`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl OutgoingMail {
    /// A plain-text mail to one recipient.
    pub fn new(to: impl Into<String>, subject: impl Into<String>, text: impl Into<String>) -> Self {
        OutgoingMail {
            to: vec![to.into()],
            subject: subject.into(),
            text: text.into(),
            html: None,
            attachments: Vec::new(),
        }
    }

    pub fn with_html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }

    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }

    /// The mail as lettre's `Message`, from `from`. Fails with `invalid_address` naming the
    /// first address that is not one.
    pub(crate) fn to_message(&self, from: &Mailbox) -> Result<Message, MailError> {
        if self.to.is_empty() {
            return Err(MailError::new(
                MailErrorCode::InvalidAddress,
                "a mail needs at least one recipient",
            ));
        }
        let mut builder = Message::builder()
            .from(from.clone())
            .subject(self.subject.as_str())
            .message_id(None);
        for to in &self.to {
            builder = builder.to(parse_mailbox(to, "recipient")?);
        }

        let text = SinglePart::plain(self.text.clone());
        let bodies = self.html.as_ref().map(|html| {
            MultiPart::alternative()
                .singlepart(text.clone())
                .singlepart(SinglePart::html(html.clone()))
        });

        let built = if self.attachments.is_empty() {
            match bodies {
                Some(alternative) => builder.multipart(alternative),
                None => builder.singlepart(text),
            }
        } else {
            let mixed = MultiPart::mixed();
            let mut mixed = match bodies {
                Some(alternative) => mixed.multipart(alternative),
                None => mixed.singlepart(text),
            };
            for attachment in &self.attachments {
                mixed = mixed.singlepart(attachment.to_part()?);
            }
            builder.multipart(mixed)
        };
        built.map_err(|e| {
            MailError::new(
                MailErrorCode::SmtpError,
                format!("the mail could not be put together: {e}"),
            )
        })
    }
}

impl Attachment {
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Self {
        Attachment {
            file_name: file_name.into(),
            content_type: content_type.into(),
            bytes,
        }
    }

    fn to_part(&self) -> Result<SinglePart, MailError> {
        let content_type = ContentType::parse(&self.content_type).map_err(|_| {
            MailError::new(
                MailErrorCode::SmtpError,
                format!(
                    "the attachment \"{}\" has no valid content type (\"{}\")",
                    self.file_name, self.content_type
                ),
            )
        })?;
        Ok(message::Attachment::new(self.file_name.clone()).body(self.bytes.clone(), content_type))
    }
}

/// `text` as a mailbox (`address` or `Name <address>`), or `invalid_address` naming it and its
/// `role` (sender, recipient).
pub(crate) fn parse_mailbox(text: &str, role: &str) -> Result<Mailbox, MailError> {
    text.trim().parse::<Mailbox>().map_err(|_| {
        MailError::new(
            MailErrorCode::InvalidAddress,
            format!("\"{text}\" is not a valid email address (the {role})"),
        )
    })
}

impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field(
                "html",
                &self.html.as_ref().map(|h| format!("<{} bytes>", h.len())),
            )
            .field("attachments", &self.attachments)
            .finish()
    }
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        "Roster <roster@example.com>".parse().unwrap()
    }

    #[test]
    fn debug_hides_the_bodies() {
        let mail = OutgoingMail::new("a@example.com", "Welcome", "your password: hunter2-hunter2")
            .with_html("<p>hunter2-hunter2</p>")
            .with_attachment(Attachment::new(
                "r.csv",
                "text/csv",
                b"hunter2-hunter2".to_vec(),
            ));
        let shown = format!("{mail:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("Welcome") && shown.contains("a@example.com"),
            "{shown}"
        );
    }

    #[test]
    fn a_bad_recipient_is_named() {
        let mut mail = OutgoingMail::new("a@example.com", "s", "t");
        mail.to.push("not an address".into());
        let err = mail.to_message(&from()).unwrap_err();
        assert_eq!(err.code(), MailErrorCode::InvalidAddress);
        assert!(err.message().contains("\"not an address\""), "{err}");

        mail.to.clear();
        assert_eq!(
            mail.to_message(&from()).unwrap_err().code(),
            MailErrorCode::InvalidAddress
        );
    }

    #[test]
    fn shapes_of_the_message() {
        let plain = OutgoingMail::new("Ann <ann@example.com>", "Hi", "text");
        let raw = String::from_utf8(plain.to_message(&from()).unwrap().formatted()).unwrap();
        assert!(raw.contains("Content-Type: text/plain"), "{raw}");
        assert!(raw.contains("Message-ID: <"), "{raw}");

        let both = plain.clone().with_html("<p>html</p>");
        let raw = String::from_utf8(both.to_message(&from()).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(!raw.contains("multipart/mixed"), "{raw}");

        let attached =
            both.with_attachment(Attachment::new("a.csv", "text/csv", b"x,y\n".to_vec()));
        let raw = String::from_utf8(attached.to_message(&from()).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("multipart/mixed") && raw.contains("multipart/alternative"),
            "{raw}"
        );

        let bad = plain.with_attachment(Attachment::new("a.bin", "nonsense", vec![1]));
        let err = bad.to_message(&from()).unwrap_err();
        assert!(err.message().contains("a.bin"), "{err}");
    }
}
