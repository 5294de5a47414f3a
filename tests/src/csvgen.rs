//! Deterministic bulk CSV files in Roster's own layout, for tests and the benchmark.
//!
//! Rows look like an HR export: `first.lastN` usernames, `first.lastN@example.com` emails,
//! first and last names from a fixed list (some of them non-ASCII, such as Zoë, Müller, Núñez
//! and O'Brien), a phone number for about half the users (US and UK numbers that
//! libphonenumber accepts, written with spaces), status `active`, and no groups or roles.
//!
//! Everything about user `N` (the user's *index*) follows from the seed and `N` alone, so files
//! made separately agree with each other: an update or delete file with the same seed names
//! users exactly as the add file with that seed created them. The same [`CsvSpec`] always
//! gives the same bytes; nothing reads a clock or an OS random source.
//!
//! ```
//! use roster_tests::csvgen::{write_csv, CsvKind, CsvSpec};
//!
//! let mut add = Vec::new();
//! write_csv(&mut add, &CsvSpec { rows: 3, kind: CsvKind::Add, seed: 7, passwords: false, start: 0 }).unwrap();
//! assert_eq!(String::from_utf8(add).unwrap().lines().count(), 4); // the header and 3 rows
//! ```

use std::io::{self, BufWriter, Write};

/// The header line, the columns of `roster bulk template` in its order.
pub const HEADER: &str = "Action,Username,Email,First Name,Last Name,Phone,Password,Groups,Roles,Status,Second Factor,Device Limit,Password Expiry";

/// What the rows of a file do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    /// Row `k` creates user `start + k`.
    Add,
    /// Row `k` gives user `start + k` another first name and another phone number.
    Update,
    /// Row `k` deletes user `start + k`, named by username and email.
    Delete,
    /// Against the users of the add file with the same seed, start and row count: row `k`
    /// updates user `start + k` when `k % 3 == 0`, deletes it when `k % 3 == 1`, and otherwise
    /// adds user `start + rows + k`, whom the add file did not create.
    Mixed,
}

impl CsvKind {
    /// `add`, `update`, `delete` or `mixed`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "add" => Some(Self::Add),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            "mixed" => Some(Self::Mixed),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Mixed => "mixed",
        }
    }
}

/// A file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvSpec {
    /// Data rows, not counting the header.
    pub rows: u64,
    pub kind: CsvKind,
    pub seed: u64,
    /// Add rows carry a password (16 letters and digits); otherwise the Password cell is empty.
    pub passwords: bool,
    /// The index of the first user the file is about.
    pub start: u64,
}

/// Writes the header and `spec.rows` rows (CRLF-free, `\n` line ends, UTF-8 without BOM).
pub fn write_csv(out: impl Write, spec: &CsvSpec) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "{HEADER}")?;
    for k in 0..spec.rows {
        let index = spec.start + k;
        let action = match spec.kind {
            CsvKind::Mixed => match k % 3 {
                0 => CsvKind::Update,
                1 => CsvKind::Delete,
                _ => CsvKind::Add,
            },
            kind => kind,
        };
        match action {
            CsvKind::Add => {
                let index = if spec.kind == CsvKind::Mixed { spec.start + spec.rows + k } else { index };
                let u = GeneratedUser::new(spec.seed, index, spec.passwords);
                writeln!(
                    out,
                    "add,{},{},{},{},{},{},,,active,,,",
                    u.username,
                    u.email,
                    u.first_name,
                    u.last_name,
                    u.phone.as_deref().unwrap_or(""),
                    u.password.as_deref().unwrap_or("")
                )?;
            }
            CsvKind::Update => {
                let u = GeneratedUser::new(spec.seed, index, false);
                let change = u.update();
                writeln!(out, "update,{},,{},,{},,,,,,,", u.username, change.first_name, change.phone)?;
            }
            CsvKind::Delete | CsvKind::Mixed => {
                let u = GeneratedUser::new(spec.seed, index, false);
                writeln!(out, "delete,{},{},,,,,,,,,,", u.username, u.email)?;
            }
        }
    }
    out.flush()
}

/// User `index` as the add file with `seed` creates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedUser {
    seed: u64,
    pub index: u64,
    pub username: String,
    pub email: String,
    pub first_name: &'static str,
    pub last_name: &'static str,
    /// As written in the file, e.g. `+1 650 253 0142`; `None` for about half the users.
    pub phone: Option<String>,
    pub password: Option<String>,
}

/// What an update row changes: both always differ from the user's current values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedUpdate {
    pub first_name: &'static str,
    pub phone: String,
}

