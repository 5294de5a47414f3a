//! Custom attributes: workspace-defined, typed fields on every user.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::field::{has_control_chars, non_blank, FieldCode, FieldError, FieldErrors};
use crate::Date;

/// An attribute's name: a letter, then up to 63 letters, digits or underscores
/// (`costCenter`, `employee_id`). Unique in a workspace regardless of case.
#[derive(Clone)]
pub struct AttributeName(String);

crate::field::case_insensitive_text!(AttributeName);

impl AttributeName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const FIELD: &str = "name";
        let Some(s) = non_blank(raw) else {
            return Err(FieldError::new(FIELD, FieldCode::Required, "Enter an attribute name"));
        };
        if s.len() > 64 {
            return Err(FieldError::new(FIELD, FieldCode::TooLong, "Attribute name must be 64 characters or fewer"));
        }
        let valid = s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(FieldError::new(
                FIELD,
                FieldCode::InvalidCharacters,
                "Attribute name must start with a letter and contain only letters, digits and _",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The field name an error about this attribute's value is reported under.
    pub fn field(&self) -> String {
        format!("attributes.{}", self.0)
    }
}


#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    String,
    Number,
    Boolean,
    Date,
}

impl AttributeType {
    pub const ALL: [Self; 4] = [Self::String, Self::Number, Self::Boolean, Self::Date];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Date => "date",
        }
    }
}

impl FromStr for AttributeType {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            FieldError::new("type", FieldCode::InvalidValue, format!("\"{s}\" is not a type: use string, number, boolean or date"))
        })
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDefinition {
    pub name: AttributeName,
    pub kind: AttributeType,
    pub required: bool,
}

/// A typed attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    String(String),
    Number(f64),
    Boolean(bool),
    Date(Date),
}

impl AttributeValue {
    pub const MAX_STRING_LEN: usize = 1024;

    /// Reads `raw` as a value of `def`'s type. Blank input is handled by the caller.
    pub fn parse(def: &AttributeDefinition, raw: &str) -> Result<Self, FieldError> {
        let field = def.name.field();
        let name = def.name.as_str();
        let s = raw.trim();
        match def.kind {
            AttributeType::String => {
                if s.chars().count() > Self::MAX_STRING_LEN {
                    Err(FieldError::new(field, FieldCode::TooLong, format!("{name} must be {} characters or fewer", Self::MAX_STRING_LEN)))
                } else if has_control_chars(s) {
                    Err(FieldError::new(field, FieldCode::InvalidCharacters, format!("{name} cannot contain control characters")))
                } else {
                    Ok(Self::String(s.to_owned()))
                }
            }
            AttributeType::Number => match s.parse::<f64>() {
                Ok(n) if n.is_finite() && !s.starts_with(['+', '.']) && !s.to_ascii_lowercase().contains("inf") => Ok(Self::Number(n)),
                _ => Err(FieldError::new(field, FieldCode::InvalidNumber, format!("{name} must be a number, like 42 or 3.5 (got \"{s}\")"))),
            },
            AttributeType::Boolean => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Ok(Self::Boolean(true)),
                "false" | "no" | "n" | "0" => Ok(Self::Boolean(false)),
                _ => Err(FieldError::new(field, FieldCode::InvalidBoolean, format!("{name} must be true or false (got \"{s}\")"))),
            },
            AttributeType::Date => parse_date(s).map(Self::Date).map_err(|_| {
                FieldError::new(field, FieldCode::InvalidDate, format!("{name} must be a date as YYYY-MM-DD (got \"{s}\")"))
            }),
        }
    }

    pub fn kind(&self) -> AttributeType {
        match self {
            Self::String(_) => AttributeType::String,
            Self::Number(_) => AttributeType::Number,
            Self::Boolean(_) => AttributeType::Boolean,
            Self::Date(_) => AttributeType::Date,
        }
    }
}

impl fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => f.write_str(s),
            Self::Number(n) => write!(f, "{n}"),
            Self::Boolean(b) => write!(f, "{b}"),
            Self::Date(d) => f.write_str(&format_date(*d)),
        }
    }
}

const DATE_FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Result<Date, time::error::Parse> {
    Date::parse(s.trim(), DATE_FORMAT)
}

pub(crate) fn format_date(d: Date) -> String {
    d.format(DATE_FORMAT).expect("a Date always formats as YYYY-MM-DD")
}

/// A user's attribute values, keyed by the defined name's spelling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes(BTreeMap<String, AttributeValue>);

