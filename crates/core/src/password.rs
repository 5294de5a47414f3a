//! Passwords: checked against the workspace policy, then kept only as an argon2id hash.

use std::fmt;

use argon2::password_hash::{PasswordHash as PhcString, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::field::{FieldCode, FieldError};
use crate::secret::Secret;

/// What a new password must satisfy. Defaults follow NIST SP 800-63B: length matters,
/// composition rules do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
}

impl PasswordPolicy {
    pub const MAX_LENGTH: usize = 256;
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_length: 12 }
    }
}

/// A plain-text password on its way to being hashed. Never printed, never serialised.
#[derive(Clone)]
pub struct Password(Secret<String>);

impl Password {
    const FIELD: &'static str = "password";

    /// The plain text, for the one place that may keep it: sealed for a push to the
    /// linked directory, never stored as it is.
    pub fn secret(&self) -> &Secret<String> {
        &self.0
    }

    /// Checks `raw` against `policy`. `identifiers` (username, email) may not be the password.
    pub fn parse(raw: &str, policy: PasswordPolicy, identifiers: &[&str]) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n == 0 {
            return Err(FieldError::new(Self::FIELD, FieldCode::Required, "Enter a password"));
        }
        if n < policy.min_length {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::TooShort,
                format!("Password must be at least {} characters", policy.min_length),
            ));
        }
        if n > PasswordPolicy::MAX_LENGTH {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::TooLong,
                format!("Password must be {} characters or fewer", PasswordPolicy::MAX_LENGTH),
            ));
        }
        let mut chars = raw.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::WeakPassword,
                "Password cannot be one character repeated",
            ));
        }
        if identifiers.iter().any(|id| !id.is_empty() && id.eq_ignore_ascii_case(raw)) {
            return Err(FieldError::new(
                Self::FIELD,
                FieldCode::WeakPassword,
                "Password cannot be the same as the username or email",
            ));
        }
        Ok(Self(Secret::new(raw.to_owned())))
    }

    /// Hashes with argon2id at OWASP's parameters (m = 19456 KiB, t = 2, p = 1).
    /// The salt comes from the caller so that this stays deterministic and free of IO.
    pub fn hash(&self, salt: Salt) -> PasswordHash {
        let salt = SaltString::encode_b64(&salt.0).expect("16 bytes is a valid salt length");
        let phc = hasher()
            .hash_password(self.0.expose().as_bytes(), &salt)
            .expect("argon2id with fixed valid parameters cannot fail");
        PasswordHash(phc.to_string())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Sixteen random bytes for one password hash.
#[derive(Debug, Clone, Copy)]
pub struct Salt(pub [u8; 16]);

fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A password hash in PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$…`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Accepts a stored PHC string; only argon2id hashes are accepted.
    pub fn from_phc(s: &str) -> Result<Self, FieldError> {
        match PhcString::new(s) {
            Ok(phc) if phc.algorithm.as_str() == "argon2id" => Ok(Self(s.to_owned())),
            _ => Err(FieldError::new(
                "password",
                FieldCode::InvalidValue,
                "Stored password is not an argon2id hash",
            )),
        }
    }

    pub fn verify(&self, candidate: &str) -> bool {
        let Ok(phc) = PhcString::new(&self.0) else { return false };
        // Verification reads the parameters from the PHC string, so old hashes keep working.
        Argon2::default().verify_password(candidate.as_bytes(), &phc).is_ok()
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: PasswordPolicy = PasswordPolicy { min_length: 12 };

    #[test]
    fn policy() {
        let code = |raw: &str| Password::parse(raw, POLICY, &["alice", "alice@example.com"]).map(|_| ()).map_err(|e| e.code);
        assert_eq!(code(""), Err(FieldCode::Required));
        assert_eq!(code("short"), Err(FieldCode::TooShort));
        assert_eq!(code("aaaaaaaaaaaaaaaa"), Err(FieldCode::WeakPassword));
        assert_eq!(code("ALICE@example.com"), Err(FieldCode::WeakPassword));
        assert_eq!(code(&"ab".repeat(129)), Err(FieldCode::TooLong));
        assert_eq!(code("correct horse battery"), Ok(()));
    }

    #[test]
    fn hashes_with_owasp_argon2id_and_verifies() {
        let p = Password::parse("correct horse battery", POLICY, &[]).unwrap();
        let h = p.hash(Salt([7; 16]));
        assert!(h.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", h.as_phc());
        assert!(h.verify("correct horse battery"));
        assert!(!h.verify("correct horse batterY"));
        // Same salt, same hash: hashing is deterministic given its inputs.
        assert_eq!(p.hash(Salt([7; 16])), h);
        assert_ne!(p.hash(Salt([8; 16])), h);
        assert_eq!(PasswordHash::from_phc(h.as_phc()).unwrap(), h);
        assert!(PasswordHash::from_phc("plain").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let p = Password::parse("correct horse battery", POLICY, &[]).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(!format!("{:?}", p.hash(Salt([1; 16]))).contains("argon2"));
    }
}
