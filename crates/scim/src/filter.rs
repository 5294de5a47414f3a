//! Filters (RFC 7644 §3.4.2.2), built from attribute names and values so a value can never
//! change the filter's meaning.

use std::fmt;

/// A filter expression for `?filter=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(String);

impl Filter {
    /// `attribute eq "value"`, the value quoted and escaped as a JSON string.
    pub fn eq(attribute: &str, value: &str) -> Filter {
        Filter(format!("{attribute} eq {}", quote(value)))
    }

    /// `attribute pr`: the attribute has a value.
    pub fn present(attribute: &str) -> Filter {
        Filter(format!("{attribute} pr"))
    }

    /// `(self) and (other)`.
    pub fn and(self, other: Filter) -> Filter {
        Filter(format!("({}) and ({})", self.0, other.0))
    }

    /// `(self) or (other)`.
    pub fn or(self, other: Filter) -> Filter {
        Filter(format!("({}) or ({})", self.0, other.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn quote(value: &str) -> String {
    serde_json::to_string(value).expect("a string serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_so_they_cannot_change_the_filter() {
        assert_eq!(
            Filter::eq("userName", r#"x" or userName pr or "#).to_string(),
            r#"userName eq "x\" or userName pr or ""#
        );
        assert_eq!(
            Filter::eq("externalId", "a")
                .or(Filter::present("active"))
                .to_string(),
            r#"(externalId eq "a") or (active pr)"#
        );
    }
}
