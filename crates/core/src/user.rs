//! Users: the record, and the drafts and edits that make or change one.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::attribute::{AttributeDefinition, Attributes};
use crate::email::Email;
use crate::field::{non_blank, FieldCode, FieldError, FieldErrors};
use crate::group::{GroupName, RoleName};
use crate::name::PersonName;
use crate::password::{Password, PasswordHash, Salt};
use crate::phone::Phone;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::{Date, Timestamp};

/// A user's permanent id (a random UUID); also the `externalId` a remote directory keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Uuid);

impl UserId {
    /// A version-4 UUID made from sixteen random bytes supplied by the caller.
    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// A UUIDv7 for the `counter`-th user of a batch made at `at` (RFC 9562: the time in
    /// milliseconds, then the counter where the standard allows one, then `random`). A
    /// batch's ids sort in file order, so a million new ids go at the end of the id index
    /// instead of all over it.
    pub fn sequential(at: crate::Timestamp, counter: u32, random: [u8; 6]) -> Self {
        let millis = (at.unix_timestamp_nanos() / 1_000_000).max(0) as u64;
        // The builder keeps 4 bits of byte 0 and 6 bits of byte 2 (the rest is version and
        // variant): the counter fills the bits it keeps, most significant first.
        let c = counter;
        let bytes = [
            (c >> 28) as u8 & 0x0f,
            (c >> 20) as u8,
            (c >> 14) as u8 & 0x3f,
            (c >> 6) as u8,
            ((c as u8 & 0x3f) << 2) | (random[0] & 0x03),
            random[1],
            random[2],
            random[3],
            random[4],
            random[5],
        ];
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid())
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Uuid::parse_str(s.trim())
            .map(Self)
            .map_err(|_| FieldError::new("id", FieldCode::InvalidValue, format!("\"{s}\" is not a user id")))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    /// Cannot sign in anywhere; the account and its data stay.
    Disabled,
}

impl UserStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

impl FromStr for UserStatus {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" | "enabled" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err(FieldError::new("status", FieldCode::InvalidValue, format!("\"{s}\" is not a status: use active or disabled"))),
        }
    }
}

/// The second factor a user is asked for by default when an application requires MFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    None,
    Totp,
    EmailOtp,
    SmsOtp,
    Push,
    HardwareKey,
}

impl SecondFactor {
    pub const ALL: [Self; 6] = [Self::None, Self::Totp, Self::EmailOtp, Self::SmsOtp, Self::Push, Self::HardwareKey];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Totp => "totp",
            Self::EmailOtp => "email_otp",
            Self::SmsOtp => "sms_otp",
            Self::Push => "push",
            Self::HardwareKey => "hardware_key",
        }
    }

    /// The name an admin reads in the console.
    pub const fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Totp => "Authenticator app (TOTP)",
            Self::EmailOtp => "Email one-time code",
            Self::SmsOtp => "SMS one-time code",
            Self::Push => "Push notification",
            Self::HardwareKey => "Hardware security key",
        }
    }
}

impl FromStr for SecondFactor {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        let k = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Self::ALL.into_iter().find(|f| f.as_str() == k).ok_or_else(|| {
            let all: Vec<&str> = Self::ALL.iter().map(|f| f.as_str()).collect();
            FieldError::new("secondFactor", FieldCode::InvalidValue, format!("\"{s}\" is not a second factor: use one of {}", all.join(", ")))
        })
    }
}

/// How many devices a user may register: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeviceLimit(u32);

impl DeviceLimit {
    pub const MAX: u32 = 100;

