//! Workspace settings, stored as key/value rows; a missing key means the default.

use roster_core::{DeviceLimit, PasswordPolicy, Region, Settings};

use crate::{Reader, StoreError, Writer};

impl Reader<'_> {
    pub fn settings(&self) -> Result<Settings, StoreError> {
        let mut s = Settings::default();
        let mut stmt = self.conn.prepare_cached("SELECT key, value FROM settings")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (key, value) = row?;
            let corrupt = || StoreError::Corrupt(format!("setting {key} = {value:?}"));
            match key.as_str() {
                "default_region" => s.default_region = Region::parse(&value).map_err(|_| corrupt())?,
                "default_device_limit" => s.default_device_limit = DeviceLimit::parse(&value).map_err(|_| corrupt())?,
                "auto_send_reset_mail" => s.auto_send_reset_mail = value == "true",
                "password_min_length" => {
                    s.password_policy = PasswordPolicy { min_length: value.parse().map_err(|_| corrupt())? }
                }
                _ => {} // a setting of a newer minor version: kept, not understood
            }
        }
        Ok(s)
    }
}

impl Reader<'_> {
    /// One setting by key (settings other than [`Settings`]: mail, the workspace id).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
    }
}

impl Writer<'_> {
    /// Sets (or with `None` removes) one setting.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        match value {
            Some(v) => self
                .tx
                .prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
                .execute([key, v])?,
            None => self.tx.prepare_cached("DELETE FROM settings WHERE key = ?1")?.execute([key])?,
        };
        Ok(())
    }

    pub fn save_settings(&self, s: &Settings) -> Result<(), StoreError> {
        let pairs = [
            ("default_region", s.default_region.code().to_owned()),
            ("default_device_limit", s.default_device_limit.get().to_string()),
            ("auto_send_reset_mail", s.auto_send_reset_mail.to_string()),
            ("password_min_length", s.password_policy.min_length.to_string()),
        ];
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        for (k, v) in pairs {
            stmt.execute([k, v.as_str()])?;
        }
        Ok(())
    }
}
