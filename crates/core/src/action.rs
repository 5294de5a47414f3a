//! What an admin can do to one user besides editing the profile: the row's "Select" menu.
//!
//! Each action is a pure change of a [`User`]: it returns the next version of the user, or
//! `None` when the action would change nothing (disabling a disabled user), so that nothing
//! is written and no audit entry is made for a no-op.

use crate::user::{DeviceLimit, SecondFactor, User, UserStatus};
use crate::{Date, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAction {
    Disable,
    Enable,
    SetSecondFactor(SecondFactor),
    /// Clear the password and the second-factor set-up: the user is like a new one, not onboarded.
    RemoveIdentity,
    /// The password stops working after this day; `None` clears the expiry.
    ExpirePassword(Option<Date>),
    /// Clear MFA enrolment: the user enrols again at next sign-in.
    ResetMfa,
    /// `None`: back to the workspace default.
    SetDeviceLimit(Option<DeviceLimit>),
}

impl UserAction {
    /// The audit log's name for the action. Stable: scripts filter on it.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::SetSecondFactor(_) => "second_factor",
            Self::RemoveIdentity => "remove_identity",
            Self::ExpirePassword(_) => "expire_password",
            Self::ResetMfa => "reset_mfa",
            Self::SetDeviceLimit(_) => "device_limit",
        }
    }

    /// Can the change be reverted from the audit entry alone? Removing an identity cannot:
    /// the password hash is not kept anywhere once cleared.
    pub const fn undoable(&self) -> bool {
        !matches!(self, Self::RemoveIdentity | Self::ResetMfa)
    }

    /// The user after the action at `now`, or `None` when nothing would change.
    pub fn apply(&self, user: &User, now: Timestamp) -> Option<User> {
        let mut next = user.clone();
        match self {
            Self::Disable => next.status = UserStatus::Disabled,
            Self::Enable => next.status = UserStatus::Active,
            Self::SetSecondFactor(f) => next.second_factor = *f,
            Self::RemoveIdentity => {
                next.password = None;
                next.password_expires_at = None;
                next.second_factor = SecondFactor::None;
                next.mfa_enrolled = false;
            }
            Self::ExpirePassword(d) => next.password_expires_at = *d,
            Self::ResetMfa => next.mfa_enrolled = false,
            Self::SetDeviceLimit(l) => next.device_limit = *l,
        }
        (next != *user).then(|| user.succeeded_by(next, now))
    }

    /// What was done, as the window and the CLI say it: "Disabled alice@example.com".
    pub fn done_message(&self, user: &User) -> String {
        let who = &user.email;
        match self {
            Self::Disable => format!("Disabled {who}"),
            Self::Enable => format!("Enabled {who}"),
            Self::SetSecondFactor(f) => format!("Set the second factor of {who} to {}", f.label()),
            Self::RemoveIdentity => format!("Removed the password and second factor of {who}"),
            Self::ExpirePassword(Some(d)) => format!("The password of {who} expires after {}", crate::attribute::format_date(*d)),
            Self::ExpirePassword(None) => format!("Cleared the password expiry of {who}"),
            Self::ResetMfa => format!("Reset the MFA enrolment of {who}"),
            Self::SetDeviceLimit(Some(l)) => format!("Set the device limit of {who} to {}", l.get()),
            Self::SetDeviceLimit(None) => format!("Reset the device limit of {who} to the workspace default"),
        }
    }
}

impl User {
    /// `next` as the version after this one, changed at `now`.
    pub fn succeeded_by(&self, mut next: User, now: Timestamp) -> User {
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Password, PasswordPolicy, Salt, Settings, UserDraft, UserId};

    const NOW: Timestamp = time::macros::datetime!(2026-11-29 10:00 UTC);

    fn onboarded_user() -> User {
        let mut u = UserDraft { username: "alice".into(), email: "alice@example.com".into(), ..UserDraft::default() }
            .parse(&Settings::default(), &[])
            .unwrap()
            .into_user(UserId::from_random_bytes([1; 16]), NOW, Salt([0; 16]));
        u.password = Some(Password::parse("correct horse battery", PasswordPolicy::default(), &[]).unwrap().hash(Salt([1; 16])));
        u.second_factor = SecondFactor::Totp;
        u.mfa_enrolled = true;
        u.password_expires_at = Some(time::macros::date!(2027 - 01 - 01));
        u
    }

    #[test]
    fn each_action_changes_what_it_says_and_bumps_the_version() {
        let later = NOW + time::Duration::minutes(5);
        let u = onboarded_user();
        let limit = DeviceLimit::new(3).unwrap();
        // action, check on the result
        type Check = Box<dyn Fn(&User) -> bool>;
        let cases: Vec<(UserAction, Check)> = vec![
            (UserAction::Disable, Box::new(|n: &User| n.status == UserStatus::Disabled)),
            (UserAction::SetSecondFactor(SecondFactor::HardwareKey), Box::new(|n: &User| n.second_factor == SecondFactor::HardwareKey)),
            (
                UserAction::RemoveIdentity,
                Box::new(|n: &User| !n.onboarded() && n.second_factor == SecondFactor::None && !n.mfa_enrolled && n.password_expires_at.is_none()),
            ),
            (UserAction::ExpirePassword(None), Box::new(|n: &User| n.password_expires_at.is_none())),
            (UserAction::ResetMfa, Box::new(|n: &User| !n.mfa_enrolled && n.onboarded())),
            (UserAction::SetDeviceLimit(Some(limit)), Box::new(move |n: &User| n.device_limit == Some(limit))),
        ];
        for (action, holds) in cases {
            let next = action.apply(&u, later).unwrap_or_else(|| panic!("{action:?} changes an onboarded active user"));
            assert!(holds(&next), "{action:?}");
            assert_eq!((next.version, next.updated_at), (u.version + 1, later), "{action:?}");
        }
    }

    #[test]
    fn a_no_op_is_none() {
        let u = onboarded_user();
        assert!(UserAction::Enable.apply(&u, NOW).is_none(), "enabling an active user changes nothing");
        assert!(UserAction::SetDeviceLimit(None).apply(&u, NOW).is_none());
        assert!(UserAction::SetSecondFactor(SecondFactor::Totp).apply(&u, NOW).is_none());
    }

    #[test]
    fn messages_name_the_user() {
        let u = onboarded_user();
        assert_eq!(UserAction::Disable.done_message(&u), "Disabled alice@example.com");
        assert_eq!(
            UserAction::SetDeviceLimit(None).done_message(&u),
            "Reset the device limit of alice@example.com to the workspace default"
        );
        assert!(!UserAction::RemoveIdentity.undoable());
        assert!(UserAction::Disable.undoable());
    }
}
