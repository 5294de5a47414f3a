//! One function per subcommand: read the arguments, call one workspace function, print.
//! Grouped by noun: `user`, `group`, `role`, `bulk`, `mail`, `remote`, `sync`, `audit`; the small
//! ones are here.

mod audit;
mod bulk;
mod group;
mod mail;
mod remote;
mod role;
mod sync;
mod sync_results;
mod user;

use roster_workspace::{Error, Workspace};

use crate::args::{AttrCommand, Cli, Command, StatsCommand};
use crate::output::{self, Out};

pub fn run(cli: &Cli) -> Result<(), Error> {
    let mut ws = Workspace::open(&Workspace::resolve_path(cli.workspace.as_deref()))?;
    let out = Out { json: cli.json };
    match &cli.command {
        Command::Init => out.info(&ws.info()?, |i| format!("Workspace ready: {} ({} users)", i.path, i.user_count)),
        Command::User(cmd) => user::run(&mut ws, cmd, out),
        Command::Group(cmd) => group::run(&mut ws, cmd, out),
        Command::Role(cmd) => role::run(&mut ws, cmd, out),
        Command::Attr(cmd) => attr(&mut ws, cmd, out),
        Command::Bulk(cmd) => bulk::run(&mut ws, cmd, out),
        Command::Mail(cmd) => mail::run(&mut ws, cmd, out),
        Command::Remote(cmd) => remote::run(&mut ws, cmd, out),
        Command::Sync(cmd) => sync::run(&mut ws, cmd, out),
        Command::Stats(StatsCommand::Onboarding { remind_after_days }) => out.onboarding(&ws.onboarding_stats(*remind_after_days)?),
        Command::Audit { user, action, limit, before } => audit::list(&ws, user, action, *limit, *before, out),
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

fn attr(ws: &mut Workspace, cmd: &AttrCommand, out: Out) -> Result<(), Error> {
    match cmd {
        AttrCommand::Define { name, kind, required } => {
            let kind = format!("{kind:?}").to_lowercase();
            let view = ws.define_attribute(name, &kind, *required)?;
            out.info(&view, |v| format!("Defined {} ({}{})", v.name, v.kind, if v.required { ", required" } else { "" }))
        }
        AttrCommand::List => out.attributes(&ws.list_attributes()?),
        AttrCommand::Drop { name } => {
            let view = ws.drop_attribute(name)?;
            out.info(&view, |v| format!("Dropped attribute {} and every user's value of it", v.name))
        }
    }
}
