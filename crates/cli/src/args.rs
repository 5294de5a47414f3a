//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Users: add, list, show, edit, delete
    #[command(subcommand)]
    User(UserCommand),
    /// Custom attributes that every user may carry
    #[command(subcommand)]
    Attr(AttrCommand),
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
