//! `roster role …`.

use roster_workspace::{Error, Workspace};

use crate::args::RoleCommand;
use crate::output::Out;

pub fn run(ws: &mut Workspace, cmd: &RoleCommand, out: Out) -> Result<(), Error> {
    match cmd {
        RoleCommand::Add { name, description } => {
            let role = ws.add_role(name, description)?;
            out.info(&role, |r| format!("Added role {}", r.name))
        }
        RoleCommand::List => out.roles(&ws.list_roles()?),
        RoleCommand::Delete { name } => {
            let role = ws.delete_role(name)?;
            out.info(&role, |r| format!("Deleted role {} (held by {} users)", r.name, r.users))
        }
    }
}