    pub fn new(n: u32) -> Result<Self, FieldError> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(FieldError::new("deviceLimit", FieldCode::InvalidValue, format!("Device limit must be a whole number from 1 to {}", Self::MAX)))
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        raw.trim().parse::<u32>().map_err(|_| {
            FieldError::new("deviceLimit", FieldCode::InvalidNumber, format!("Device limit must be a whole number from 1 to {} (got \"{}\")", Self::MAX, raw.trim()))
        }).and_then(Self::new)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A user as the workspace holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub username: crate::Username,
    pub email: Email,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub status: UserStatus,
    /// `None` until the user (or an admin) sets a password: the user is not onboarded.
    pub password: Option<PasswordHash>,
    pub password_expires_at: Option<Date>,
    pub second_factor: SecondFactor,
    pub mfa_enrolled: bool,
    /// `None`: the workspace default applies.
    pub device_limit: Option<DeviceLimit>,
    pub attributes: Attributes,
    pub groups: Vec<GroupName>,
    pub roles: Vec<RoleName>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Starts at 1; every change adds one. A write names the version it read, so a change
    /// made meanwhile by someone else is never silently overwritten.
    pub version: u64,
}

impl User {
    /// A user is onboarded once a password is set; until then they cannot sign in.
    pub fn onboarded(&self) -> bool {
        self.password.is_some()
    }

    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n.to_string(),
            (None, None) => self.username.to_string(),
        }
    }
}

/// A new user as typed in a form, a CLI call or a CSV row: raw text, not yet checked.
#[derive(Debug, Clone, Default)]
pub struct UserDraft {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    /// Blank or absent: the user sets a password later through a reset mail.
    pub password: Option<Secret<String>>,
    /// `NAME=VALUE` pairs for custom attributes.
    pub attributes: Vec<(String, String)>,
}

/// A draft that passed every check; only the password still needs hashing.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: crate::Username,
    pub email: Email,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub password: Option<Password>,
    pub attributes: Attributes,
}

impl UserDraft {
    /// Checks every field and reports every problem, in form order.
    pub fn parse(&self, settings: &Settings, defs: &[AttributeDefinition]) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = errors.take(crate::Username::parse(&self.username));
        let email = errors.take(Email::parse(&self.email));
        let first_name = errors.take(PersonName::parse_optional(&self.first_name, "firstName", "First name"));
        let last_name = errors.take(PersonName::parse_optional(&self.last_name, "lastName", "Last name"));
        let phone = errors.take(optional_phone(&self.phone, settings));
        let password = match self.password.as_ref().map(|p| p.expose().as_str()) {
            None | Some("") => Some(None),
            Some(raw) => errors
                .take(Password::parse(raw, settings.password_policy, &[self.username.trim(), self.email.trim()]))
                .map(Some),
        };
        let attributes = Attributes::new().apply_inputs(&self.attributes, defs, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewUser {
            username: username.expect("no errors means parsed"),
            email: email.expect("no errors means parsed"),
            first_name: first_name.flatten(),
            last_name: last_name.flatten(),
            phone: phone.flatten(),
            password: password.flatten(),
            attributes,
        })
    }
}

fn optional_phone(raw: &str, settings: &Settings) -> Result<Option<Phone>, FieldError> {
    match non_blank(raw) {
        None => Ok(None),
        Some(s) => Phone::parse(s, settings.default_region).map(Some),
    }
}

impl NewUser {
    /// The user record, created at `now` with id `id`; a password is hashed with `salt`.
    pub fn into_user(self, id: UserId, now: Timestamp, salt: Salt) -> User {
        User {
            id,
            username: self.username,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            phone: self.phone,
            status: UserStatus::Active,
            password: self.password.map(|p| p.hash(salt)),
            password_expires_at: None,
            second_factor: SecondFactor::None,
            mfa_enrolled: false,
            device_limit: None,
            attributes: self.attributes,
            groups: Vec::new(),
            roles: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// Changes to a user's profile as typed: `None` leaves a field as it is, `Some("")`
/// clears an optional field. Attributes listed are set (blank clears); others stay.
#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub attributes: Vec<(String, String)>,
}

/// A checked edit, ready to apply.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Option<Email>,
    pub first_name: Option<Option<PersonName>>,
    pub last_name: Option<Option<PersonName>>,
    pub phone: Option<Option<Phone>>,
    pub attributes: Option<Attributes>,
}

impl UserEdit {
    /// Checks the edit against `current`, reporting every problem.
    pub fn parse(&self, current: &User, settings: &Settings, defs: &[AttributeDefinition]) -> Result<UserPatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = self.email.as_deref().and_then(|raw| errors.take(Email::parse(raw)));
        let first_name = self
            .first_name
            .as_deref()
            .and_then(|raw| errors.take(PersonName::parse_optional(raw, "firstName", "First name")));
        let last_name = self
            .last_name
            .as_deref()
            .and_then(|raw| errors.take(PersonName::parse_optional(raw, "lastName", "Last name")));
        let phone = self.phone.as_deref().and_then(|raw| errors.take(optional_phone(raw, settings)));
        let attributes = (!self.attributes.is_empty())
            .then(|| current.attributes.clone().apply_inputs(&self.attributes, defs, &mut errors));
        errors.into_result(|| UserPatch { email, first_name, last_name, phone, attributes })
    }
}

