//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "roster", version, about = "Manage the users and groups of an identity directory, offline first.")]
pub struct Cli {
    /// The workspace file [default: $ROSTER_WORKSPACE, else workspace.roster in the platform's data folder]
    #[arg(long, global = true, value_name = "PATH")]
    pub workspace: Option<PathBuf>,
    /// Print one JSON document on stdout (and errors as JSON on stderr)
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the workspace file if it does not exist (safe to run again)
    Init,
    /// Users: add, list, show, edit, delete, and every per-user action
    #[command(subcommand)]
    User(UserCommand),
    /// Groups: add, list, show, rename, delete, members
    #[command(subcommand)]
    Group(GroupCommand),
    /// Roles: add, list, delete
    #[command(subcommand)]
    Role(RoleCommand),
    /// Custom attributes that every user may carry
    #[command(subcommand)]
    Attr(AttrCommand),
    /// Statistics
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Bulk CSV: the sample template, the plan of a file, apply, history and undo
    #[command(subcommand)]
    Bulk(BulkCommand),
    /// Mail: the SMTP server, sending activation, reset and welcome mails, the outbox, options and templates
    #[command(subcommand)]
    Mail(MailCommand),
    /// Remote directories (SCIM 2.0 service providers): add, list, show, test, link, remove
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Sync with the linked remote: status, pull, plan, push, pushes, results, conflicts, resolve
    #[command(subcommand)]
    Sync(SyncCommand),
    /// The audit log, newest first
    Audit {
        /// Only entries about this user (or group, role, attribute)
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Only entries of this action (disable, assign_groups, delete, ...)
        #[arg(long, value_name = "ACTION")]
        action: Option<String>,
        /// Entries per page (1 to 1000) [default: 50]
        #[arg(long)]
        limit: Option<usize>,
        /// Entries older than this one (the `next` of the previous page)
        #[arg(long, value_name = "SEQ")]
        before: Option<i64>,
    },
    /// Fill an empty workspace with realistic sample users, groups, roles and sessions
    Demo {
        /// How many users
        #[arg(long, default_value_t = 1000)]
        users: u64,
        /// The same seed gives the same directory
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// First name
    #[arg(long = "first", value_name = "NAME")]
    pub first: Option<String>,
    /// Last name
    #[arg(long = "last", value_name = "NAME")]
    pub last: Option<String>,
    /// Phone number; without a leading + it is read in the workspace's default region
    #[arg(long, value_name = "NUMBER", allow_hyphen_values = true)]
    pub phone: Option<String>,
    /// A custom attribute value; repeat for several; an empty VALUE clears it
    #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attr)]
    pub attrs: Vec<(String, String)>,
}

fn parse_attr(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("\"{s}\" is not NAME=VALUE"))
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; without --password-stdin the user is not onboarded until they set a password
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        profile: ProfileArgs,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users, a page at a time
    List {
        /// Words that start a word of the username, email, name or phone
        #[arg(long)]
        search: Option<String>,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long, value_enum)]
        onboarded: Option<YesNo>,
        /// Sort column
        #[arg(long, value_enum, default_value_t = SortArg::Username)]
        sort: SortArg,
        /// Sort descending
        #[arg(long)]
        desc: bool,
        /// Users per page (1 to 1000)
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Continue after this cursor (the `next` of the previous page)
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
    },
    /// Show one user
    Show { username: String },
    /// Change a user's profile and custom attributes; an empty value clears an optional field
    Edit {
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Delete a user with their memberships, roles and sessions
    Delete { username: String },
    /// The user's groups, and the groups they could be assigned to
    Groups { username: String },
    /// Add the user to groups
    Assign {
        username: String,
        #[arg(required = true, value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// Remove the user from groups
    Unassign {
        username: String,
        #[arg(required = true, value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// Set the default second factor: none, totp, email_otp, sms_otp, push or hardware_key
    SecondFactor { username: String, method: String },
    /// Clear the password and second factor: the user is not onboarded again
    RemoveIdentity { username: String },
    /// Send a password reset mail (needs mail)
    ResetPassword { username: String },
    /// Set the date after which the password stops working, or clear it
    #[command(group(ArgGroup::new("expiry").required(true).args(["at", "clear"])), override_usage = "roster user expire-password <USERNAME> <--at <YYYY-MM-DD>|--clear>")]
    ExpirePassword {
        username: String,
        /// The last day the password works
        #[arg(long, value_name = "YYYY-MM-DD")]
        at: Option<String>,
        /// No expiry
        #[arg(long)]
        clear: bool,
    },
    /// Clear MFA enrolment: the user enrols again at next sign-in
    ResetMfa { username: String },
    /// Set how many devices the user may use, or go back to the workspace default
    #[command(group(ArgGroup::new("limit_or_default").required(true).args(["limit", "default"])), override_usage = "roster user device-limit <USERNAME> <LIMIT|--default>")]
    DeviceLimit {
        username: String,
        limit: Option<String>,
        /// Use the workspace default
        #[arg(long)]
        default: bool,
    },
    /// Disable a user: they cannot sign in anywhere
    Disable { username: String },
    /// Enable a disabled user
    Enable { username: String },
    /// The user's active sessions
    Sessions { username: String },
    /// Revoke one session, or all of them
    #[command(group(ArgGroup::new("which").required(true).args(["id", "all"])), override_usage = "roster user revoke-session <USERNAME> <ID|--all>")]
    RevokeSession {
        username: String,
        id: Option<String>,
        /// Every session of the user
        #[arg(long)]
        all: bool,
    },
    /// Add and remove roles of a user
    #[command(group(ArgGroup::new("change").required(true).multiple(true).args(["add", "remove"])), override_usage = "roster user role <USERNAME> [--add <ROLE>]... [--remove <ROLE>]...")]
    Role {
        username: String,
        /// A role to add; repeat for several
        #[arg(long, value_name = "ROLE")]
        add: Vec<String>,
        /// A role to remove; repeat for several
        #[arg(long, value_name = "ROLE")]
        remove: Vec<String>,
    },
    /// Undo the change recorded in an audit entry (see `roster audit`)
    Undo { seq: i64 },
    /// Apply one action to many users at once; all or nothing
    Bulk {
        #[arg(value_enum)]
        action: BulkArg,
        #[arg(required = true, value_name = "USERNAME")]
        usernames: Vec<String>,
        /// The group, for assign-group and remove-from-group
        #[arg(long)]
        group: Option<String>,
        /// Deleting more than 10 users: the number of users, to confirm
        #[arg(long, value_name = "N")]
        yes_count: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BulkArg {
    Disable,
    Enable,
    Delete,
    AssignGroup,
    RemoveFromGroup,
    SendActivationMail,
}

#[derive(Debug, Subcommand)]
pub enum BulkCommand {
    /// Show what a CSV file would change, row by row, without changing anything (a dry run)
    Plan {
        /// The CSV file (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab)
        file: PathBuf,
        /// Also write the plan as CSV (Row, Action, Username, Outcome, Changes, Problems)
        #[arg(long, value_name = "PLAN.csv")]
        out: Option<PathBuf>,
    },
    /// Apply a CSV file: every change in one transaction, or none. Prints the counts and the batch id
    Apply {
        /// The CSV file (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab)
        file: PathBuf,
        /// Apply the valid rows even though some rows have errors (those are reported as failed)
        #[arg(long)]
        skip_invalid: bool,
        /// Write the results: the file's columns plus Result and Message
        #[arg(long, value_name = "RESULT.csv")]
        report: Option<PathBuf>,
        /// With --report: only the failed rows, in the file's own columns, ready to fix and import again
        #[arg(long, requires = "report")]
        failed_only: bool,
        /// Confirm deleting more than 10 users, or more than 5% of them
        #[arg(long)]
        yes: bool,
    },
    /// The batches applied, newest first
    History,
    /// Put the workspace back as it was before a batch (see `bulk history`)
    Undo {
        /// The batch id printed by `bulk apply`
        batch: String,
        /// Undo even when users the batch touched have changed since (their changes are overwritten)
        #[arg(long)]
        force: bool,
    },
    /// Write the sample file: the header, the workspace's custom attributes, and an example add, update and delete
    Template {
        /// Where to write it [default: bulkUserCsvSample.csv in the current folder]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Set the SMTP server; the password (read from standard input) goes to the OS keyring only
    Setup {
        #[arg(long)]
        host: String,
        /// [default: 25, 587 or 465 for none, starttls or tls]
        #[arg(long)]
        port: Option<u16>,
        /// none, starttls or tls
        #[arg(long, default_value = "starttls")]
        security: String,
        /// The login, if the server needs one
        #[arg(long, default_value = "")]
        user: String,
        /// The sender address of Roster's mails
        #[arg(long, value_name = "ADDRESS")]
        from: String,
        /// Read the login's password from standard input (one line)
        #[arg(long)]
        password_stdin: bool,
    },
    /// The SMTP server, and whether its password is in the keyring
    Show,
    /// Send a test mail
    Test {
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
    /// Queue a mail for users and send the outbox; without KIND, send what is queued (resume)
    #[command(override_usage = "roster mail send [KIND [USERNAME]... [--all-not-onboarded] [--reminder-after-days <DAYS>]] [--concurrency <N>]")]
    Send {
        /// The mail; without it, the mails already queued go out
        #[arg(value_enum)]
        kind: Option<SendKindArg>,
        /// The users to mail
        #[arg(value_name = "USERNAME", requires = "kind")]
        usernames: Vec<String>,
        /// Activation: every active user without a password who was never sent one
        #[arg(long, requires = "kind")]
        all_not_onboarded: bool,
        /// Activation: a reminder to invited users last mailed at least DAYS days ago
        #[arg(long, value_name = "DAYS", requires = "kind")]
        reminder_after_days: Option<u32>,
        #[command(flatten)]
        concurrency: ConcurrencyArg,
    },
    /// The outbox, newest first, with how many mails are in each state
    Outbox {
        #[arg(long, value_enum)]
        state: Option<MailStateArg>,
        /// Mails per page (1 to 1000) [default: 50]
        #[arg(long)]
        limit: Option<usize>,
        /// Mails older than this id (the `next` of the previous page)
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
    },
    /// Put failed mails (all, or the ids given) back in the queue, and send the queue
    Retry {
        /// Outbox ids (see `roster mail outbox --state failed`); none: every failed mail
        #[arg(value_name = "ID")]
        ids: Vec<i64>,
        #[command(flatten)]
        concurrency: ConcurrencyArg,
    },
    /// How users get to a password (the directory's reset page, or a temporary password), and what mails say; no flags: show them
    Options {
        /// The directory's reset page, with {username} and {email}; "" for temporary passwords instead
        #[arg(long, value_name = "URL")]
        portal_url: Option<String>,
        /// The organisation's name in mails; "" for the sender's domain
        #[arg(long, value_name = "NAME")]
        organisation: Option<String>,
        /// How many days a link or temporary password is said to be valid (1 to 365)
        #[arg(long, value_name = "DAYS")]
        expires_days: Option<u32>,
        /// Where bulk results are mailed; "" for the sender address
        #[arg(long, value_name = "ADDRESS")]
        alert_to: Option<String>,
        /// Send the activation mail when a user is created without a password (user add, bulk apply)
        #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
        auto_send_on_create: Option<bool>,
    },
    /// The mail templates: list, show, set, reset, preview
    #[command(subcommand)]
    Template(TemplateCommand),
}

#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Add a remote; its bearer token (read from standard input) goes to the OS keyring only. The first remote added is linked
    Add {
        /// A name for it: letters, digits, '-', '_' or '.'
        name: String,
        /// The SCIM base URL, e.g. https://idp.example.com/scim/v2
        #[arg(long, value_name = "BASE_URL")]
        url: String,
        /// Read the bearer token from standard input (one line); without it no token is sent
        #[arg(long)]
        token_stdin: bool,
        /// Do not verify the server's TLS certificate (a warning each time the remote is used)
        #[arg(long)]
        insecure_skip_tls_verify: bool,
    },
    /// The remotes, the linked one marked
    List,
    /// A remote, with the capabilities its server reported at the last test or sync
    Show { name: String },
    /// Connect: read the server's capabilities (/ServiceProviderConfig, /Schemas, /ResourceTypes) and check the token
    Test { name: String },
    /// Link the workspace to this remote: from now on its changes queue for it
    Link { name: String },
    /// Remove a remote and its token; removing the linked one makes the workspace local only
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// The linked remote, pending changes, open conflicts, last pull and push
    Status,
    /// Read the remote's users and groups into the workspace (never over a local change waiting to be pushed)
    #[command(after_help = "Where both sides changed different fields of a user or group, the remote's fields are taken and \
yours stay queued for the push. Exits 5 when the pull leaves conflicts (fields both sides changed differently, or a user or \
group deleted on the remote while a change here waits): `roster sync conflicts`, then `roster sync resolve`.")]
    Pull,
    /// What a push would send, per pending change; contacts nobody
    Plan,
    /// Send the pending changes to the linked remote
    Push,
    /// The open conflicts: mine, theirs and base per field
    Conflicts,
    /// The pushes kept, newest first: remote, when, counts per result; one that never finished marked interrupted
    Pushes {
        /// How many (1 to 200)
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Only pushes older than this one (its number)
        #[arg(long, value_name = "PUSH")]
        before: Option<i64>,
    },
    /// One push's results per operation (the last push unless PUSH is given); --csv exports them
    Results {
        /// The push's number (see `roster sync pushes`)
        push: Option<i64>,
        /// Only the operations with this result
        #[arg(long, value_enum, value_name = "RESULT")]
        only: Option<PushResultArg>,
        /// Write them as CSV to FILE (or standard output with -) instead
        #[arg(long, value_name = "FILE|-")]
        csv: Option<PathBuf>,
    },
    /// Resolve a conflict: one side whole (--keep), or per field (--field), or both (--keep for the fields not named)
    #[command(after_help = "Without --keep, every field both sides changed must be named with --field; a field only one side \
changed keeps that side's value. A user or group deleted on the remote is kept whole: mine creates it again with the next \
push, theirs deletes it here.\n\nExamples:\n  roster sync resolve 3 --keep mine\n  roster sync resolve 3 --field givenName=mine --field email=theirs\n  \
roster sync resolve 3 --keep theirs --field roles=mine")]
    Resolve {
        /// The conflict's id (see `roster sync conflicts`)
        id: i64,
        /// mine: your version goes with the next push; theirs: the remote's version replaces yours (for every field not named with --field)
        #[arg(long, value_enum, required_unless_present = "field")]
        keep: Option<KeepArg>,
        /// One field's side, as NAME=mine|theirs (NAME as `roster sync conflicts` shows it); repeatable
        #[arg(long = "field", value_name = "NAME=SIDE", value_parser = parse_field_side)]
        field: Vec<(String, String)>,
    },
}

/// `NAME=SIDE` of `roster sync resolve --field`: split here; the services check the name and side.
fn parse_field_side(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, side)) if !name.trim().is_empty() && !side.trim().is_empty() => Ok((name.trim().to_owned(), side.trim().to_owned())),
        _ => Err(format!("\"{s}\" is not NAME=mine or NAME=theirs")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PushResultArg {
    Done,
    Failed,
    Conflict,
    #[value(name = "not_sent", alias = "not-sent")]
    NotSent,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeepArg {
    Mine,
    Theirs,
}

#[derive(Debug, Args)]
pub struct ConcurrencyArg {
    /// Mails sent at once, each on its own connection (1 to 8)
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub concurrency: u8,
}

/// The mails `roster mail send` queues.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SendKindArg {
    /// How to set a first password (a reset page link or a temporary password)
    Activation,
    /// A password reset
    #[value(alias = "password_reset", alias = "password-reset")]
    Reset,
    Welcome,
}

/// Every mail with a template.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TemplateKindArg {
    Activation,
    #[value(alias = "password_reset", alias = "password-reset")]
    Reset,
    Welcome,
    /// To the admin after a bulk file is applied
    #[value(name = "bulk_result", alias = "bulk-result")]
    BulkResult,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MailStateArg {
    Queued,
    Sending,
    Sent,
    Failed,
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Every template, edited or Roster's default
    List,
    /// A template's subject, text and HTML, and the placeholders it may use
    Show {
        #[arg(value_enum)]
        kind: TemplateKindArg,
    },
    /// Save an edited template; a placeholder the mail does not know is refused
    #[command(group(ArgGroup::new("text_part").required(true).args(["text", "text_file"])))]
    Set {
        #[arg(value_enum)]
        kind: TemplateKindArg,
        /// One line; placeholders like {first_name}
        #[arg(long)]
        subject: String,
        /// The plain-text part
        #[arg(long)]
        text: Option<String>,
        /// The plain-text part, from a file (UTF-8)
        #[arg(long, value_name = "FILE")]
        text_file: Option<PathBuf>,
        /// The HTML part (values are HTML-escaped); without it, the mail is plain text only
        #[arg(long, conflicts_with = "html_file")]
        html: Option<String>,
        /// The HTML part, from a file (UTF-8)
        #[arg(long, value_name = "FILE")]
        html_file: Option<PathBuf>,
    },
    /// Go back to Roster's default template
    Reset {
        #[arg(value_enum)]
        kind: TemplateKindArg,
    },
    /// The template filled in for a user (or a sample user), as it would be sent now; nothing is sent
    Preview {
        #[arg(value_enum)]
        kind: TemplateKindArg,
        /// The user to fill it in for [default: a sample user]
        #[arg(long, value_name = "USERNAME")]
        user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group
    Add {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the groups
    List,
    /// Show a group and a page of its members
    Show {
        name: String,
        /// Members per page (1 to 1000)
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Continue after this cursor (the `next` of the previous page)
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
    },
    /// Rename a group
    Rename { old: String, new: String },
    /// Delete a group; its users stay
    Delete { name: String },
    /// Add and remove members
    #[command(group(ArgGroup::new("change").required(true).multiple(true).args(["add", "remove"])), override_usage = "roster group members <NAME> [--add <USERNAME>...] [--remove <USERNAME>...]")]
    Members {
        name: String,
        /// Users to add
        #[arg(long, value_name = "USERNAME", num_args = 1..)]
        add: Vec<String>,
        /// Users to remove
        #[arg(long, value_name = "USERNAME", num_args = 1..)]
        remove: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create a role
    Add {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the roles
    List,
    /// Delete a role; users who had it lose it
    Delete { name: String },
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Onboarded vs not, invited, disabled, how long the not onboarded have waited, and who is due a reminder
    Onboarding {
        /// Invited users last mailed at least this many days ago are due a reminder
        #[arg(long, value_name = "DAYS")]
        remind_after_days: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AttrCommand {
    /// Define a custom attribute
    Define {
        name: String,
        #[arg(long = "type", value_enum)]
        kind: AttrTypeArg,
        /// Every user must have a value (only while the workspace has no users)
        #[arg(long)]
        required: bool,
    },
    /// List the custom attributes
    List,
    /// Remove a custom attribute and every user's value of it
    Drop { name: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Active,
    Disabled,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SortArg {
    Username,
    Email,
    First,
    Last,
    Created,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AttrTypeArg {
    String,
    Number,
    Boolean,
    Date,
}
