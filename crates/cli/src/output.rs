//! Printing: human text or one JSON document, and errors.

use std::io::{IsTerminal, Write};

use roster_workspace::{AttributeView, Error, Progress, UserPageView, UserView};
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON, or the line `text` makes of it.
    pub fn info<T: Serialize>(self, value: &T, text: impl FnOnce(&T) -> String) -> Result<(), Error> {
        if self.json {
            print_json(value);
        } else {
            println!("{}", text(value));
        }
        Ok(())
    }

    pub fn user(self, u: &UserView) -> Result<(), Error> {
        if self.json {
            print_json(u);
            return Ok(());
        }
        let dash = |s: &str| if s.is_empty() { "-".to_owned() } else { s.to_owned() };
        let rows: Vec<(&str, String)> = vec![
            ("Username", u.username.clone()),
            ("Email", u.email.clone()),
            ("First name", dash(&u.first_name)),
            ("Last name", dash(&u.last_name)),
            ("Phone", u.phone.clone().unwrap_or_else(|| "-".into())),
            ("Status", u.status.to_owned()),
            ("Onboarded", if u.onboarded { "yes".into() } else { "no (no password yet)".into() }),
            ("Password expires", u.password_expires_at.clone().unwrap_or_else(|| "-".into())),
            ("Second factor", u.second_factor.to_owned()),
            ("MFA enrolled", if u.mfa_enrolled { "yes".into() } else { "no".into() }),
            ("Device limit", u.device_limit.map_or_else(|| "workspace default".into(), |d| d.to_string())),
            ("Groups", dash(&u.groups.join(", "))),
            ("Roles", dash(&u.roles.join(", "))),
            ("Created", u.created_at.clone()),
            ("Updated", format!("{} (version {})", u.updated_at, u.version)),
            ("Id", u.id.clone()),
        ];
        let mut out = std::io::stdout().lock();
        for (k, v) in rows {
            let _ = writeln!(out, "{k:<17} {v}");
        }
        for (k, v) in &u.attributes {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "{:<17} {text}", format!("{k}:"));
        }
        Ok(())
    }

    pub fn user_page(self, page: &UserPageView) -> Result<(), Error> {
        if self.json {
            print_json(page);
            return Ok(());
        }
        let header = ["", "USERNAME", "EMAIL", "NAME", "PHONE", "STATUS"];
        let rows: Vec<[String; 6]> = page
            .users
            .iter()
            .map(|u| {
                [
                    if u.onboarded { "●" } else { "○" }.to_owned(),
                    u.username.clone(),
                    u.email.clone(),
                    format!("{} {}", u.first_name, u.last_name).trim().to_owned(),
                    u.phone.clone().unwrap_or_default(),
                    u.status.to_owned(),
                ]
            })
            .collect();
        let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0);
        let widths: Vec<usize> = (0..header.len()).map(width).collect();
        let mut out = std::io::stdout().lock();
        let line = |cells: &[&str]| -> String {
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned()
        };
        let _ = writeln!(out, "{}", line(&header));
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            let _ = writeln!(out, "{}", line(&cells));
        }
        if rows.is_empty() {
            let _ = writeln!(out, "(no users)");
        }
        drop(out);
        eprintln!("● onboarded  ○ not onboarded (no password yet)");
        if let Some(next) = &page.next {
            eprintln!("More: add --after {next}");
        }
        Ok(())
    }

    pub fn attributes(self, attrs: &[AttributeView]) -> Result<(), Error> {
        if self.json {
            print_json(&attrs);
            return Ok(());
        }
        if attrs.is_empty() {
            println!("No custom attributes. Define one with: roster attr define NAME --type string|number|boolean|date");
        }
        for a in attrs {
            println!("{:<24} {:<8}{}", a.name, a.kind, if a.required { " required" } else { "" });
        }
        Ok(())
    }
}

fn print_json<T: Serialize + ?Sized>(value: &T) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

/// Errors on stderr: one line per problem naming the field, or `{"error": …}` with --json.
pub fn print_error(e: &Error, json: bool) {
    let mut err = std::io::stderr().lock();
    if json {
        let _ = serde_json::to_writer(&mut err, &serde_json::json!({ "error": e }));
        let _ = writeln!(err);
        return;
    }
    if e.fields.is_empty() {
        let _ = writeln!(err, "error: {}", e.message);
    } else {
        for f in &e.fields {
            let _ = writeln!(err, "{}: {}", f.field, f.message);
        }
    }
}

/// A progress bar on stderr when it is a terminal; silent otherwise.
pub struct ProgressBar(Option<indicatif::ProgressBar>);

impl ProgressBar {
    pub fn new(show: bool, message: &'static str) -> Self {
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            b.set_message(message);
            b
        });
        Self(bar)
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Progress for ProgressBar {
    fn update(&self, done: u64, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
            b.set_position(done);
        }
    }
}
