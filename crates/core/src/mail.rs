//! The mails Roster sends, as pure values: their kinds, templates with placeholders, and the
//! rendering of a template for one user. No SMTP here (crate `roster-mail` sends), no clock:
//! an expiry is given.
//!
//! # Placeholders
//!
//! `{first_name}`, `{last_name}`, `{username}`, `{email}`, `{link}` (the directory's reset
//! page), `{temporary_password}`, `{expires}` (a date), `{organisation}`, and in the bulk
//! result `{summary}`. A placeholder a template does not know is an error when the template
//! is saved, so a typo never reaches a user's inbox. In the HTML part every value is escaped.

use crate::field::{FieldCode, FieldError, FieldErrors};
use crate::secret::Secret;

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// To a user who has never set a password: how to set one.
    Activation,
    PasswordReset,
    Welcome,
    /// To the admin, after a bulk file is applied.
    BulkResult,
}

impl MailKind {
    pub const ALL: [Self; 4] = [Self::Activation, Self::PasswordReset, Self::Welcome, Self::BulkResult];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::PasswordReset => "password_reset",
            Self::Welcome => "welcome",
            Self::BulkResult => "bulk_result",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let wanted = raw.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|k| k.as_str() == wanted).ok_or_else(|| {
            FieldError::new("kind", FieldCode::InvalidValue, format!("\"{}\" is not a mail: use activation, password_reset, welcome or bulk_result", raw.trim()))
        })
    }

    /// The placeholders this mail may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Self::Activation | Self::PasswordReset => {
                &["first_name", "last_name", "username", "email", "link", "temporary_password", "expires", "organisation"]
            }
            Self::Welcome => &["first_name", "last_name", "username", "email", "organisation"],
            Self::BulkResult => &["organisation", "summary"],
        }
    }
}

/// A mail's subject, plain text and HTML, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTemplate {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl MailTemplate {
    /// Checks a template as an admin wrote it: a subject and a text part are required, and
    /// every placeholder must be one `kind` knows.
    pub fn parse(kind: MailKind, subject: &str, text: &str, html: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, label, value) in [("subject", "Subject", subject), ("text", "Plain text", text), ("html", "HTML", html)] {
            if field != "html" && value.trim().is_empty() {
                errors.push(FieldError::new(field, FieldCode::Required, format!("{label} is required")));
            }
            if field == "subject" && value.contains(['\r', '\n']) {
                errors.push(FieldError::new(field, FieldCode::InvalidValue, "The subject must be one line"));
            }
            for name in placeholders_in(value) {
                if !kind.placeholders().contains(&name) {
                    errors.push(FieldError::new(
                        field,
                        FieldCode::InvalidValue,
                        format!("{label}: {{{name}}} is not a placeholder of this mail; use {}", list(kind.placeholders())),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(Self { subject: subject.trim().to_owned(), text: text.to_owned(), html: html.to_owned() })
        } else {
            Err(errors)
        }
    }

    /// The template Roster starts with.
    pub fn default_for(kind: MailKind) -> Self {
        let (subject, text, html) = match kind {
            MailKind::Activation => (
                "Set up your {organisation} account",
                "Hello {first_name},\n\nAn account has been created for you at {organisation}.\n\nUsername: {username}\n\n\
                 {link}{temporary_password}\n\nThis expires on {expires}.\n\nIf you did not expect this mail, you can ignore it.\n",
                "<p>Hello {first_name},</p><p>An account has been created for you at {organisation}.</p>\
                 <p>Username: <strong>{username}</strong></p><p>{link}{temporary_password}</p>\
                 <p>This expires on {expires}.</p><p>If you did not expect this mail, you can ignore it.</p>",
            ),
            MailKind::PasswordReset => (
                "Reset your {organisation} password",
                "Hello {first_name},\n\nA password reset was requested for {username}.\n\n{link}{temporary_password}\n\n\
                 This expires on {expires}. If you did not ask for it, tell your administrator.\n",
                "<p>Hello {first_name},</p><p>A password reset was requested for <strong>{username}</strong>.</p>\
                 <p>{link}{temporary_password}</p><p>This expires on {expires}. If you did not ask for it, tell your administrator.</p>",
            ),
            MailKind::Welcome => (
                "Welcome to {organisation}",
                "Hello {first_name},\n\nWelcome to {organisation}. You sign in as {username}.\n",
                "<p>Hello {first_name},</p><p>Welcome to {organisation}. You sign in as <strong>{username}</strong>.</p>",
            ),
            MailKind::BulkResult => (
                "Bulk import result: {summary}",
                "The bulk import in {organisation} finished: {summary}.\n\nThe results file is attached.\n",
                "<p>The bulk import in {organisation} finished: {summary}.</p><p>The results file is attached.</p>",
            ),
        };
        Self { subject: subject.to_owned(), text: text.to_owned(), html: html.to_owned() }
    }
}

/// How a user gets to a password, a workspace setting: the page belongs to the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetMethod {
    /// The directory's reset page, e.g. `https://login.example.com/reset?user={username}`.
    PortalLink(PortalUrl),
    /// A one-time password that must be changed at first sign-in.
    TemporaryPassword,
}

/// A reset page URL with optional `{username}` and `{email}` (URL-encoded when filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalUrl(String);

impl PortalUrl {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let bad = |why: &str| FieldError::new("portalUrl", FieldCode::InvalidValue, format!("The reset page {why}, like https://login.example.com/reset?user={{username}}"));
        if !s.starts_with("https://") && !s.starts_with("http://") {
            return Err(bad("must be a web address starting with https://"));
        }
        if s.contains(char::is_whitespace) {
            return Err(bad("cannot contain spaces"));
        }
        if let Some(name) = placeholders_in(s).find(|n| !matches!(*n, "username" | "email")) {
            return Err(bad(&format!("can use {{username}} and {{email}}, not {{{name}}}")));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The link for one user.
    pub fn for_user(&self, username: &str, email: &str) -> String {
        self.0.replace("{username}", &url_encode(username)).replace("{email}", &url_encode(email))
    }
}

/// The values for one mail. `link` and `temporary_password` are the two ways to a password;
/// a mail carries one of them (the other renders as nothing).
#[derive(Debug, Clone, Default)]
pub struct MailValues {
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub email: String,
    pub link: Option<String>,
    pub temporary_password: Option<Secret<String>>,
    /// `YYYY-MM-DD`.
    pub expires: String,
    pub organisation: String,
    pub summary: String,
}

/// A mail ready to send.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for RenderedMail {
    /// The bodies may hold a temporary password: only the subject is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedMail").field("subject", &self.subject).field("text", &"<redacted>").field("html", &"<redacted>").finish()
    }
}

