//! Phone numbers, stored as E.164 (`+447400123456`).

use std::fmt;
use std::str::FromStr;

use phonenumber::country;

use crate::field::{non_blank, FieldCode, FieldError};

/// A region (ISO 3166-1 alpha-2, such as `US` or `GB`) used to read numbers written
/// without a `+` and country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        country::Id::from_str(&code).map(Self).map_err(|_| {
            FieldError::new(
                "defaultRegion",
                FieldCode::InvalidValue,
                format!("\"{}\" is not a two-letter country code such as US, GB or DE", raw.trim()),
            )
        })
    }

    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

impl Default for Region {
    fn default() -> Self {
        Self(country::Id::US)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A valid phone number, held in E.164 form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    const FIELD: &'static str = "phone";

    /// Reads a number as people write it (`+44 7400 123456`, `(415) 555-2671`,
    /// `0044 7400 123456`); one without a `+` is read in `default_region`.
    pub fn parse(raw: &str, default_region: Region) -> Result<Self, FieldError> {
        let Some(s) = non_blank(raw) else {
            return Err(FieldError::new(Self::FIELD, FieldCode::Required, "Enter a phone number"));
        };
        let invalid = |why: String| FieldError::new(Self::FIELD, FieldCode::InvalidPhone, why);
        if s.chars().any(|c| c.is_ascii_alphabetic() && !matches!(c, 'x' | 'X')) {
            return Err(invalid(format!(
                "\"{s}\" is not a phone number: use digits, with the country code like +44 7400 123456"
            )));
        }
        let number = phonenumber::parse(Some(default_region.0), s).map_err(|_| {
            invalid(format!(
                "\"{s}\" is not a phone number: use digits, with the country code like +44 7400 123456"
            ))
        })?;
        if !phonenumber::is_valid(&number) {
            let place = match number.country().id() {
                Some(id) => id.as_ref().to_owned(),
                None => format!("country code +{}", number.country().code()),
            };
            return Err(invalid(format!("\"{s}\" is not a valid phone number for {place}")));
        }
        Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    /// Rebuilds a number that was stored in E.164 by this type.
    /// A phone as Roster stored it: E.164, which [`Phone::parse`] checked on the way in.
    /// Only its form is checked here (`+`, then 7 to 15 digits, the first not 0): reading a
    /// list of users does not run the phone-number rules again for each of them.
    pub fn from_e164(stored: &str) -> Result<Self, FieldError> {
        let digits = stored.strip_prefix('+').unwrap_or("");
        let well_formed = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if !well_formed {
            return Err(FieldError::new(Self::FIELD, FieldCode::InvalidPhone, format!("\"{stored}\" is not a phone number in E.164 form")));
        }
        Ok(Self(stored.to_owned()))
    }

    pub fn as_e164(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(c: &str) -> Region {
        Region::parse(c).unwrap()
    }

    #[test]
    fn table() {
        // input, default region, expected E.164 or error code
        let cases: &[(&str, &str, Result<&str, FieldCode>)] = &[
            ("+44 7400 123456", "US", Ok("+447400123456")),
            ("07400 123456", "GB", Ok("+447400123456")),
            ("(415) 555-2671", "US", Ok("+14155552671")),
            ("+1 415-555-2671", "DE", Ok("+14155552671")),
            ("030 901820", "DE", Ok("+4930901820")),
            ("+49 30 901820", "US", Ok("+4930901820")),
            ("+33 6 12 34 56 78", "US", Ok("+33612345678")),
            ("+91 98765 43210", "US", Ok("+919876543210")),
            ("+81 90-1234-5678", "US", Ok("+819012345678")),
            ("", "US", Err(FieldCode::Required)),
            ("hello", "US", Err(FieldCode::InvalidPhone)),
            ("123", "US", Err(FieldCode::InvalidPhone)),
            ("+44 123", "US", Err(FieldCode::InvalidPhone)),
            ("+1 555 0100 99999", "US", Err(FieldCode::InvalidPhone)),
            ("+999 1234567", "US", Err(FieldCode::InvalidPhone)),
            ("+44 7700 900123", "US", Err(FieldCode::InvalidPhone)),
        ];
        for (input, reg, expected) in cases {
            let got = Phone::parse(input, region(reg)).map(|p| p.as_e164().to_owned()).map_err(|e| e.code);
            assert_eq!(got, expected.map(str::to_owned), "input {input:?} in {reg}");
        }
    }

    #[test]
    fn round_trips_e164() {
        let p = Phone::parse("+44 7400 123456", Region::default()).unwrap();
        assert_eq!(Phone::from_e164(p.as_e164()).unwrap(), p);
        for bad in ["", "+", "+0123456789", "+12", "4155552671", "+1415555267a", "+1234567890123456"] {
            assert_eq!(Phone::from_e164(bad).unwrap_err().code, FieldCode::InvalidPhone, "{bad:?}");
        }
    }

    #[test]
    fn regions() {
        assert_eq!(region("gb").code(), "GB");
        assert_eq!(Region::parse("XX").unwrap_err().code, FieldCode::InvalidValue);
    }
}
