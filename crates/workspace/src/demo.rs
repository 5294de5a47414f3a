//! `roster demo`: a living sample directory, for newcomers, tests and benchmarks.
//!
//! The data is a function of the seed and the clock: the same seed gives the same users.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_core::{
    AttributeDefinition, AttributeName, AttributeType, AttributeValue, Attributes, AuditAction, AuditEntity, DeviceLimit,
    Email, GroupName, Password, PasswordPolicy, PersonName, Phone, Region, RoleName, Salt, SecondFactor, Session, User,
    UserId, UserStatus, Username,
};
use roster_store::{AuditRecord, NewGroup};
use serde::Serialize;
use time::Duration;

use crate::progress::{Cancelled, Progress};
use crate::{Error, ErrorCode, Workspace};

/// The password every onboarded demo user has (hashed once, shared by all of them).
pub const DEMO_PASSWORD: &str = "roster-demo-password";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoSummary {
    pub users: u64,
    pub groups: u64,
    pub roles: u64,
    pub sessions: u64,
    pub disabled: u64,
    pub not_onboarded: u64,
}

const FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "David", "Emma", "Farid", "Grace", "Hiro", "Ingrid", "José", "Kavya", "Liam", "Mei", "Noah",
    "Olga", "Priya", "Quentin", "Rosa", "Søren", "Tariq", "Uma", "Valentina", "Wei", "Xavier", "Yuki", "Zoë", "Aarav",
    "Björn", "Chloé", "Dmitri", "Elif", "François", "Giulia", "Hannah", "Ibrahim", "Jana", "Kenji", "Lucía", "Mateo",
    "Nadia", "Oscar", "Paula", "Renée", "Samuel", "Thandiwe", "Łukasz", "Amara", "Ben", "Camila", "Diego",
];
const LAST: &[&str] = &[
    "Smith", "Johnson", "Nguyen", "García", "Müller", "Rossi", "Kowalski", "Tanaka", "Patel", "Okafor", "Dubois", "Silva",
    "Jensen", "Kim", "Ivanova", "Haddad", "O'Brien", "Novak", "Fischer", "Sato", "Khan", "Larsen", "Moreau", "Costa",
    "Schmidt", "Wang", "Hernández", "Nakamura", "Andersson", "Brown", "Singh", "Yilmaz", "Mensah", "Lopez", "Wilson",
    "Taylor", "Chen", "Murphy", "Rahman", "Becker",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];
const GROUPS: &[(&str, &str)] = &[
    ("Engineering", "Builds and runs the product"),
    ("Sales", "Brings in customers"),
    ("Support", "Answers customers"),
    ("Finance", "Money in and out"),
    ("People", "Hiring and HR"),
    ("Marketing", "Tells the world"),
    ("Operations", "Keeps the lights on"),
    ("Legal", "Contracts and compliance"),
    ("All Staff", "Everyone"),
];
const ROLES: &[(&str, &str)] = &[
    ("Employee", "Standard access"),
    ("Manager", "Approves requests for a team"),
    ("Helpdesk", "Resets passwords and MFA"),
    ("Auditor", "Reads logs and reports"),
    ("Directory Admin", "Manages users and groups"),
];
const DEVICES: &[(&str, &str)] = &[
    ("MacBook Pro", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"),
    ("Windows laptop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"),
    ("iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"),
    ("Pixel 9", "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"),
    ("Linux workstation", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
];

/// A valid number in one of several countries. Numbering plans are finer than any short
/// pattern, so candidates are drawn until the core's own parser accepts one.
pub(crate) fn demo_phone(rng: &mut StdRng) -> Phone {
    loop {
        if let Ok(p) = Phone::parse(&phone_candidate(rng), Region::default()) {
            return p;
        }
    }
}

fn phone_candidate(rng: &mut StdRng) -> String {
    // n digits, the first of them 2-9: leading 0s and 1s fall outside most numbering plans.
    let d = |rng: &mut StdRng, n: usize| -> String {
        (0..n).map(|i| char::from(b'0' + if i == 0 { rng.gen_range(2..10) } else { rng.gen_range(0..10) })).collect()
    };
    match rng.gen_range(0..8) {
        0 => format!("+1201555{}", d(rng, 4)), // US
        1 => format!("+447400{}", d(rng, 6)),  // GB mobile
        2 => format!("+4930{}", d(rng, 8)),    // DE Berlin
        3 => format!("+336{}", d(rng, 8)),     // FR mobile
        4 => format!("+9198{}", d(rng, 8)),    // IN mobile
        5 => format!("+8190{}", d(rng, 8)),    // JP mobile
        6 => format!("+6141{}", d(rng, 7)),    // AU mobile
        _ => format!("+346{}", d(rng, 8)),     // ES mobile
    }
}

/// ASCII for a username or an email's local part: "Zoë" → "zoe", "O'Brien" → "obrien".
fn ascii_slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mapped = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => "a",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => "o",
            'ú' | 'ù' | 'û' | 'ü' => "u",
            'ł' | 'Ł' => "l",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            _ => "",
        };
        out.push_str(mapped);
    }
    out
}

