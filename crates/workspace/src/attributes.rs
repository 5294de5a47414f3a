//! Use cases on custom attribute definitions.

use roster_core::{AttributeDefinition, AttributeName, AttributeType, AuditAction, AuditEntity, FieldErrors};
use roster_store::AuditRecord;

use crate::views::AttributeView;
use crate::{Error, ErrorCode, Workspace};

impl Workspace {
    /// Defines a custom attribute every user may carry. A required attribute can only be
    /// defined while no user lacks it, that is, in a workspace with no users.
    pub fn define_attribute(&mut self, name: &str, kind: &str, required: bool) -> Result<AttributeView, Error> {
        let mut errors = FieldErrors::new();
        let name = errors.take(AttributeName::parse(name));
        let kind = errors.take(kind.parse::<AttributeType>());
        let (Some(name), Some(kind)) = (name, kind) else {
            return Err(Error::from_fields(errors));
        };
        let r = self.store.reader();
        if r.attribute_definitions()?.iter().any(|d| d.name == name) {
            return Err(Error::new(ErrorCode::Conflict, format!("An attribute named {name} exists already")));
        }
        let users = r.user_count()?;
        if required && users > 0 {
            let message = format!(
                "{name} cannot be required yet: {} no value for it. Define it as optional, fill it in, then make it required.",
                crate::views::count(users, "existing user has", "existing users have")
            );
            return Err(Error {
                code: ErrorCode::Validation,
                fields: vec![crate::FieldProblem { field: "required".into(), code: "invalid_value".into(), message: message.clone() }],
                message,
            });
        }
        let def = AttributeDefinition { name, kind, required };
        let view = AttributeView::from(&def);
        let now = self.clock.now();
        let actor = self.actor.clone();
        self.store.write(|w| {
            w.define_attribute(&def, now)?;
            w.append_audit(&AuditRecord {
                at: now,
                actor: &actor,
                entity: AuditEntity::Attribute,
                entity_id: def.name.as_str(),
                subject: def.name.as_str(),
                action: AuditAction::Define.as_str(),
                summary: &format!("Defined attribute {} ({})", def.name, def.kind),
                before: None,
                after: Some(serde_json::to_string(&view).expect("views always serialise")),
            })?;
            Ok::<_, Error>(())
        })?;
        Ok(view)
    }

    /// Removes an attribute definition and every user's value of it.
    pub fn drop_attribute(&mut self, name: &str) -> Result<AttributeView, Error> {
        let def = self
            .store
            .reader()
            .attribute_definitions()?
            .into_iter()
            .find(|d| d.name.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("No custom attribute named \"{}\"", name.trim())))?;
        let view = AttributeView::from(&def);
        let summary = format!("Dropped attribute {} and its values", def.name);
        self.write_audited(AuditEntity::Attribute, def.name.as_str(), def.name.as_str(), "drop", &summary, |w| {
            w.drop_attribute(&def.name)?;
            Ok(())
        })?;
        Ok(view)
    }

    pub fn list_attributes(&self) -> Result<Vec<AttributeView>, Error> {
        Ok(self.store.reader().attribute_definitions()?.iter().map(AttributeView::from).collect())
    }
}
