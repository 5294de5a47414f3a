//! Searching users, fast at a million.
//!
//! A search's matches come from the FTS5 index as a set of seqs; the page must then follow
//! the chosen sort. Letting SQLite join and sort costs a random row lookup per match, and a
//! three-letter prefix can match tens of thousands of users. So:
//! - few matches (at most [`FEW`]): read each match's sort key and sort them here;
//! - creation order: the matches already come in seq order;
//! - many matches: walk the sort column's order, kept in memory as the list of seqs in
//!   (column NOCASE, seq) order, and keep those in the match set until the page is full.
//!   Walking an array is cheap even when the matches cluster at its far end (searching
//!   "zoe" in a list sorted by username that starts with first names).
//!
//! The orders are read from the covering indexes once (about 0.1 s per column for a million
//! users) and kept until the workspace changes: [`SortOrders`] is stamped with SQLite's
//! `data_version` (other connections' commits) and this connection's `total_changes`.
//! The same filters and keyset cursor apply as for an unsearched list, with the same order.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use rusqlite::types::Value;

use crate::page::{Cursor, Direction, Page, SortKey, UserQuery};
use crate::users::{read_user_row, sort_value, UserRow, USER_COLUMNS};
use crate::{Reader, StoreError};

/// Up to this many matches, sorting them beats walking an order.
const FEW: usize = 2000;