/// Fills in `template` for `values`. A first name left empty reads as the username.
pub fn render(template: &MailTemplate, values: &MailValues) -> RenderedMail {
    let first = if values.first_name.trim().is_empty() { values.username.as_str() } else { values.first_name.as_str() };
    let (link_text, link_html) = match &values.link {
        Some(l) => (format!("Set your password here: {l}"), format!("<a href=\"{}\">Set your password</a>", escape(l))),
        None => (String::new(), String::new()),
    };
    let (temp_text, temp_html) = match &values.temporary_password {
        Some(p) => (
            format!("Your temporary password: {}\nYou will be asked to choose a new one when you first sign in.", p.expose()),
            format!("Your temporary password: <code>{}</code><br>You will be asked to choose a new one when you first sign in.", escape(p.expose())),
        ),
        None => (String::new(), String::new()),
    };
    let fill = |s: &str, html: bool| {
        let v = |plain: &str| if html { escape(plain) } else { plain.to_owned() };
        fill_placeholders(s, |name| match name {
            "first_name" => Some(v(first)),
            "last_name" => Some(v(&values.last_name)),
            "username" => Some(v(&values.username)),
            "email" => Some(v(&values.email)),
            "link" => Some(if html { link_html.clone() } else { link_text.clone() }),
            "temporary_password" => Some(if html { temp_html.clone() } else { temp_text.clone() }),
            "expires" => Some(v(&values.expires)),
            "organisation" => Some(v(&values.organisation)),
            "summary" => Some(v(&values.summary)),
            _ => None,
        })
    };
    RenderedMail { subject: fill(&template.subject, false).replace(['\r', '\n'], " "), text: fill(&template.text, false), html: fill(&template.html, true) }
}

/// A temporary password made from `random` (32 bytes from the caller's random source):
/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I), in groups of five
/// joined by `-`, long enough for any length policy Roster has.
pub fn temporary_password(random: &[u8; 32]) -> Secret<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(23);
    for (i, b) in random.iter().take(20).enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        // 56 symbols: the bias of b % 56 over 256 values is under 2%, and 20 symbols give
        // well over 100 bits.
        out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
    }
    Secret::new(out)
}

