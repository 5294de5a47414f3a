//! `roster user …`: the profile, and every per-user action of the row's "Select" menu.

use std::io::BufRead;

use roster_core::Secret;
use roster_workspace::{AttributeInput, BulkActionInput, Error, ErrorCode, UserEditInput, UserInput, UserListQuery, Workspace};

use crate::args::{BulkArg, SortArg, StatusArg, UserCommand, YesNo};
use crate::output::Out;

pub fn run(ws: &mut Workspace, cmd: &UserCommand, out: Out) -> Result<(), Error> {
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
        UserCommand::Groups { username } => out.user_groups(&ws.user_groups(username)?),
        UserCommand::Assign { username, groups } => out.action(&ws.assign_groups(username, groups)?),
        UserCommand::Unassign { username, groups } => out.action(&ws.unassign_groups(username, groups)?),
        UserCommand::SecondFactor { username, method } => out.action(&ws.set_second_factor(username, method)?),
        UserCommand::RemoveIdentity { username } => out.action(&ws.remove_identity(username)?),
        UserCommand::ResetPassword { username } => out.action(&ws.send_password_reset(username)?),
        UserCommand::ExpirePassword { username, at, clear: _ } => out.action(&ws.expire_password(username, at.as_deref())?),
        UserCommand::ResetMfa { username } => out.action(&ws.reset_mfa(username)?),
        UserCommand::DeviceLimit { username, limit, default: _ } => out.action(&ws.set_device_limit(username, limit.as_deref())?),
        UserCommand::Disable { username } => out.action(&ws.disable_user(username)?),
        UserCommand::Enable { username } => out.action(&ws.enable_user(username)?),
        UserCommand::Sessions { username } => out.sessions(&ws.sessions(username)?),
        UserCommand::RevokeSession { username, id, all: _ } => out.action(&ws.revoke_sessions(username, id.as_deref())?),
        UserCommand::Role { username, add, remove } => out.action(&ws.change_roles(username, add, remove)?),
        UserCommand::Undo { seq } => out.action(&ws.undo(*seq)?),
        UserCommand::Bulk { action, usernames, group, yes_count } => {
            let action = BulkActionInput { kind: bulk_kind(*action).to_owned(), group: group.clone() }.parse()?;
            out.bulk(&ws.apply_to_users(usernames, action, *yes_count)?)
        }
    }
}

/// The services' name of a multi-select action.
fn bulk_kind(a: BulkArg) -> &'static str {
    match a {
        BulkArg::Disable => "disable",
        BulkArg::Enable => "enable",
        BulkArg::Delete => "delete",
        BulkArg::AssignGroup => "assign_group",
        BulkArg::RemoveFromGroup => "remove_from_group",
        BulkArg::SendActivationMail => "send_activation_mail",
    }
}

/// The first line of standard input, without its line ending.
pub(super) fn read_password() -> Result<Secret<String>, Error> {
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
