//! Group and role names.

use crate::field::{has_control_chars, non_blank, FieldCode, FieldError};

macro_rules! display_name {
    ($(#[$doc:meta])* $ty:ident, $noun:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $ty(String);

        impl $ty {
            pub const MAX_LEN: usize = 128;

            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                let Some(s) = non_blank(raw) else {
                    return Err(FieldError::new($field, FieldCode::Required, concat!("Enter a ", $noun, " name")));
                };
                if s.chars().count() > Self::MAX_LEN {
                    return Err(FieldError::new(
                        $field,
                        FieldCode::TooLong,
                        format!(concat!("A ", $noun, " name must be {} characters or fewer"), Self::MAX_LEN),
                    ));
                }
                if has_control_chars(s) || s.contains(['|', ';']) {
                    return Err(FieldError::new(
                        $field,
                        FieldCode::InvalidCharacters,
                        concat!("A ", $noun, " name cannot contain | ; or control characters"),
                    ));
                }
                Ok(Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        crate::field::case_insensitive_text!($ty);
    };
}

display_name!(
    /// A group's name: 1 to 128 characters, any script; `|` and `;` are kept for lists of
    /// names in one CSV cell.
    GroupName, "group", "name"
);
display_name!(
    /// A role's name, with the same rules as a group's.
    RoleName, "role", "name"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(GroupName::parse(" Ventes Île-de-France ").unwrap().as_str(), "Ventes Île-de-France");
        assert_eq!(GroupName::parse("Sales").unwrap(), GroupName::parse("SALES").unwrap());
        assert_eq!(GroupName::parse("").unwrap_err().code, FieldCode::Required);
        assert_eq!(GroupName::parse("a|b").unwrap_err().code, FieldCode::InvalidCharacters);
        assert_eq!(RoleName::parse(&"r".repeat(129)).unwrap_err().code, FieldCode::TooLong);
        assert!(RoleName::parse("").unwrap_err().message.contains("role"));
    }
}
