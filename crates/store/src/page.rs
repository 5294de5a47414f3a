//! Listing users: filters, sort orders and keyset paging.
//!
//! Pages are found by the sort key of the last row seen (a keyset), never by OFFSET, so the
//! thousandth page of a million users costs what the first does.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use roster_core::{User, UserStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Username,
    Email,
    FirstName,
    LastName,
    /// Creation order.
    CreatedAt,
}

impl SortKey {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::CreatedAt => "seq",
        }
    }

    fn tag(self) -> char {
        match self {
            Self::Username => 'u',
            Self::Email => 'e',
            Self::FirstName => 'f',
            Self::LastName => 'l',
            Self::CreatedAt => 'c',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Words that must each start a word of the username, email, names or phone.
    pub search: Option<String>,
    pub status: Option<UserStatus>,
    pub onboarded: Option<bool>,
    /// Only members of this group (by name, any case).
    pub group: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub filter: UserFilter,
    pub sort: SortKey,
    pub direction: Direction,
    pub limit: usize,
    pub after: Option<Cursor>,
}

/// Where a page ends: the sort key and seq of its last row, for the page after it.
/// Opaque to callers; it is only valid with the same sort and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub(crate) sort: SortKey,
    pub(crate) direction: Direction,
    pub(crate) key: String,
    pub(crate) seq: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let d = match self.direction {
            Direction::Asc => 'a',
            Direction::Desc => 'd',
        };
        URL_SAFE_NO_PAD.encode(format!("{}{}{}:{}", self.sort.tag(), d, self.seq, self.key))
    }

    /// `None` for text that no page of this sort and direction produced.
    pub fn decode(s: &str, sort: SortKey, direction: Direction) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s.trim()).ok()?).ok()?;
        let mut chars = raw.chars();
        let (t, d) = (chars.next()?, chars.next()?);
        let rest = chars.as_str();
        let (seq, key) = rest.split_once(':')?;
        let cursor = Self { sort, direction, key: key.to_owned(), seq: seq.parse().ok()? };
        let d_ok = matches!((d, direction), ('a', Direction::Asc) | ('d', Direction::Desc));
        (t == sort.tag() && d_ok).then_some(cursor)
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub users: Vec<User>,
    pub next: Option<Cursor>,
}

/// The FTS5 query for free text: each word becomes a quoted prefix term, all required.
/// `None` when the text has no word characters (then nothing is filtered).
pub(crate) fn fts_query(search: &str) -> Option<String> {
    let terms: Vec<String> = search
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_checks_its_sort() {
        let c = Cursor { sort: SortKey::Email, direction: Direction::Desc, key: "a:b@x.org".into(), seq: 42 };
        let s = c.encode();
        assert_eq!(Cursor::decode(&s, SortKey::Email, Direction::Desc), Some(c));
        assert_eq!(Cursor::decode(&s, SortKey::Username, Direction::Desc), None, "a cursor of another sort is refused");
        assert_eq!(Cursor::decode(&s, SortKey::Email, Direction::Asc), None);
        assert_eq!(Cursor::decode("garbage!", SortKey::Email, Direction::Asc), None);
    }

    #[test]
    fn search_text_becomes_prefix_terms() {
        assert_eq!(fts_query("smi").as_deref(), Some("\"smi\"*"));
        assert_eq!(fts_query(" a.smith@Ex ").as_deref(), Some("\"a\"* AND \"smith\"* AND \"Ex\"*"));
        assert_eq!(fts_query("\"; DROP"), Some("\"DROP\"*".to_owned()));
        assert_eq!(fts_query(" -- "), None);
    }
}