impl Attributes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    pub fn insert(&mut self, name: &AttributeName, value: AttributeValue) {
        self.remove(name.as_str());
        self.0.insert(name.as_str().to_owned(), value);
    }

    pub fn remove(&mut self, name: &str) -> Option<AttributeValue> {
        let key = self.0.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()?;
        self.0.remove(&key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttributeValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Applies `NAME=VALUE` inputs to `self` (the current values; empty for a new user).
    /// A blank value clears the attribute. Unknown names, values of the wrong type and
    /// missing required attributes are all reported, not just the first.
    pub fn apply_inputs(
        mut self,
        inputs: &[(String, String)],
        defs: &[AttributeDefinition],
        errors: &mut FieldErrors,
    ) -> Self {
        for (raw_name, raw_value) in inputs {
            let Some(def) = defs.iter().find(|d| d.name.as_str().eq_ignore_ascii_case(raw_name.trim())) else {
                let known: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
                let hint = if known.is_empty() {
                    "no custom attributes are defined in this workspace".to_owned()
                } else {
                    format!("defined attributes: {}", known.join(", "))
                };
                errors.push(FieldError::new(
                    format!("attributes.{}", raw_name.trim()),
                    FieldCode::UnknownAttribute,
                    format!("\"{}\" is not a custom attribute ({hint})", raw_name.trim()),
                ));
                continue;
            };
            if raw_value.trim().is_empty() {
                self.remove(def.name.as_str());
            } else if let Some(v) = errors.take(AttributeValue::parse(def, raw_value)) {
                self.insert(&def.name, v);
            }
        }
        for def in defs.iter().filter(|d| d.required) {
            let attempted = inputs.iter().any(|(n, v)| n.trim().eq_ignore_ascii_case(def.name.as_str()) && !v.trim().is_empty());
            if self.get(def.name.as_str()).is_none() && !attempted {
                errors.push(FieldError::new(
                    def.name.field(),
                    FieldCode::Required,
                    format!("Enter a value for {}", def.name),
                ));
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, kind: AttributeType, required: bool) -> AttributeDefinition {
        AttributeDefinition { name: AttributeName::parse(name).unwrap(), kind, required }
    }

    #[test]
    fn values_by_type() {
        let cases: &[(AttributeType, &str, Result<AttributeValue, FieldCode>)] = &[
            (AttributeType::Number, "42", Ok(AttributeValue::Number(42.0))),
            (AttributeType::Number, "-3.5", Ok(AttributeValue::Number(-3.5))),
            (AttributeType::Number, "abc", Err(FieldCode::InvalidNumber)),
            (AttributeType::Number, "NaN", Err(FieldCode::InvalidNumber)),
            (AttributeType::Number, "inf", Err(FieldCode::InvalidNumber)),
            (AttributeType::Boolean, "Yes", Ok(AttributeValue::Boolean(true))),
            (AttributeType::Boolean, "0", Ok(AttributeValue::Boolean(false))),
            (AttributeType::Boolean, "maybe", Err(FieldCode::InvalidBoolean)),
            (AttributeType::Date, "2026-02-28", Ok(AttributeValue::Date(time::macros::date!(2026 - 02 - 28)))),
            (AttributeType::Date, "2026-02-30", Err(FieldCode::InvalidDate)),
            (AttributeType::Date, "28/02/2026", Err(FieldCode::InvalidDate)),
            (AttributeType::String, " Finance ", Ok(AttributeValue::String("Finance".into()))),
            (AttributeType::String, "a\nb", Err(FieldCode::InvalidCharacters)),
        ];
        for (kind, raw, expected) in cases {
            let got = AttributeValue::parse(&def("x", *kind, false), raw).map_err(|e| e.code);
            assert_eq!(&got, expected, "{kind} {raw:?}");
        }
    }

    #[test]
    fn number_error_names_the_attribute_field() {
        let e = AttributeValue::parse(&def("costCenter", AttributeType::Number, false), "abc").unwrap_err();
        assert_eq!(e.field, "attributes.costCenter");
        assert!(e.message.contains("costCenter must be a number"), "{}", e.message);
    }

    #[test]
    fn apply_inputs_reports_every_problem() {
        let defs = [
            def("costCenter", AttributeType::Number, true),
            def("badge", AttributeType::String, true),
            def("contractor", AttributeType::Boolean, false),
        ];
        let inputs = vec![
            ("COSTCENTER".to_owned(), "abc".to_owned()),
            ("shoeSize".to_owned(), "9".to_owned()),
            ("contractor".to_owned(), "yes".to_owned()),
        ];
        let mut errors = FieldErrors::new();
        let attrs = Attributes::new().apply_inputs(&inputs, &defs, &mut errors);
        let codes: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("attributes.costCenter", FieldCode::InvalidNumber),
                ("attributes.shoeSize", FieldCode::UnknownAttribute),
                ("attributes.badge", FieldCode::Required),
            ]
        );
        assert_eq!(attrs.get("contractor"), Some(&AttributeValue::Boolean(true)));
    }

    #[test]
    fn blank_clears_and_names_are_case_insensitive() {
        let defs = [def("costCenter", AttributeType::Number, false)];
        let mut errors = FieldErrors::new();
        let attrs = Attributes::new().apply_inputs(&[("costcenter".into(), "7".into())], &defs, &mut errors);
        assert_eq!(attrs.iter().next().unwrap().0, "costCenter", "stored under the defined spelling");
        let attrs = attrs.apply_inputs(&[("CostCenter".into(), " ".into())], &defs, &mut errors);
        assert!(attrs.is_empty());
        assert!(errors.is_empty());
    }

    #[test]
    fn attribute_names() {
        assert!(AttributeName::parse("employee_id").is_ok());
        assert_eq!(AttributeName::parse("9lives").unwrap_err().code, FieldCode::InvalidCharacters);
        assert_eq!(AttributeName::parse("cost center").unwrap_err().code, FieldCode::InvalidCharacters);
        assert_eq!(AttributeName::parse("Cost").unwrap(), AttributeName::parse("cOST").unwrap());
        assert_eq!("NUMBER".parse::<AttributeType>().unwrap(), AttributeType::Number);
        assert!("float".parse::<AttributeType>().is_err());
    }
}
