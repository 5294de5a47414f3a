//! One function per subcommand: read the arguments, call one workspace function, print.

use std::io::BufRead;

use roster_core::Secret;
use roster_workspace::{AttributeInput, Error, ErrorCode, UserEditInput, UserInput, UserListQuery, Workspace};

use crate::args::{AttrCommand, Cli, Command, SortArg, StatusArg, UserCommand, YesNo};
use crate::output::{self, Out};

pub fn run(cli: &Cli) -> Result<(), Error> {
    let mut ws = Workspace::open(&Workspace::resolve_path(cli.workspace.as_deref()))?;
    let out = Out { json: cli.json };
    match &cli.command {
        Command::Init => out.info(&ws.info()?, |i| format!("Workspace ready: {} ({} users)", i.path, i.user_count)),
        Command::User(cmd) => user(&mut ws, cmd, out),
        Command::Attr(AttrCommand::Define { name, kind, required }) => {
            let kind = format!("{kind:?}").to_lowercase();
            let view = ws.define_attribute(name, &kind, *required)?;
            out.info(&view, |v| format!("Defined {} ({}{})", v.name, v.kind, if v.required { ", required" } else { "" }))
        }
        Command::Attr(AttrCommand::List) => out.attributes(&ws.list_attributes()?),
        Command::Demo { users, seed } => {
            let bar = output::ProgressBar::new(!cli.json, "Adding demo users");
            let summary = ws.seed_demo(*users, *seed, &bar)?;
            bar.finish();
            out.info(&summary, |s| {
                format!(
                    "Added {} demo users ({} not onboarded, {} disabled), {} groups, {} roles, {} sessions. Onboarded demo users' password: {}",
                    s.users, s.not_onboarded, s.disabled, s.groups, s.roles, s.sessions, roster_workspace::DEMO_PASSWORD
                )
            })
        }
    }
}

fn user(ws: &mut Workspace, cmd: &UserCommand, out: Out) -> Result<(), Error> {
    match cmd {
        UserCommand::Add { username, email, profile, password_stdin } => {
            let input = UserInput {
                username: username.clone(),
                email: email.clone(),
                first_name: profile.first.clone().unwrap_or_default(),
                last_name: profile.last.clone().unwrap_or_default(),
                phone: profile.phone.clone().unwrap_or_default(),
                password: if *password_stdin { Some(read_password()?) } else { None },
                attributes: AttributeInput(profile.attrs.clone()),
            };
            let v = ws.add_user(input)?;
            out.info(&v, |v| {
                let note = if v.onboarded { "" } else { " (not onboarded: no password yet)" };
                format!("Added {} <{}>{note}", v.username, v.email)
            })
        }
        UserCommand::List { search, status, onboarded, sort, desc, limit, after } => {
            let query = UserListQuery {
                search: search.clone(),
                status: status.map(|s| match s {
                    StatusArg::Active => "active".to_owned(),
                    StatusArg::Disabled => "disabled".to_owned(),
                }),
                onboarded: onboarded.map(|o| matches!(o, YesNo::Yes)),
                sort: Some(
                    match sort {
                        SortArg::Username => "username",
                        SortArg::Email => "email",
                        SortArg::First => "firstName",
                        SortArg::Last => "lastName",
                        SortArg::Created => "createdAt",
                    }
                    .to_owned(),
                ),
                direction: Some(if *desc { "desc" } else { "asc" }.to_owned()),
                limit: Some(*limit),
                after: after.clone(),
                group: None,
            };
            out.user_page(&ws.list_users(&query)?)
        }
        UserCommand::Show { username } => out.user(&ws.get_user(username)?),
        UserCommand::Edit { username, email, profile } => {
            let input = UserEditInput {
                expected_version: None,
                email: email.clone(),
                first_name: profile.first.clone(),
                last_name: profile.last.clone(),
                phone: profile.phone.clone(),
                attributes: AttributeInput(profile.attrs.clone()),
            };
            let v = ws.edit_user(username, input)?;
            out.info(&v, |v| format!("Saved {} <{}> (version {})", v.username, v.email, v.version))
        }
        UserCommand::Delete { username } => {
            let v = ws.delete_user(username)?;
            out.info(&v, |v| format!("Deleted {} <{}>", v.username, v.email))
        }
    }
}

/// The first line of standard input, without its line ending.
fn read_password() -> Result<Secret<String>, Error> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::new(ErrorCode::Usage, format!("Could not read the password from standard input: {e}")))?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        return Err(Error::new(ErrorCode::Usage, "--password-stdin was given but standard input had no password"));
    }
    Ok(Secret::new(pw))
}
