//! `roster group …`.

use roster_workspace::{Error, UserListQuery, Workspace};

use crate::args::GroupCommand;
use crate::output::{count, Out};

pub fn run(ws: &mut Workspace, cmd: &GroupCommand, out: Out) -> Result<(), Error> {
    match cmd {
        GroupCommand::Add { name, description } => {
            let group = ws.add_group(name, description)?;
            out.info(&group, |g| format!("Added group {}", g.name))
        }
        GroupCommand::List => out.groups(&ws.list_groups()?),
        GroupCommand::Show { name, limit, after } => {
            let group = ws.group_view(name)?;
            let query = UserListQuery { limit: Some(*limit), after: after.clone(), ..UserListQuery::default() };
            out.group_page(&group, &ws.group_members(&group.name, &query)?)
        }
        GroupCommand::Rename { old, new } => {
            let group = ws.rename_group(old, new)?;
            out.info(&group, |g| format!("Renamed group {old} to {}", g.name))
        }
        GroupCommand::Delete { name } => {
            let group = ws.delete_group(name)?;
            out.info(&group, |g| format!("Deleted group {} ({} removed from it; the users stay)", g.name, count(g.members, "member", "members")))
        }
        GroupCommand::Members { name, add, remove } => {
            let group = ws.change_group_members(name, add, remove)?;
            out.info(&group, |g| format!("Group {} has {}", g.name, count(g.members, "member", "members")))
        }
    }
}
