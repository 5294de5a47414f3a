//! `roster mail …`: the SMTP server (its password in the OS keyring), a test mail, sending
//! user mails through the outbox, the options and the templates.

use roster_workspace::{
    Error, ErrorCode, MailOptionsInput, MailQueueInput, MailSendView, MailSetupInput, MailTemplateInput, MailView, OutboxQuery, Workspace,
};

use crate::args::{MailCommand, MailStateArg, SendKindArg, TemplateCommand, TemplateKindArg};
use crate::output::{self, count, Out};

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
        MailCommand::Send { kind: None, concurrency, .. } => {
            let bar = output::ProgressBar::new(!out.json, "Sending mails").cancel_on_ctrl_c();
            let sent = ws.mail_send(concurrency.concurrency.into(), &bar);
            bar.finish();
            let sent = sent?;
            out.mail_send(&sent)?;
            outcome(&sent)
        }
        MailCommand::Send { kind: Some(kind), usernames, all_not_onboarded, reminder_after_days, concurrency } => {
            let input = MailQueueInput {
                kind: send_kind(*kind).to_owned(),
                usernames: usernames.clone(),
                all_not_onboarded: *all_not_onboarded,
                reminder_after_days: *reminder_after_days,
            };
            let bar = output::ProgressBar::new(!out.json, "Sending mails").cancel_on_ctrl_c();
            let done = ws.mail_send_to(input, concurrency.concurrency.into(), &bar);
            bar.finish();
            let done = done?;
            out.mail_sent_to(&done)?;
            outcome(&done.sent)
        }
        MailCommand::Outbox { state, limit, before } => {
            let query = OutboxQuery { state: state.map(state_name).map(str::to_owned), before: *before, limit: *limit };
            out.outbox(&ws.mail_outbox(&query)?)
        }
        MailCommand::Retry { ids, concurrency } => {
            let bar = output::ProgressBar::new(!out.json, "Sending mails").cancel_on_ctrl_c();
            let sent = ws.mail_retry((!ids.is_empty()).then(|| ids.clone()), concurrency.concurrency.into(), &bar);
            bar.finish();
            let sent = sent?;
            out.mail_send(&sent)?;
            outcome(&sent)
        }
        MailCommand::Options { portal_url: None, organisation: None, expires_days: None, alert_to: None, auto_send_on_create: None } => {
            out.mail_options(&ws.mail_options()?)
        }
        MailCommand::Options { portal_url, organisation, expires_days, alert_to, auto_send_on_create } => {
            let input = MailOptionsInput {
                portal_url: portal_url.clone(),
                organisation: organisation.clone(),
                expires_days: *expires_days,
                alert_to: alert_to.clone(),
                auto_send_on_create: *auto_send_on_create,
            };
            out.mail_options(&ws.mail_options_set(input)?)
        }
        MailCommand::Template(cmd) => template(ws, cmd, out),
    }
}

fn template(ws: &mut Workspace, cmd: &TemplateCommand, out: Out) -> Result<(), Error> {
    match cmd {
        TemplateCommand::List => out.mail_templates(&ws.mail_templates()?),
        TemplateCommand::Show { kind } => {
            let all = ws.mail_templates()?;
            out.mail_template(all.iter().find(|t| t.kind == template_kind(*kind)).ok_or_else(|| missing(*kind))?)
        }
        TemplateCommand::Set { kind, subject, text, text_file, html, html_file } => {
            let input = MailTemplateInput {
                kind: template_kind(*kind).to_owned(),
                subject: subject.clone(),
                text: read_part(text, text_file)?,
                html: read_part(html, html_file)?,
            };
            let saved = ws.mail_template_save(input)?;
            out.info(&saved, |t| format!("Saved the {} template (roster mail template preview {} shows it filled in)", t.kind, t.kind))
        }
        TemplateCommand::Reset { kind } => {
            let view = ws.mail_template_reset(template_kind(*kind))?;
            out.info(&view, |t| format!("The {} template is Roster's default again", t.kind))
        }
        TemplateCommand::Preview { kind, user } => {
            // The stored template (edited or default), filled in by the services.
            let all = ws.mail_templates()?;
            let t = all.iter().find(|t| t.kind == template_kind(*kind)).ok_or_else(|| missing(*kind))?;
            let input = MailTemplateInput { kind: t.kind.to_owned(), subject: t.subject.clone(), text: t.text.clone(), html: t.html.clone() };
            out.mail_preview(&ws.mail_preview(input, user.as_deref())?)
        }
    }
}

/// Exit 1 when sending stopped (the server, or Ctrl-C) or some mails failed; the view is
/// printed first, so the reason on stderr is the last word.
fn outcome(s: &MailSendView) -> Result<(), Error> {
    let waiting = format!("{} in the outbox: `roster mail send` sends them", count(s.queued, "mail waits", "mails wait"));
    if let Some(p) = &s.stopped_by {
        let mut problem = p.clone();
        problem.message = format!("{}; {waiting}", p.message);
        return Err(Error { code: ErrorCode::Remote, message: problem.message.clone(), fields: vec![problem] });
    }
    if s.cancelled {
        return Err(Error::new(ErrorCode::Cancelled, format!("Stopped: {waiting}")));
    }
    if s.failed > 0 {
        let message = format!("{} failed: `roster mail outbox --state failed` says why; `roster mail retry` sends them again", count(s.failed, "mail", "mails"));
        return Err(Error::new(ErrorCode::Remote, message));
    }
    Ok(())
}

/// A template given inline or from a file; neither: empty.
fn read_part(inline: &Option<String>, file: &Option<std::path::PathBuf>) -> Result<String, Error> {
    match (inline, file) {
        (Some(text), _) => Ok(text.clone()),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| Error::new(ErrorCode::Usage, format!("Cannot read {}: {e}", path.display()))),
        (None, None) => Ok(String::new()),
    }
}

fn missing(kind: TemplateKindArg) -> Error {
    Error::new(ErrorCode::Internal, format!("The services list no {} template", template_kind(kind)))
}

fn send_kind(k: SendKindArg) -> &'static str {
    match k {
        SendKindArg::Activation => "activation",
        SendKindArg::Reset => "password_reset",
        SendKindArg::Welcome => "welcome",
    }
}

fn template_kind(k: TemplateKindArg) -> &'static str {
    match k {
        TemplateKindArg::Activation => "activation",
        TemplateKindArg::Reset => "password_reset",
        TemplateKindArg::Welcome => "welcome",
        TemplateKindArg::BulkResult => "bulk_result",
    }
}

fn state_name(s: MailStateArg) -> &'static str {
    match s {
        MailStateArg::Queued => "queued",
        MailStateArg::Sending => "sending",
        MailStateArg::Sent => "sent",
        MailStateArg::Failed => "failed",
    }
}

fn password_line(v: &MailView) -> String {
    match (v.password_in_keyring, v.keyring.as_str()) {
        (true, _) => "The password is in the OS keyring.".to_owned(),
        (false, "available") => "No password stored.".to_owned(),
        (false, why) => format!("Keyring: {why}"),
    }
}
