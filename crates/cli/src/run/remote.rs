//! `roster remote …`: remote directories (SCIM 2.0), their bearer token in the OS keyring only.

use std::io::BufRead;

use roster_core::Secret;
use roster_workspace::{Error, ErrorCode, RemoteInput, Workspace};

use crate::args::RemoteCommand;
use crate::output::Out;

pub fn run(ws: &mut Workspace, cmd: &RemoteCommand, out: Out) -> Result<(), Error> {
    match cmd {
        RemoteCommand::Add { name, url, token_stdin, insecure_skip_tls_verify } => {
            let token = if *token_stdin { Some(read_token()?) } else { None };
            let input = RemoteInput { name: name.clone(), url: url.clone(), token, insecure_skip_tls_verify: *insecure_skip_tls_verify };
            let view = ws.remote_add(input)?;
            out.remote_added(&view)
        }
        RemoteCommand::List => out.remotes(&ws.remote_list()?),
        RemoteCommand::Show { name } => out.remote(&ws.remote_show(name)?),
        RemoteCommand::Test { name } => {
            out.warn_if_insecure(ws.remote_show(name).ok().as_ref());
            out.remote_tested(&ws.remote_test(name)?)
        }
        RemoteCommand::Link { name } => out.remote_linked(&ws.remote_link(name)?),
        RemoteCommand::Remove { name } => out.remote_removed(&ws.remote_remove(name)?),
    }
}

/// The first line of standard input, without its line ending: the bearer token.
fn read_token() -> Result<Secret<String>, Error> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::new(ErrorCode::Usage, format!("Could not read the token from standard input: {e}")))?;
    let token = line.trim_end_matches(['\n', '\r']).to_owned();
    if token.is_empty() {
        return Err(Error::new(ErrorCode::Usage, "--token-stdin was given but standard input had no token"));
    }
    Ok(Secret::new(token))
}