impl Workspace {
    /// Fills an empty workspace with `count` users and their groups, roles, attributes
    /// and sessions, all derived from `seed`: about 15% have not onboarded, 5% are
    /// disabled. One transaction: cancelled or failed, nothing is left.
    pub fn seed_demo(&mut self, count: u64, seed: u64, progress: &dyn Progress) -> Result<DemoSummary, Error> {
        let existing = self.store.reader().user_count()?;
        if existing > 0 {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!("This workspace has {existing} users already; demo data goes into an empty workspace (name a new one with --workspace)"),
            ));
        }
        let now = self.clock.now();
        let actor = self.actor.clone();
        let mut rng = StdRng::seed_from_u64(seed);
        let salt = Salt(rng.gen());
        let shared_hash = Password::parse(DEMO_PASSWORD, PasswordPolicy::default(), &[])
            .expect("the demo password meets the default policy")
            .hash(salt);
        let defs = demo_attributes();
        let start = now - Duration::days(730);
        let step = Duration::days(730) / count.max(1) as f64;
        let mut summary = DemoSummary { users: 0, groups: 0, roles: 0, sessions: 0, disabled: 0, not_onboarded: 0 };

        let result = self.store.write(|w| {
            let known = w.reader().attribute_definitions()?;
            for def in &defs {
                if !known.iter().any(|k| k.name == def.name) {
                    w.define_attribute(def, now)?;
                }
            }
            let groups: Vec<GroupName> = GROUPS.iter().map(|(n, _)| GroupName::parse(n).expect("demo group names are valid")).collect();
            for (i, (g, (_, desc))) in groups.iter().zip(GROUPS).enumerate() {
                let id = UserId::from_random_bytes(rng.gen()).to_string();
                w.insert_group(&NewGroup { id: &id, name: g, description: desc, at: start + Duration::hours(i as i64) })?;
            }
            let roles: Vec<RoleName> = ROLES.iter().map(|(n, _)| RoleName::parse(n).expect("demo role names are valid")).collect();
            for (r, (_, desc)) in roles.iter().zip(ROLES) {
                w.insert_role(r, desc, start)?;
            }
            summary.groups = groups.len() as u64;
            summary.roles = roles.len() as u64;

            let mut taken = std::collections::HashMap::<String, u32>::new();
            for i in 0..count {
                if i % 4096 == 0 {
                    if progress.is_cancelled() {
                        return Err(DemoError::Cancelled);
                    }
                    progress.update(i, count);
                }
                let first = FIRST[rng.gen_range(0..FIRST.len())];
                let last = LAST[rng.gen_range(0..LAST.len())];
                let base = format!("{}.{}", ascii_slug(first), ascii_slug(last));
                let n = taken.entry(base.clone()).or_insert(0);
                *n += 1;
                let username = if *n == 1 { base } else { format!("{base}{n}") };
                let created = start + step * (i as f64);
                let onboarded = rng.gen_bool(0.85);
                let disabled = rng.gen_bool(0.05);
                let mut attributes = Attributes::new();
                attributes.insert(&defs[0].name, AttributeValue::String(format!("E{:07}", i + 1)));
                attributes.insert(&defs[1].name, AttributeValue::Number(f64::from(rng.gen_range(100..999) * 10)));
                if rng.gen_bool(0.1) {
                    attributes.insert(&defs[2].name, AttributeValue::Boolean(true));
                }
                attributes.insert(&defs[3].name, AttributeValue::Date(created.date()));
                let phone = rng.gen_bool(0.8).then(|| demo_phone(&mut rng));
                let user = User {
                    id: UserId::from_random_bytes(rng.gen()),
                    username: Username::parse(&username).map_err(|e| DemoError::Data(e.message))?,
                    email: Email::parse(&format!("{username}@{}", DOMAINS[i as usize % DOMAINS.len()]))
                        .map_err(|e| DemoError::Data(e.message))?,
                    first_name: PersonName::parse_optional(first, "firstName", "First name").map_err(|e| DemoError::Data(e.message))?,
                    last_name: PersonName::parse_optional(last, "lastName", "Last name").map_err(|e| DemoError::Data(e.message))?,
                    phone,
                    status: if disabled { UserStatus::Disabled } else { UserStatus::Active },
                    password: onboarded.then(|| shared_hash.clone()),
                    password_expires_at: (onboarded && rng.gen_bool(0.05)).then(|| (now + Duration::days(rng.gen_range(1..180))).date()),
                    second_factor: if onboarded { SecondFactor::ALL[rng.gen_range(0..SecondFactor::ALL.len())] } else { SecondFactor::None },
                    mfa_enrolled: onboarded && rng.gen_bool(0.6),
                    device_limit: rng.gen_bool(0.1).then(|| DeviceLimit::new(rng.gen_range(1..=10)).expect("1..=10 is in range")),
                    attributes,
                    groups: Vec::new(),
                    roles: Vec::new(),
                    created_at: created,
                    updated_at: created,
                    version: 1,
                };
                w.insert_user(&user)?;
                w.add_member(&groups[groups.len() - 1], &user.id)?;
                w.add_member(&groups[rng.gen_range(0..groups.len() - 1)], &user.id)?;
                w.assign_role(&roles[if rng.gen_bool(0.9) { 0 } else { rng.gen_range(1..roles.len()) }], &user.id)?;
                if onboarded && !disabled && rng.gen_bool(0.4) {
                    for s in 0..rng.gen_range(1..=3) {
                        let (device, agent) = DEVICES[rng.gen_range(0..DEVICES.len())];
                        let started = now - Duration::minutes(rng.gen_range(5..20_000));
                        w.insert_session(
                            &user.id,
                            &Session {
                                id: format!("s-{}-{s}", user.id),
                                device: device.to_owned(),
                                ip: format!("192.0.2.{}", rng.gen_range(1..255)),
                                user_agent: agent.to_owned(),
                                started_at: started,
                                last_seen_at: started + Duration::minutes(rng.gen_range(0..300)),
                            },
                        )?;
                        summary.sessions += 1;
                    }
                }
                summary.users += 1;
                summary.disabled += u64::from(disabled);
                summary.not_onboarded += u64::from(!onboarded);
            }
            progress.update(count, count);
            w.append_audit(&AuditRecord {
                at: now,
                actor: &actor,
                entity: AuditEntity::User,
                entity_id: "*",
                subject: "*",
                action: AuditAction::Seed.as_str(),
                summary: &format!("Added {count} demo users"),
                before: None,
                after: Some(serde_json::to_string(&summary).expect("summary serialises")),
            })?;
            Ok(())
        });
        match result {
            Ok(()) => Ok(summary),
            Err(DemoError::Cancelled) => Err(Error::new(ErrorCode::Usage, "Cancelled: no demo data was added")),
            Err(DemoError::Store(e)) => Err(e.into()),
            Err(DemoError::Data(m)) => Err(Error::new(ErrorCode::Internal, format!("demo data failed its own rules: {m}"))),
        }
    }
}