impl GeneratedUser {
    pub fn new(seed: u64, index: u64, passwords: bool) -> Self {
        let mut rng = SplitMix64::for_user(seed, index, Stream::Add);
        let (first_name, first_slug) = FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize];
        let (last_name, last_slug) = LAST_NAMES[rng.below(LAST_NAMES.len() as u64) as usize];
        let username = format!("{first_slug}.{last_slug}{index}");
        let email = format!("{username}@example.com");
        let phone = (rng.below(2) == 0).then(|| phone_number(rng.next()));
        // Drawn even when not wanted, so the other fields do not depend on `passwords`.
        let secret: String = (0..16).map(|_| PASSWORD_CHARS[rng.below(PASSWORD_CHARS.len() as u64) as usize] as char).collect();
        Self { seed, index, username, email, first_name, last_name, phone, password: passwords.then_some(secret) }
    }

    /// The change an update file with the same seed makes to this user.
    pub fn update(&self) -> GeneratedUpdate {
        let mut rng = SplitMix64::for_user(self.seed, self.index, Stream::Update);
        let current = FIRST_NAMES.iter().position(|(name, _)| *name == self.first_name).unwrap_or(0) as u64;
        let n = FIRST_NAMES.len() as u64;
        let first_name = FIRST_NAMES[((current + 1 + rng.below(n - 1)) % n) as usize].0;
        let mut phone = phone_number(rng.next());
        while Some(&phone) == self.phone.as_ref() {
            phone = phone_number(rng.next());
        }
        GeneratedUpdate { first_name, phone }
    }
}

/// A valid number from `r`: three in four `+1 650 253 XXXX` (10,000 numbers), the rest
/// `+44 20 7946 0XXX` (1,000 numbers).
fn phone_number(r: u64) -> String {
    match r % 4 {
        0 => format!("+44 20 7946 0{:03}", (r >> 8) % 1_000),
        _ => format!("+1 650 253 {:04}", (r >> 8) % 10_000),
    }
}

/// (as written, as it appears in a username)
const FIRST_NAMES: &[(&str, &str)] = &[
    ("James", "james"), ("Mary", "mary"), ("Robert", "robert"), ("Patricia", "patricia"),
    ("John", "john"), ("Jennifer", "jennifer"), ("Michael", "michael"), ("Linda", "linda"),
    ("David", "david"), ("Elizabeth", "elizabeth"), ("William", "william"), ("Barbara", "barbara"),
    ("Richard", "richard"), ("Susan", "susan"), ("Joseph", "joseph"), ("Jessica", "jessica"),
    ("Thomas", "thomas"), ("Sarah", "sarah"), ("Carlos", "carlos"), ("Karen", "karen"),
    ("Zoë", "zoe"), ("José", "jose"), ("Chloé", "chloe"), ("Søren", "soren"),
    ("Siobhán", "siobhan"), ("Björn", "bjorn"), ("Ana", "ana"), ("Wei", "wei"),
    ("Priya", "priya"), ("Noah", "noah"), ("Liam", "liam"), ("Emma", "emma"),
    ("Olivia", "olivia"), ("Ava", "ava"), ("Grace", "grace"), ("Kim", "kim"),
    ("Aisha", "aisha"), ("Mateo", "mateo"), ("Hannah", "hannah"), ("Yusuf", "yusuf"),
];

const LAST_NAMES: &[(&str, &str)] = &[
    ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"),
    ("Jones", "jones"), ("Garcia", "garcia"), ("Miller", "miller"), ("Davis", "davis"),
    ("Rodriguez", "rodriguez"), ("Martinez", "martinez"), ("Hernandez", "hernandez"), ("Lopez", "lopez"),
    ("Gonzalez", "gonzalez"), ("Wilson", "wilson"), ("Anderson", "anderson"), ("Taylor", "taylor"),
    ("Thomas", "thomas"), ("Moore", "moore"), ("Jackson", "jackson"), ("Martin", "martin"),
    ("Müller", "muller"), ("Núñez", "nunez"), ("O'Brien", "obrien"), ("Ødegård", "odegard"),
    ("Fernández", "fernandez"), ("Lefèvre", "lefevre"), ("Nowak", "nowak"), ("Rossi", "rossi"),
    ("Tanaka", "tanaka"), ("Patel", "patel"), ("Chen", "chen"), ("Kowalski", "kowalski"),
    ("Dubois", "dubois"), ("Schmidt", "schmidt"), ("Nguyen", "nguyen"), ("Kim", "kim"),
    ("Okafor", "okafor"), ("Ivanova", "ivanova"), ("Andersson", "andersson"), ("Walsh", "walsh"),
];

const PASSWORD_CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Independent draws for the same user: the add file's, and the update file's.
#[derive(Clone, Copy)]
enum Stream {
    Add = 1,
    Update = 2,
}

