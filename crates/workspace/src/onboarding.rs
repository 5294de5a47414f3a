//! Onboarding: who has not set a password yet, and for how long they have waited.

use roster_core::{FieldCode, FieldError};
use time::Duration;

use crate::views::{OnboardingView, WaitingBucketView};
use crate::{Error, Workspace};

/// The waiting-time buckets of not-onboarded users: (label, created within this long).
/// The last bucket takes everyone older.
pub const WAITING_BUCKETS: [(&str, Option<i64>); 5] =
    [("under 1 day", Some(1)), ("1–7 days", Some(7)), ("7–30 days", Some(30)), ("30–90 days", Some(90)), ("over 90 days", None)];

/// Days after the last activation mail before an invited user is due a reminder.
pub const REMIND_AFTER_DAYS: u32 = 7;

/// The longest reminder threshold: ten years (0 makes every invited user due).
pub const REMIND_AFTER_DAYS_MAX: u32 = 3650;

/// A reminder threshold in days as a duration, or a validation error naming `field`.
pub(crate) fn remind_after(days: u32, field: &str) -> Result<Duration, Error> {
    if days > REMIND_AFTER_DAYS_MAX {
        let message = format!("A reminder is due after 0 to {REMIND_AFTER_DAYS_MAX} days since the last mail, not {days}");
        return Err(Error::from_fields(FieldError::new(field, FieldCode::InvalidNumber, message).into()));
    }
    Ok(Duration::days(i64::from(days)))
}

impl Workspace {
    /// Onboarding figures; invited users last mailed at least `remind_after_days` (default
    /// [`REMIND_AFTER_DAYS`]) ago are counted as due a reminder.
    pub fn onboarding_stats(&self, remind_after_days: Option<u32>) -> Result<OnboardingView, Error> {
        let now = self.clock.now();
        let remind_after_days = remind_after_days.unwrap_or(REMIND_AFTER_DAYS);
        let (invited, due) = self.store.reader().invited_counts(&[now - remind_after(remind_after_days, "remindAfterDays")?])?;
        let thresholds: Vec<_> = WAITING_BUCKETS.iter().filter_map(|(_, d)| d.map(|d| now - Duration::days(d))).collect();
        let c = self.store.reader().onboarding_counts(&thresholds)?;
        // created_since[i] counts those created within bucket i's bound; the differences are the buckets.
        let mut waiting = Vec::with_capacity(WAITING_BUCKETS.len());
        let mut previous = 0;
        for (i, (label, _)) in WAITING_BUCKETS.iter().enumerate() {
            let within = c.created_since.get(i).copied().unwrap_or(c.not_onboarded);
            waiting.push(WaitingBucketView { bucket: label, count: within - previous });
            previous = within;
        }
        Ok(OnboardingView {
            total: c.total,
            onboarded: c.total - c.not_onboarded,
            not_onboarded: c.not_onboarded,
            invited,
            disabled: c.disabled,
            waiting,
            remind_after_days,
            reminder_due: due.first().copied().unwrap_or(0),
        })
    }
}