/// The stamp the cached orders were made at, and each sort column's order of seqs.
type Orders = (Option<(i64, u64)>, HashMap<&'static str, Arc<Vec<i64>>>);

/// Seqs in the order of each sort column, valid while the stamp holds.
#[derive(Default)]
pub(crate) struct SortOrders(RefCell<Orders>);

/// SQLite's NOCASE collation: bytes compared with ASCII letters folded to lower case.
fn nocase(a: &str, b: &str) -> Ordering {
    a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Is (key, seq) past the cursor in the query's direction?
fn after_cursor(key: &str, seq: i64, cursor: Option<&Cursor>, sort: SortKey, dir: Direction) -> bool {
    let Some(c) = cursor else { return true };
    let ord = if sort == SortKey::CreatedAt { seq.cmp(&c.seq) } else { nocase(key, &c.key).then(seq.cmp(&c.seq)) };
    match dir {
        Direction::Asc => ord == Ordering::Greater,
        Direction::Desc => ord == Ordering::Less,
    }
}

impl Reader<'_> {
    pub(crate) fn search_users(&self, q: &UserQuery, fts: &str) -> Result<Page, StoreError> {
        let limit = q.limit.max(1);
        let cursor = q.after.as_ref().filter(|c| c.sort == q.sort && c.direction == q.direction);
        let mut matches: Vec<i64> = self
            .conn
            .prepare_cached("SELECT rowid FROM users_search WHERE users_search MATCH ?1 ORDER BY rowid")?
            .query_map([fts], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if let Some(group) = &q.filter.group {
            let ids: Rc<Vec<Value>> = Rc::new(matches.iter().copied().map(Value::from).collect());
            matches = self
                .conn
                .prepare_cached(
                    "SELECT m.user_seq FROM group_members m JOIN groups g ON g.seq = m.group_seq
                     WHERE g.name = ?1 AND m.user_seq IN rarray(?2) ORDER BY m.user_seq",
                )?
                .query_map(rusqlite::params![group, ids], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
        }
        let mut chosen = match self.orders {
            _ if q.sort == SortKey::CreatedAt => self.walk(q, &matches, &matches, cursor, limit + 1)?,
            Some(orders) if matches.len() > FEW => {
                let order = self.sort_order(orders, q.sort)?;
                self.walk(q, &order, &matches, cursor, limit + 1)?
            }
            _ => self.sort_matches(q, &matches, cursor, limit + 1)?,
        };
        let has_more = chosen.len() > limit;
        chosen.truncate(limit);
        let rows = self.rows_by_seq(&chosen)?;
        let next = if has_more {
            rows.last().map(|last| Cursor { sort: q.sort, direction: q.direction, key: sort_value(&last.user, q.sort), seq: last.seq })
        } else {
            None
        };
        let mut users = Vec::with_capacity(rows.len());
        for mut ur in rows {
            self.attach_memberships(&mut ur)?;
            users.push(ur.user);
        }
        Ok(Page { users, next })
    }

    /// Few matches (or creation order): read each match's sort key and filter columns, sort here.
    fn sort_matches(&self, q: &UserQuery, matches: &[i64], cursor: Option<&Cursor>, take: usize) -> Result<Vec<i64>, StoreError> {
        let col = if q.sort == SortKey::CreatedAt { "''" } else { q.sort.column() };
        let sql = format!("SELECT seq, {col}, status, password_hash IS NOT NULL FROM users WHERE seq IN rarray(?1)");
        let ids: Rc<Vec<Value>> = Rc::new(matches.iter().copied().map(Value::from).collect());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut keyed: Vec<(String, i64)> = Vec::with_capacity(matches.len());
        let mut rows = stmt.query([ids])?;
        while let Some(r) = rows.next()? {
            let (seq, key): (i64, String) = (r.get(0)?, r.get(1)?);
            let status: String = r.get(2)?;
            let onboarded: bool = r.get(3)?;
            if self.passes(q, &status, onboarded) && after_cursor(&key, seq, cursor, q.sort, q.direction) {
                keyed.push((key, seq));
            }
        }
        let by_key = |a: &(String, i64), b: &(String, i64)| {
            if q.sort == SortKey::CreatedAt { a.1.cmp(&b.1) } else { nocase(&a.0, &b.0).then(a.1.cmp(&b.1)) }
        };
        match q.direction {
            Direction::Asc => keyed.sort_unstable_by(by_key),
            Direction::Desc => keyed.sort_unstable_by(|a, b| by_key(b, a)),
        }
        Ok(keyed.into_iter().take(take).map(|(_, seq)| seq).collect())
    }

    /// The seqs of all users in (column NOCASE, seq) order, from the cache or the index.
    fn sort_order(&self, orders: &SortOrders, sort: SortKey) -> Result<Arc<Vec<i64>>, StoreError> {
        let version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let stamp = (version, self.conn.total_changes());
        let mut cache = orders.0.borrow_mut();
        if cache.0 != Some(stamp) {
            cache.1.clear();
            cache.0 = Some(stamp);
        }
        let col = sort.column();
        if let Some(order) = cache.1.get(col) {
            return Ok(Arc::clone(order));
        }
        let order: Vec<i64> = self
            .conn
            .prepare(&format!("SELECT seq FROM users ORDER BY {col}, seq"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let order = Arc::new(order);
        cache.1.insert(col, Arc::clone(&order));
        Ok(order)
    }

    /// Walks `order` (ascending; backwards for a descending sort) from just past the cursor,
    /// keeping the seqs that are in `matches` and pass the filters, until `take` are found.
    fn walk(&self, q: &UserQuery, order: &[i64], matches: &[i64], cursor: Option<&Cursor>, take: usize) -> Result<Vec<i64>, StoreError> {
        let max = matches.last().copied().unwrap_or(0).max(0) as usize;
        let mut set = vec![0u64; max / 64 + 1];
        for &s in matches {
            set[s as usize / 64] |= 1 << (s as usize % 64);
        }
        let contains = |s: i64| s >= 0 && (s as usize) <= max && set[s as usize / 64] & (1 << (s as usize % 64)) != 0;
        // Where the walk starts: the first position past the cursor, in walking order.
        let start = match cursor {
            None => 0,
            Some(c) => {
                let before = |ord: Ordering| match q.direction {
                    Direction::Asc => ord != Ordering::Greater,
                    Direction::Desc => ord == Ordering::Less,
                };
                let n = self.count_before(q.sort, order, c, before)?;
                match q.direction {
                    Direction::Asc => n,
                    Direction::Desc => order.len() - n,
                }
            }
        };
        let filtered = q.filter.status.is_some() || q.filter.onboarded.is_some();
        let mut check = self.conn.prepare_cached("SELECT status, password_hash IS NOT NULL FROM users WHERE seq = ?1")?;
        let walk: Box<dyn Iterator<Item = &i64>> = match q.direction {
            Direction::Asc => Box::new(order.iter().skip(start)),
            Direction::Desc => Box::new(order.iter().rev().skip(start)),
        };
        let mut out = Vec::with_capacity(take);
        for &seq in walk {
            if !contains(seq) {
                continue;
            }
            if filtered {
                let (status, onboarded): (String, bool) = check.query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
                if !self.passes(q, &status, onboarded) {
                    continue;
                }
            }
            out.push(seq);
            if out.len() == take {
                break;
            }
        }
        Ok(out)
    }

    /// How many entries of the ascending `order` compare to the cursor's (key, seq) as
    /// `before` says (at or before it for an ascending walk; strictly before it for a
    /// descending one, which skips the rest of the reversed order). A binary search: about
    /// twenty key lookups for a million users, and right even if the cursor's row is gone.
    fn count_before(&self, sort: SortKey, order: &[i64], c: &Cursor, before: impl Fn(Ordering) -> bool) -> Result<usize, StoreError> {
        if sort == SortKey::CreatedAt {
            return Ok(order.partition_point(|&s| before(s.cmp(&c.seq))));
        }
        let mut key_of = self.conn.prepare_cached(&format!("SELECT {} FROM users WHERE seq = ?1", sort.column()))?;
        let mut failure = None;
        let pos = order.partition_point(|&s| match key_of.query_row([s], |r| r.get::<_, String>(0)) {
            Ok(k) => before(nocase(&k, &c.key).then(s.cmp(&c.seq))),
            Err(e) => {
                failure.get_or_insert(e);
                false
            }
        });
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(pos),
        }
    }

    fn passes(&self, q: &UserQuery, status: &str, onboarded: bool) -> bool {
        q.filter.status.is_none_or(|s| s.as_str() == status) && q.filter.onboarded.is_none_or(|o| o == onboarded)
    }

    /// The rows of these seqs, in the order given.
    fn rows_by_seq(&self, seqs: &[i64]) -> Result<Vec<UserRow>, StoreError> {
        let defs = self.attribute_definitions()?;
        let ids: Rc<Vec<Value>> = Rc::new(seqs.iter().copied().map(Value::from).collect());
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE seq IN rarray(?1)"))?;
        let mut rows = stmt.query([ids])?;
        let mut found = Vec::with_capacity(seqs.len());
        while let Some(r) = rows.next()? {
            found.push(read_user_row(r, &defs)?);
        }
        let position = |seq: i64| seqs.iter().position(|s| *s == seq).unwrap_or(usize::MAX);
        found.sort_by_key(|ur| position(ur.seq));
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nocase_folds_ascii_only_like_sqlite() {
        assert_eq!(nocase("Smith", "smith"), Ordering::Equal);
        assert_eq!(nocase("a", "B"), Ordering::Less);
        assert_eq!(nocase("Zoë", "zoe"), Ordering::Greater, "non-ASCII compares by bytes");
        assert_eq!(nocase("ab", "abc"), Ordering::Less);
    }
}