fn placeholders_in(s: &str) -> impl Iterator<Item = &str> {
    s.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).filter(|n| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    })
}

fn fill_placeholders(s: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.split_once('}').and_then(|(name, tail)| value(name).map(|v| (v, tail))) {
            Some((v, tail)) => {
                out.push_str(&v);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML text escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> MailValues {
        MailValues {
            first_name: "Zoë".into(),
            username: "zoe".into(),
            email: "zoe@example.com".into(),
            expires: "2026-12-06".into(),
            organisation: "Acme <Ltd>".into(),
            ..MailValues::default()
        }
    }

    #[test]
    fn renders_a_portal_link_in_both_parts_and_escapes_html() {
        let url = PortalUrl::parse("https://login.example.com/reset?user={username}&e={email}").unwrap();
        let v = MailValues { link: Some(url.for_user("zoe", "zoe+x@example.com")), ..values() };
        let m = render(&MailTemplate::default_for(MailKind::Activation), &v);
        assert_eq!(m.subject, "Set up your Acme <Ltd> account");
        assert!(m.text.contains("Set your password here: https://login.example.com/reset?user=zoe&e=zoe%2Bx%40example.com"), "{}", m.text);
        assert!(m.text.contains("Hello Zoë,") && m.text.contains("This expires on 2026-12-06."));
        assert!(m.html.contains("Acme &lt;Ltd&gt;") && m.html.contains("href=\"https://login.example.com/reset?user=zoe&amp;e=zoe%2Bx%40example.com\""), "{}", m.html);
        assert!(!m.text.contains("temporary"));
    }

    #[test]
    fn renders_a_temporary_password_and_hides_it_from_debug() {
        let v = MailValues { temporary_password: Some(temporary_password(&[7; 32])), first_name: String::new(), ..values() };
        let m = render(&MailTemplate::default_for(MailKind::PasswordReset), &v);
        let pw = temporary_password(&[7; 32]);
        assert!(m.text.contains(pw.expose()) && m.html.contains(pw.expose()));
        assert!(m.text.starts_with("Hello zoe,"), "an empty first name reads as the username");
        assert!(!format!("{m:?}").contains(pw.expose()));
    }

    #[test]
    fn temporary_passwords_are_long_and_differ() {
        let a = temporary_password(&[1; 32]);
        let b = temporary_password(&core::array::from_fn(|i| (i as u8).wrapping_mul(37)));
        assert_eq!(a.expose().len(), 23);
        assert_ne!(a.expose(), b.expose());
        assert!(crate::Password::parse(b.expose(), crate::PasswordPolicy::default(), &["zoe"]).is_ok());
        assert!(!b.expose().contains(['0', 'O', '1', 'l', 'I']));
    }

    #[test]
    fn unknown_placeholders_and_missing_parts_are_refused() {
        let e = MailTemplate::parse(MailKind::Welcome, "Hi {first_nmae}", "", "<p>{link}</p>").unwrap_err();
        let got: Vec<(&str, &str)> = e.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(got, [("subject", "invalid_value"), ("text", "required"), ("html", "invalid_value")]);
        assert!(e.iter().next().unwrap().message.contains("{first_nmae} is not a placeholder"));
        assert!(MailTemplate::parse(MailKind::Welcome, "Hi {first_name}", "Welcome {username} {} {Not A Placeholder}", "").is_ok());
        for kind in MailKind::ALL {
            let d = MailTemplate::default_for(kind);
            assert_eq!(MailTemplate::parse(kind, &d.subject, &d.text, &d.html).unwrap(), d, "{kind:?} default is valid");
        }
    }

    #[test]
    fn portal_urls() {
        assert!(PortalUrl::parse("ftp://x").is_err());
        assert!(PortalUrl::parse("https://x/{password}").is_err());
        assert!(PortalUrl::parse("https://x/reset a").is_err());
        assert_eq!(PortalUrl::parse(" https://x/r?u={username} ").unwrap().for_user("a b", ""), "https://x/r?u=a%20b");
        assert_eq!(MailKind::parse("Password-Reset").unwrap(), MailKind::PasswordReset);
    }
}
