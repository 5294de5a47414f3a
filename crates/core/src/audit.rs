//! What the audit log records: which kind of thing changed and how.

/// The kind of thing an audit entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEntity {
    User,
    Group,
    Role,
    Attribute,
    Settings,
    /// A bulk CSV batch.
    Batch,
}

impl AuditEntity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::Role => "role",
            Self::Attribute => "attribute",
            Self::Settings => "settings",
            Self::Batch => "batch",
        }
    }
}

/// What happened. Stable strings: scripts filter the audit log on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Create,
    Update,
    Delete,
    Define,
    Seed,
}

impl AuditAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Define => "define",
            Self::Seed => "seed",
        }
    }
}
