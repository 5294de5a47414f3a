//! Workspace-wide settings.

use crate::password::PasswordPolicy;
use crate::phone::Region;
use crate::user::DeviceLimit;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The region a phone number written without `+` is read in.
    pub default_region: Region,
    /// Devices a user may register when the user has no limit of their own.
    pub default_device_limit: DeviceLimit,
    /// Send the password reset (activation) mail when a user is created without a password.
    pub auto_send_reset_mail: bool,
    pub password_policy: PasswordPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            default_region: Region::default(),
            default_device_limit: DeviceLimit::new(5).expect("5 is within the device limit range"),
            auto_send_reset_mail: false,
            password_policy: PasswordPolicy::default(),
        }
    }
}