/// SplitMix64 (Steele, Lea and Flood, 2014): tiny, fast, and the same on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn for_user(seed: u64, index: u64, stream: Stream) -> Self {
        let mut key = SplitMix64(seed ^ (stream as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let base = key.next();
        SplitMix64(base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `0..n` (n > 0); the bias of the modulo is far below what matters here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn csv(rows: u64, kind: CsvKind, seed: u64, passwords: bool, start: u64) -> String {
        let mut out = Vec::new();
        write_csv(&mut out, &CsvSpec { rows, kind, seed, passwords, start }).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn same_spec_same_bytes_other_seed_other_bytes() {
        for kind in [CsvKind::Add, CsvKind::Update, CsvKind::Delete, CsvKind::Mixed] {
            assert_eq!(csv(500, kind, 42, true, 10), csv(500, kind, 42, true, 10), "{kind:?}");
            assert_ne!(csv(500, kind, 42, true, 10), csv(500, kind, 43, true, 10), "{kind:?}");
        }
    }

    #[test]
    fn header_then_one_line_per_row_of_thirteen_cells() {
        for kind in [CsvKind::Add, CsvKind::Update, CsvKind::Delete, CsvKind::Mixed] {
            for rows in [0, 1, 999] {
                let text = csv(rows, kind, 1, false, 0);
                let lines: Vec<&str> = text.lines().collect();
                assert_eq!(lines[0], HEADER);
                assert_eq!(lines.len() as u64, rows + 1, "{kind:?} {rows}");
                for line in &lines {
                    // No cell needs quoting: a comma always separates cells.
                    assert!(!line.contains('"'), "{line}");
                    assert_eq!(line.split(',').count(), 13, "{line}");
                }
            }
        }
    }

    #[test]
    fn add_rows_look_like_hr_data() {
        let text = csv(2000, CsvKind::Add, 5, false, 100);
        let mut usernames = HashSet::new();
        let mut emails = HashSet::new();
        let mut phones = 0;
        let mut non_ascii = 0;
        for (k, line) in text.lines().skip(1).enumerate() {
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!(c[0], "add");
            let username = c[1];
            assert!(username.ends_with(&(100 + k).to_string()), "{username}");
            assert!(username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.'), "{username}");
            assert_eq!(c[2], format!("{username}@example.com"));
            assert!(usernames.insert(username.to_owned()) && emails.insert(c[2].to_owned()));
            non_ascii += usize::from(!c[3].is_ascii() || !c[4].is_ascii());
            if !c[5].is_empty() {
                phones += 1;
                assert!(c[5].starts_with("+1 650 253 ") || c[5].starts_with("+44 20 7946 0"), "{}", c[5]);
            }
            assert_eq!(c[6], "", "no password unless asked");
            assert_eq!((c[7], c[8], c[9]), ("", "", "active"));
        }
        assert!((800..1200).contains(&phones), "about half have a phone: {phones}");
        assert!(non_ascii > 100, "some names are not ASCII: {non_ascii}");
        let names: HashSet<&str> = text.lines().skip(1).flat_map(|l| l.split(',').skip(3).take(2)).collect();
        for name in ["Zoë", "Müller", "Núñez", "O'Brien"] {
            assert!(names.contains(name), "{name}");
        }
    }

    #[test]
    fn passwords_only_when_asked_and_nothing_else_changes() {
        let with = csv(300, CsvKind::Add, 9, true, 0);
        let without = csv(300, CsvKind::Add, 9, false, 0);
        for (a, b) in with.lines().zip(without.lines()).skip(1) {
            let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
            assert_eq!(a[6].len(), 16);
            assert!(a[6].bytes().all(|c| c.is_ascii_alphanumeric()));
            assert_eq!(b[6], "");
            assert_eq!((&a[..6], &a[7..]), (&b[..6], &b[7..]));
        }
    }

    #[test]
    fn updates_and_deletes_name_the_users_the_add_file_created() {
        let add = csv(300, CsvKind::Add, 3, false, 0);
        let added: Vec<Vec<&str>> = add.lines().skip(1).map(|l| l.split(',').collect()).collect();
        let update = csv(100, CsvKind::Update, 3, false, 50);
        for (k, line) in update.lines().skip(1).enumerate() {
            let c: Vec<&str> = line.split(',').collect();
            let user = &added[50 + k];
            assert_eq!((c[0], c[1], c[2]), ("update", user[1], ""));
            assert_ne!(c[3], user[3], "another first name");
            assert!(!c[5].is_empty() && c[5] != user[5], "another phone");
            assert_eq!(c[4], "");
        }
        let delete = csv(100, CsvKind::Delete, 3, false, 200);
        for (k, line) in delete.lines().skip(1).enumerate() {
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!((c[0], c[1], c[2]), ("delete", added[200 + k][1], added[200 + k][2]));
        }
    }

    #[test]
    fn mixed_files_update_delete_and_add_new_users() {
        let add = csv(30, CsvKind::Add, 8, false, 0);
        let existing: HashSet<&str> = add.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
        let mixed = csv(30, CsvKind::Mixed, 8, false, 0);
        let mut seen = HashSet::new();
        for (k, line) in mixed.lines().skip(1).enumerate() {
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!(c[0], ["update", "delete", "add"][k % 3]);
            assert_eq!(existing.contains(c[1]), c[0] != "add", "{line}");
            assert!(seen.insert(c[1].to_owned()), "each user once: {line}");
        }
    }

    #[test]
    fn kinds_parse() {
        assert_eq!(CsvKind::parse("delete"), Some(CsvKind::Delete));
        assert_eq!(CsvKind::parse("mixed"), Some(CsvKind::Mixed));
        assert_eq!(CsvKind::parse("remove"), None);
        for kind in [CsvKind::Add, CsvKind::Update, CsvKind::Delete, CsvKind::Mixed] {
            assert_eq!(CsvKind::parse(kind.as_str()), Some(kind));
        }
    }
}
