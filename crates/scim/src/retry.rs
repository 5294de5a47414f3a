//! When to send a failed request again, and how long to wait first.
//!
//! 429 and 503 wait what the server's `Retry-After` says (up to a bound); other 5xx,
//! timeouts and connection errors wait an exponential backoff with full jitter
//! (a random time between zero and `base × 2^(attempt−1)`, capped). What is safe to repeat is
//! decided by the caller of [`RetryPolicy::delay_after`]: a create is never sent again after a
//! failure that may have been applied ([`crate::ScimError::maybe_applied`]).
//!
//! Sleeping, the clock and the random numbers come from a [`RetryClock`], so tests run with a
//! seeded generator and without waiting.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{ScimError, ScimErrorCode};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Sends of one request, the first included (1: never retry).
    pub max_attempts: u32,
    /// The backoff's first ceiling; it doubles with each attempt.
    pub base_delay: Duration,
    /// The backoff never waits longer than this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is returned (with
    /// [`ScimError::retry_after`]) so the caller can come back later.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, backoff from 200 ms up to 10 s, `Retry-After` honoured up to 2 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before sending again after attempt number `attempt` (1-based) failed with
    /// `error`, or `None` when it should not be sent again: the error is not transient, the
    /// attempts are used up, or the server asked for a longer pause than `max_retry_after`.
    /// `random_fraction` is in [0, 1) and picks the jittered wait.
    pub fn delay_after(
        &self,
        attempt: u32,
        error: &ScimError,
        random_fraction: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.code().is_transient() {
            return None;
        }
        let honours_retry_after = matches!(
            error.code(),
            ScimErrorCode::TooManyRequests | ScimErrorCode::Unavailable
        );
        match error.retry_after() {
            Some(wait) if honours_retry_after => (wait <= self.max_retry_after).then_some(wait),
            _ => Some(self.backoff(attempt, random_fraction)),
        }
    }

    /// Full jitter: a random wait in [0, min(max_delay, base_delay × 2^(attempt−1))).
    pub fn backoff(&self, attempt: u32, random_fraction: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.max_delay);
        ceiling.mul_f64(random_fraction.clamp(0.0, 1.0))
    }
}

/// Where retries get their time and randomness: the real ones by default
/// ([`SystemRetryClock`]), fakes in tests.
pub trait RetryClock: Send + Sync {
    /// Waits `duration` before a retry.
    fn sleep(&self, duration: Duration);
    /// A random number in [0, 1) for the jitter.
    fn random_fraction(&self) -> f64;
    /// Now, to read a `Retry-After` given as an HTTP date.
    fn now(&self) -> SystemTime;
}

/// Really sleeps, reads the system clock, and draws from a generator seeded by the OS.
pub struct SystemRetryClock {
    rng: Mutex<StdRng>,
}

impl SystemRetryClock {
    pub fn new() -> Self {
        SystemRetryClock {
            rng: Mutex::new(StdRng::from_entropy()),
        }
    }
}

impl Default for SystemRetryClock {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryClock for SystemRetryClock {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
    fn random_fraction(&self) -> f64 {
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .gen::<f64>()
    }
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Reads a `Retry-After` header value: seconds (`120`) or an HTTP date, relative to `now`.
/// A date in the past means no wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: ScimErrorCode, retry_after: Option<u64>) -> ScimError {
        ScimError::new(code, "x").with_retry_after(retry_after.map(Duration::from_secs))
    }

    #[test]
    fn retry_after_is_honoured_for_429_and_503_only() {
        let policy = RetryPolicy::default();
        for code in [ScimErrorCode::TooManyRequests, ScimErrorCode::Unavailable] {
            assert_eq!(
                policy.delay_after(1, &error(code, Some(7)), 0.5),
                Some(Duration::from_secs(7)),
                "{code}"
            );
        }
        // A 500 that happens to carry Retry-After still backs off.
        assert_eq!(
            policy.delay_after(1, &error(ScimErrorCode::ServerError, Some(7)), 0.5),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn a_retry_after_beyond_the_bound_is_left_to_the_caller() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        assert_eq!(
            policy.delay_after(1, &error(ScimErrorCode::TooManyRequests, Some(61)), 0.5),
            None
        );
    }

    #[test]
    fn backoff_doubles_with_full_jitter_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 20,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(60),
        };
        let e = error(ScimErrorCode::Unreachable, None);
        let at = |attempt, r| policy.delay_after(attempt, &e, r).unwrap();
        assert_eq!(at(1, 0.999_999).as_millis(), 99);
        assert_eq!(at(2, 0.5), Duration::from_millis(100));
        assert_eq!(at(3, 0.5), Duration::from_millis(200));
        assert_eq!(
            at(5, 0.0),
            Duration::ZERO,
            "full jitter may not wait at all"
        );
        assert_eq!(at(10, 0.5), Duration::from_secs(1), "capped at max_delay");
        assert_eq!(at(19, 0.5), Duration::from_secs(1));
    }

    #[test]
    fn only_transient_errors_are_retried_and_only_so_often() {
        let policy = RetryPolicy::default();
        for code in [
            ScimErrorCode::Invalid,
            ScimErrorCode::Conflict,
            ScimErrorCode::Unauthorized,
            ScimErrorCode::PreconditionFailed,
            ScimErrorCode::NotFound,
            ScimErrorCode::Tls,
            ScimErrorCode::Protocol,
        ] {
            assert_eq!(
                policy.delay_after(1, &error(code, None), 0.5),
                None,
                "{code}"
            );
        }
        let e = error(ScimErrorCode::Timeout, None);
        assert!(policy.delay_after(5, &e, 0.5).is_some());
        assert_eq!(policy.delay_after(6, &e, 0.5), None, "6 attempts in all");
        assert_eq!(RetryPolicy::never().delay_after(1, &e, 0.5), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
