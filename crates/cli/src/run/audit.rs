//! `roster audit`.

use roster_workspace::{AuditListQuery, Error, Workspace};

use crate::output::Out;

pub fn list(ws: &Workspace, user: &Option<String>, action: &Option<String>, limit: Option<usize>, before: Option<i64>, out: Out) -> Result<(), Error> {
    let query = AuditListQuery { user: user.clone(), action: action.clone(), limit, before };
    out.audit(&ws.audit(&query)?)
}
