//! Passwords set offline, kept for the next push: encrypted with ChaCha20-Poly1305 under a
//! 32-byte key that lives in the OS keyring only (never in the workspace file), the user's
//! id bound in as associated data; deleted once the remote has them.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use roster_core::{Secret, Timestamp, UserId};
use roster_secrets::{workspace_account, Keyring};
use roster_store::{KeptPasswordRow, StoreError, Writer};

use crate::mail::secret_error;
use crate::{Error, ErrorCode, Workspace};

const KEY_ACCOUNT: &str = "sync-key";

/// Encrypts passwords into `sync_passwords` inside a store transaction. Made before the
/// transaction (it needs the keyring and the random source), used inside it.
pub(crate) struct PasswordSealer {
    cipher: ChaCha20Poly1305,
    rng: StdRng,
    at: Timestamp,
}

impl PasswordSealer {
    /// Keeps `password` for the push of `user` (replacing one kept before).
    pub(crate) fn keep(&mut self, w: &Writer<'_>, user: &UserId, password: &Secret<String>) -> Result<(), StoreError> {
        let mut nonce = [0u8; 12];
        self.rng.fill_bytes(&mut nonce);
        let id = user.to_string();
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: password.expose().as_bytes(), aad: id.as_bytes() })
            .expect("ChaCha20-Poly1305 encrypts any message of a password's size");
        w.keep_password(&id, &nonce, &ciphertext, self.at)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Workspace {
    /// A sealer for passwords set now, when the workspace is linked to a remote (None when it
    /// is local only: then there is nothing to push). Call it before the transaction that
    /// sets the passwords and [`PasswordSealer::keep`] inside it. Fails `not_configured`
    /// when there is no keyring to hold the key: a password is never kept in plain text.
    pub(crate) fn password_sealer(&mut self) -> Result<Option<PasswordSealer>, Error> {
        if self.store.reader().linked_remote()?.is_none() {
            return Ok(None);
        }
        let key = self.sync_key(true)?.expect("made when missing");
        let seed = self.random_bytes::<32>();
        Ok(Some(PasswordSealer { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)), rng: StdRng::from_seed(seed), at: self.clock.now() }))
    }


    /// The key, from the keyring; made and stored there first when `make` and missing.
    fn sync_key(&mut self, make: bool) -> Result<Option<[u8; 32]>, Error> {
        let account = workspace_account(&self.workspace_id()?, KEY_ACCOUNT);
        let keyring = Keyring::new();
        if let Some(stored) = keyring.load(&account).map_err(secret_error)? {
            return unhex(stored.expose())
                .map(Some)
                .ok_or_else(|| Error::new(ErrorCode::Internal, "the sync key in the OS keyring is unreadable"));
        }
        if !make {
            return Ok(None);
        }
        let key = self.random_bytes::<32>();
        keyring.store(&account, &Secret::new(hex(&key))).map_err(secret_error)?;
        Ok(Some(key))
    }

    /// Opens the kept passwords of these users (those whose key is lost stay unopened and
    /// are reported by the caller as missing).
    pub(crate) fn open_passwords(&mut self, rows: &[KeptPasswordRow]) -> Result<Vec<(String, Secret<String>)>, Error> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let Some(key) = self.sync_key(false)? else { return Ok(Vec::new()) };
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
        Ok(rows
            .iter()
            .filter(|r| r.nonce.len() == 12)
            .filter_map(|r| {
                let plain = cipher.decrypt(Nonce::from_slice(&r.nonce), Payload { msg: &r.ciphertext, aad: r.user_id.as_bytes() }).ok()?;
                Some((r.user_id.clone(), Secret::new(String::from_utf8(plain).ok()?)))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_hex() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7) as u8);
        assert_eq!(unhex(&hex(&key)), Some(key));
        assert_eq!(unhex("zz"), None);
    }
}

/// A password kept offline goes with the push and is deleted once the remote has it
/// (needs the OS keyring and scim2-server: run through scripts/test).
#[cfg(test)]
mod push_tests {
    use crate::sync::scim_server;
    use roster_core::Secret;

    use crate::{RemoteInput, Silent, UserInput, Workspace};

    #[test]
    fn a_kept_password_is_pushed_then_deleted() {
        let server = scim_server::ScimServer::start(scim_server::ServerOptions::with_extension());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.roster");
        let mut ws = Workspace::open(&path).unwrap();
        ws.remote_add(RemoteInput { name: "idp".into(), url: server.base_url(), token: Some(Secret::new(scim_server::TOKEN.into())), ..RemoteInput::default() })
            .unwrap();
        // Set offline through the form's use case: kept, sealed, for the push.
        let plain = "correct horse battery staple 42";
        let input = UserInput { username: "alice".into(), email: "alice@example.com".into(), password: Some(Secret::new(plain.to_owned())), ..UserInput::default() };
        let id = ws.add_user(input).unwrap().id;
        assert!(ws.store.reader().kept_password(&id).unwrap().is_some());
        let file = std::fs::read(&path).unwrap();
        let wal = std::fs::read(path.with_extension("roster-wal")).unwrap_or_default();
        assert!(!file.windows(plain.len()).chain(wal.windows(plain.len())).any(|w| w == plain.as_bytes()), "never in plain text on disk");
        let plan = ws.sync_plan().unwrap();
        assert!(plan.operations[0].password, "{plan:?}");
        let pushed = ws.sync_push(&Silent).unwrap();
        assert_eq!(pushed.done, 1, "{pushed:?}");
        assert!(ws.store.reader().kept_password(&id).unwrap().is_none(), "deleted once pushed");
    }
}