fn demo_attributes() -> Vec<AttributeDefinition> {
    [("employeeId", AttributeType::String), ("costCenter", AttributeType::Number), ("contractor", AttributeType::Boolean), ("startDate", AttributeType::Date)]
        .into_iter()
        .map(|(n, kind)| AttributeDefinition { name: AttributeName::parse(n).expect("demo attribute names are valid"), kind, required: false })
        .collect()
}

enum DemoError {
    Cancelled,
    Store(roster_store::StoreError),
    Data(String),
}

impl From<roster_store::StoreError> for DemoError {
    fn from(e: roster_store::StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<Cancelled> for DemoError {
    fn from(_: Cancelled) -> Self {
        Self::Cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_phones_come_from_several_countries() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut countries = std::collections::HashSet::new();
        let mut accepted = 0;
        for _ in 0..2000 {
            let candidate = phone_candidate(&mut rng);
            if let Ok(p) = Phone::parse(&candidate, Region::default()) {
                accepted += 1;
                countries.insert(p.as_e164()[..3].to_owned());
            }
        }
        assert!(accepted > 1500, "most candidates are valid numbers, so demo_phone stays fast: {accepted}/2000");
        assert!(countries.len() >= 6, "several countries: {countries:?}");
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(ascii_slug("Zoë"), "zoe");
        assert_eq!(ascii_slug("O'Brien"), "obrien");
        assert_eq!(ascii_slug("Łukasz"), "lukasz");
        assert_eq!(ascii_slug("Hernández"), "hernandez");
    }
}
