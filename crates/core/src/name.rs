//! Personal names.

use std::fmt;

use crate::field::{has_control_chars, FieldCode, FieldError};

/// A first or last name: any script, trimmed, at most 100 characters, no control characters.
/// Compared ignoring case for search and sorting by the store.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    /// `Ok(None)` for a blank input: names are optional.
    pub fn parse_optional(raw: &str, field: &str, label: &str) -> Result<Option<Self>, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                FieldCode::TooLong,
                format!("{label} must be {} characters or fewer", Self::MAX_LEN),
            ));
        }
        if has_control_chars(s) {
            return Err(FieldError::new(
                field,
                FieldCode::InvalidCharacters,
                format!("{label} cannot contain control characters such as tabs or line breaks"),
            ));
        }
        Ok(Some(Self(s.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let p = |s| PersonName::parse_optional(s, "firstName", "First name");
        assert_eq!(p("  Zoë ").unwrap().unwrap().as_str(), "Zoë");
        assert_eq!(p("李").unwrap().unwrap().as_str(), "李");
        assert_eq!(p("O'Brien-Smith").unwrap().unwrap().as_str(), "O'Brien-Smith");
        assert!(p("   ").unwrap().is_none());
        assert_eq!(p("a\tb").unwrap_err().code, FieldCode::InvalidCharacters);
        let long = "x".repeat(101);
        assert_eq!(p(&long).unwrap_err().code, FieldCode::TooLong);
        assert_eq!(p(&long).unwrap_err().field, "firstName");
    }
}
