//! Roster's domain core.
//!
//! Raw text from a form, a CLI flag or a CSV cell becomes a typed value here, or a
//! [`FieldError`] that names the field, a stable code and a message meant for an admin.
//! Every front end shows the same messages because they all come from this crate.
//!
//! Architecture invariant: this crate does no IO. It never reads the clock or a random
//! source either: time and randomness are passed in, so every function is deterministic.

mod action;
mod attribute;
mod audit;
pub mod bulk;
mod email;
mod field;
mod group;
pub mod mail;
mod name;
mod password;
mod phone;
mod secret;
mod session;
mod settings;
mod user;
mod username;

pub use action::UserAction;
pub use attribute::{AttributeDefinition, AttributeName, AttributeType, AttributeValue, Attributes};
pub use audit::{AuditAction, AuditEntity};
pub use email::Email;
pub use field::{FieldCode, FieldError, FieldErrors};
pub use group::{GroupName, RoleName};
pub use name::PersonName;
pub use password::{Password, PasswordHash, PasswordPolicy, Salt};
pub use phone::{Phone, Region};
pub use secret::Secret;
pub use session::Session;
pub use settings::Settings;
pub use user::{
    DeviceLimit, NewUser, SecondFactor, User, UserDraft, UserEdit, UserId, UserPatch, UserStatus,
};
pub use username::Username;

/// A point in time, always UTC.
pub type Timestamp = time::OffsetDateTime;
/// A calendar day, such as a password expiry date.
pub type Date = time::Date;
