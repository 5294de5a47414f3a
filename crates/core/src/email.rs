//! Email addresses.

use crate::field::{non_blank, FieldCode, FieldError};

/// An email address in the form a directory accepts: `local@domain`, ASCII, at most 254
/// characters, a dot-atom local part (no quoted strings) and a domain of at least two
/// labels of letters, digits and inner hyphens. Kept as typed; compares ignoring case.
#[derive(Clone)]
pub struct Email(String);

crate::field::case_insensitive_text!(Email);

impl Email {
    pub const MAX_LEN: usize = 254;
    const FIELD: &'static str = "email";

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let Some(s) = non_blank(raw) else {
            return Err(FieldError::new(Self::FIELD, FieldCode::Required, "Enter an email address"));
        };
        let invalid = |why: &str| {
            FieldError::new(
                Self::FIELD,
                FieldCode::InvalidEmail,
                format!("Enter an email address in the correct format, like name@example.com ({why})"),
            )
        };
        if s.len() > Self::MAX_LEN {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::TooLong,
                format!("Email address must be {} characters or fewer", Self::MAX_LEN),
            ));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(invalid("it has no @"));
        };
        if local.is_empty() {
            return Err(invalid("nothing before the @"));
        }
        if local.len() > 64 {
            return Err(invalid("the part before the @ is longer than 64 characters"));
        }
        const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-.";
        if let Some(c) = local.chars().find(|c| !(c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(*c))) {
            return Err(invalid(&format!(
                "{} is not allowed before the @",
                crate::username::describe_char(c)
            )));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(invalid("dots before the @ cannot lead, trail or repeat"));
        }
        if domain.is_empty() {
            return Err(invalid("nothing after the @"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(invalid("the domain needs a dot, like example.com"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(invalid(&format!("\"{domain}\" is not a valid domain")));
            }
        }
        if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
            return Err(invalid(&format!("\"{domain}\" is not a valid domain")));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Result<&str, FieldCode>)] = &[
            ("alice@example.com", Ok("alice@example.com")),
            (" Alice.Smith+hr@Mail.Example.co.uk ", Ok("Alice.Smith+hr@Mail.Example.co.uk")),
            ("o'brien@example.ie", Ok("o'brien@example.ie")),
            ("a@b-c.io", Ok("a@b-c.io")),
            ("", Err(FieldCode::Required)),
            ("alice", Err(FieldCode::InvalidEmail)),
            ("alice@", Err(FieldCode::InvalidEmail)),
            ("@example.com", Err(FieldCode::InvalidEmail)),
            ("alice@localhost", Err(FieldCode::InvalidEmail)),
            ("alice@@example.com", Err(FieldCode::InvalidEmail)),
            ("al ice@example.com", Err(FieldCode::InvalidEmail)),
            ("alice..b@example.com", Err(FieldCode::InvalidEmail)),
            (".alice@example.com", Err(FieldCode::InvalidEmail)),
            ("alice@-example.com", Err(FieldCode::InvalidEmail)),
            ("alice@example..com", Err(FieldCode::InvalidEmail)),
            ("alice@1.2.3.4", Err(FieldCode::InvalidEmail)),
            ("zoë@example.com", Err(FieldCode::InvalidEmail)),
            ("not an email", Err(FieldCode::InvalidEmail)),
        ];
        for (input, expected) in cases {
            let got = Email::parse(input).map(|e| e.as_str().to_owned()).map_err(|e| e.code);
            assert_eq!(got, expected.map(str::to_owned), "input {input:?}");
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert_eq!(Email::parse(&long).unwrap_err().code, FieldCode::TooLong);
    }

    #[test]
    fn compares_ignoring_case() {
        assert_eq!(Email::parse("A@Example.COM").unwrap(), Email::parse("a@example.com").unwrap());
    }
}