impl UserPatch {
    /// `user` with the patch applied at `now`, or `None` when nothing would change
    /// (an edit that changes nothing is not a new version).
    pub fn apply(self, user: &User, now: Timestamp) -> Option<User> {
        let mut next = user.clone();
        if let Some(e) = self.email {
            next.email = e;
        }
        if let Some(f) = self.first_name {
            next.first_name = f;
        }
        if let Some(l) = self.last_name {
            next.last_name = l;
        }
        if let Some(p) = self.phone {
            next.phone = p;
        }
        if let Some(a) = self.attributes {
            next.attributes = a;
        }
        // Email compares ignoring case, but a change of case is still a change to keep.
        if next == *user && next.email.as_str() == user.email.as_str() {
            return None;
        }
        Some(user.succeeded_by(next, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AttributeName, AttributeType, AttributeValue};

    const NOW: Timestamp = time::macros::datetime!(2026-11-29 10:00 UTC);

    #[test]
    fn sequential_ids_sort_in_counter_order() {
        let ids: Vec<String> = [0u32, 1, 2, 63, 64, 255, 256, 16_383, 16_384, 65_536, 1_000_000, u32::MAX].iter().map(|&c| UserId::sequential(NOW, c, [0xff; 6]).to_string()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids.iter().all(|id| id.as_bytes()[14] == b'7'), "version 7: {ids:?}");
        assert_ne!(UserId::sequential(NOW, 1, [0; 6]), UserId::sequential(NOW, 1, [1; 6]));
        let unique: std::collections::HashSet<UserId> = (0..100_000).map(|c| UserId::sequential(NOW, c, [7; 6])).collect();
        assert_eq!(unique.len(), 100_000, "every counter value its own id");
    }

    fn defs() -> Vec<AttributeDefinition> {
        vec![AttributeDefinition { name: AttributeName::parse("costCenter").unwrap(), kind: AttributeType::Number, required: false }]
    }

    fn draft() -> UserDraft {
        UserDraft {
            username: "alice".into(),
            email: "alice@example.com".into(),
            first_name: "Alice".into(),
            last_name: "Liddell".into(),
            phone: "07400 123456".into(),
            password: None,
            attributes: vec![("costCenter".into(), "42".into())],
        }
    }

    fn settings_gb() -> Settings {
        Settings { default_region: crate::Region::parse("GB").unwrap(), ..Settings::default() }
    }

    #[test]
    fn a_good_draft_becomes_a_user() {
        let user = draft().parse(&settings_gb(), &defs()).unwrap().into_user(UserId::from_random_bytes([1; 16]), NOW, Salt([0; 16]));
        assert_eq!(user.phone.as_ref().unwrap().as_e164(), "+447400123456", "national number read in the default region");
        assert!(!user.onboarded(), "no password means not onboarded");
        assert_eq!(user.version, 1);
        assert_eq!(user.status, UserStatus::Active);
        assert_eq!(user.attributes.get("costcenter"), Some(&AttributeValue::Number(42.0)));
        assert_eq!(user.display_name(), "Alice Liddell");
        assert_eq!(user.id.to_string().chars().nth(14), Some('4'), "a version-4 UUID");
    }

    #[test]
    fn a_password_is_hashed_and_onboards() {
        let mut d = draft();
        d.password = Some(Secret::new("correct horse battery".into()));
        let user = d.parse(&settings_gb(), &defs()).unwrap().into_user(UserId::from_random_bytes([1; 16]), NOW, Salt([3; 16]));
        assert!(user.onboarded());
        assert!(user.password.unwrap().verify("correct horse battery"));
    }

    #[test]
    fn every_problem_is_reported_in_form_order() {
        let d = UserDraft {
            username: "bad name".into(),
            email: "nope".into(),
            first_name: "ok".into(),
            last_name: "x\u{7}".into(),
            phone: "12".into(),
            password: Some(Secret::new("short".into())),
            attributes: vec![("costCenter".into(), "abc".into())],
        };
        let errors = d.parse(&Settings::default(), &defs()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "lastName", "phone", "password", "attributes.costCenter"]);
    }

    #[test]
    fn edit_changes_only_what_is_given_and_bumps_the_version() {
        let user = draft().parse(&settings_gb(), &defs()).unwrap().into_user(UserId::from_random_bytes([1; 16]), NOW, Salt([0; 16]));
        let later = NOW + time::Duration::hours(1);
        let edit = UserEdit { last_name: Some("Smith".into()), phone: Some(String::new()), ..UserEdit::default() };
        let next = edit.parse(&user, &settings_gb(), &defs()).unwrap().apply(&user, later).unwrap();
        assert_eq!(next.last_name.unwrap().as_str(), "Smith");
        assert_eq!(next.phone, None, "blank clears an optional field");
        assert_eq!(next.first_name, user.first_name);
        assert_eq!(next.version, 2);
        assert_eq!(next.updated_at, later);
        assert_eq!(next.created_at, NOW);
    }

    #[test]
    fn edit_that_changes_nothing_is_no_new_version() {
        let user = draft().parse(&settings_gb(), &defs()).unwrap().into_user(UserId::from_random_bytes([1; 16]), NOW, Salt([0; 16]));
        let edit = UserEdit { first_name: Some(" Alice ".into()), ..UserEdit::default() };
        assert!(edit.parse(&user, &settings_gb(), &defs()).unwrap().apply(&user, NOW).is_none());
        let edit = UserEdit { email: Some("ALICE@example.com".into()), ..UserEdit::default() };
        assert!(edit.parse(&user, &settings_gb(), &defs()).unwrap().apply(&user, NOW).is_some(), "a change of case is kept");
    }

    #[test]
    fn edit_cannot_clear_the_email() {
        let user = draft().parse(&settings_gb(), &defs()).unwrap().into_user(UserId::from_random_bytes([1; 16]), NOW, Salt([0; 16]));
        let edit = UserEdit { email: Some(" ".into()), ..UserEdit::default() };
        let errors = edit.parse(&user, &settings_gb(), &defs()).unwrap_err();
        assert_eq!(errors.iter().next().unwrap().code, FieldCode::Required);
    }

    #[test]
    fn enums_parse_leniently() {
        assert_eq!("Email-OTP".parse::<SecondFactor>().unwrap(), SecondFactor::EmailOtp);
        assert_eq!("hardware key".parse::<SecondFactor>().unwrap(), SecondFactor::HardwareKey);
        assert!("sms".parse::<SecondFactor>().is_err());
        assert_eq!("Disabled".parse::<UserStatus>().unwrap(), UserStatus::Disabled);
        assert_eq!(DeviceLimit::parse("0").unwrap_err().code, FieldCode::InvalidValue);
        assert_eq!(DeviceLimit::parse("x").unwrap_err().code, FieldCode::InvalidNumber);
        assert_eq!(DeviceLimit::parse(" 3 ").unwrap().get(), 3);
    }
}
