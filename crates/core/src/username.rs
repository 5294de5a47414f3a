//! Usernames: the handle an admin and a remote directory know a user by.

use crate::field::{non_blank, FieldCode, FieldError};

/// A username: 1 to 64 characters, ASCII letters and digits plus `.`, `_`, `-` and `@`,
/// starting with a letter or a digit (so `alice`, `a.smith`, `alice@contoso.com` are valid).
/// Kept as typed; equality, ordering and hashing ignore case, as the store's NOCASE index does.
#[derive(Clone)]
pub struct Username(String);

crate::field::case_insensitive_text!(Username);

impl Username {
    pub const MAX_LEN: usize = 64;
    const FIELD: &'static str = "username";

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let Some(s) = non_blank(raw) else {
            return Err(FieldError::new(Self::FIELD, FieldCode::Required, "Enter a username"));
        };
        if s.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::TooLong,
                format!("Username must be {} characters or fewer", Self::MAX_LEN),
            ));
        }
        if let Some(bad) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))) {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::InvalidCharacters,
                format!(
                    "Username can only contain letters a to z, digits and . _ - @ (found {})",
                    describe_char(bad)
                ),
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::InvalidCharacters,
                "Username must start with a letter or a digit",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(crate) fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".to_owned()
    } else if c.is_control() {
        format!("control character U+{:04X}", c as u32)
    } else {
        format!("\"{c}\"")
    }
}

impl PartialOrd for Username {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Username {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        // input, expected Ok(stored) or Err(code)
        let cases: &[(&str, Result<&str, FieldCode>)] = &[
            ("alice", Ok("alice")),
            ("  Alice.Smith  ", Ok("Alice.Smith")),
            ("alice@contoso.com", Ok("alice@contoso.com")),
            ("a_b-c.9", Ok("a_b-c.9")),
            ("7up", Ok("7up")),
            ("", Err(FieldCode::Required)),
            ("   ", Err(FieldCode::Required)),
            ("al ice", Err(FieldCode::InvalidCharacters)),
            ("zoë", Err(FieldCode::InvalidCharacters)),
            (".alice", Err(FieldCode::InvalidCharacters)),
            ("-x", Err(FieldCode::InvalidCharacters)),
            ("a\u{0}b", Err(FieldCode::InvalidCharacters)),
        ];
        for (input, expected) in cases {
            let got = Username::parse(input).map(|u| u.as_str().to_owned()).map_err(|e| e.code);
            assert_eq!(got, expected.map(str::to_owned), "input {input:?}");
        }
        let long = "a".repeat(65);
        assert_eq!(Username::parse(&long).unwrap_err().code, FieldCode::TooLong);
        assert!(Username::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn compares_ignoring_case() {
        let a = Username::parse("Alice").unwrap();
        let b = Username::parse("aLICE").unwrap();
        assert_eq!(a, b, "usernames are unique regardless of case");
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b), "hash must agree with eq");
        assert!(Username::parse("alice").unwrap() < Username::parse("Bob").unwrap());
    }

    #[test]
    fn message_names_the_bad_character() {
        let e = Username::parse("al ice").unwrap_err();
        assert!(e.message.contains("a space"), "{}", e.message);
        assert_eq!(e.field, "username");
    }
}
