//! `roster mail …`: the SMTP server (its password in the OS keyring) and a test mail.

use roster_workspace::{Error, MailSetupInput, MailView, Workspace};

use crate::args::MailCommand;
use crate::output::Out;

pub fn run(ws: &mut Workspace, cmd: &MailCommand, out: Out) -> Result<(), Error> {
    match cmd {
        MailCommand::Setup { host, port, security, user, from, password_stdin } => {
            let password = if *password_stdin { Some(super::user::read_password()?) } else { None };
            let input = MailSetupInput { host: host.clone(), port: *port, security: security.clone(), user: user.clone(), from: from.clone(), password };
            let view = ws.mail_setup(input)?;
            out.info(&view, |v| format!("Mail goes through {}:{} ({}) from {}. {}", v.host, v.port, v.security, v.from, password_line(v)))
        }
        MailCommand::Show => out.info(&ws.mail_show()?, |v| {
            if !v.configured {
                return format!("Mail is not set up: roster mail setup --host H --from ADDRESS [--user U --password-stdin]. Keyring: {}", v.keyring);
            }
            let user = if v.user.is_empty() { "no login".to_owned() } else { format!("login {}", v.user) };
            format!("{}:{} ({}), {user}, from {}. {}", v.host, v.port, v.security, v.from, password_line(v))
        }),
        MailCommand::Test { to } => out.info(&ws.mail_test(to)?, |s| format!("Sent a test mail to {} through {}", s.to, s.server)),
    }
}

fn password_line(v: &MailView) -> String {
    match (v.password_in_keyring, v.keyring.as_str()) {
        (true, _) => "The password is in the OS keyring.".to_owned(),
        (false, "available") => "No password stored.".to_owned(),
        (false, why) => format!("Keyring: {why}"),
    }
}
