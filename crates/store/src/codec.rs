//! Conversions between domain values and their stored text.

use roster_core::{
    AttributeDefinition, AttributeType, AttributeValue, Attributes, Date, Timestamp,
};
use serde_json::{Map, Number, Value};
use time::format_description::well_known::Rfc3339;

use crate::StoreError;

pub(crate) fn timestamp(t: Timestamp) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).expect("a UTC timestamp always formats as RFC 3339")
}

pub(crate) fn parse_timestamp(s: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(s, &Rfc3339).map_err(|_| StoreError::Corrupt(format!("timestamp {s:?}")))
}

const DATE: &[time::format_description::FormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

pub(crate) fn date(d: Date) -> String {
    d.format(DATE).expect("a Date always formats as YYYY-MM-DD")
}

pub(crate) fn parse_date(s: &str) -> Result<Date, StoreError> {
    Date::parse(s, DATE).map_err(|_| StoreError::Corrupt(format!("date {s:?}")))
}

/// Attribute values as a JSON object: strings, numbers and booleans as themselves, dates
/// as `YYYY-MM-DD` strings (the definition says which strings are dates).
pub(crate) fn attributes_json(attrs: &Attributes) -> String {
    let mut map = Map::new();
    for (name, value) in attrs.iter() {
        let v = match value {
            AttributeValue::String(s) => Value::String(s.clone()),
            AttributeValue::Number(n) => Number::from_f64(*n).map(Value::Number).unwrap_or(Value::Null),
            AttributeValue::Boolean(b) => Value::Bool(*b),
            AttributeValue::Date(d) => Value::String(date(*d)),
        };
        map.insert(name.to_owned(), v);
    }
    Value::Object(map).to_string()
}

/// Reads stored attribute values back, by their definitions. Values of attributes no longer
/// defined are skipped; a value that does not match its type is reported as corrupt.
pub(crate) fn parse_attributes(json: &str, defs: &[AttributeDefinition]) -> Result<Attributes, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("attributes {json:?}"));
    let Value::Object(map) = serde_json::from_str::<Value>(json).map_err(|_| corrupt())? else {
        return Err(corrupt());
    };
    let mut attrs = Attributes::new();
    for (name, value) in map {
        let Some(def) = defs.iter().find(|d| d.name.as_str().eq_ignore_ascii_case(&name)) else { continue };
        let v = match (def.kind, value) {
            (AttributeType::String, Value::String(s)) => AttributeValue::String(s),
            (AttributeType::Number, Value::Number(n)) => AttributeValue::Number(n.as_f64().ok_or_else(corrupt)?),
            (AttributeType::Boolean, Value::Bool(b)) => AttributeValue::Boolean(b),
            (AttributeType::Date, Value::String(s)) => AttributeValue::Date(parse_date(&s)?),
            _ => return Err(corrupt()),
        };
        attrs.insert(&def.name, v);
    }
    Ok(attrs)
}
