//! Profiles: resolving override paths into the world, checked against the schema.

use super::schema::{self, Kind, Ty};
use super::scope::Builder;
use super::value::InstId;
use super::{Binding, Override};
use crate::diagnostic::{did_you_mean, messages};
use crate::syntax::ast;

/// What an override path names.
enum Target<'a> {
    /// A field path of an item instance (the path starts with the field's name).
    Field(InstId, Vec<&'a ast::Key>),
    Let(super::LetId),
}

impl<'a> Builder<'a> {
    /// Checks every profile's paths and registers the chosen profile's overrides.
    pub(super) fn apply_profile(&mut self, profiles: &[&'a ast::Block], selected: Option<&str>) {
        let mut seen: Vec<&ast::Block> = Vec::new();
        for profile in profiles {
            if let Some(first) = seen.iter().find(|p| p.name.name == profile.name.name) {
                self.push(messages::duplicate(
                    profile.name.span,
                    &profile.name.name,
                    first.name.span,
                ));
                continue;
            }
            seen.push(profile);
            let chosen = selected == Some(profile.name.name.as_str());
            self.register_profile(profile, chosen);
        }
        if let Some(name) = selected
            && !profiles.iter().any(|p| p.name.name == name)
        {
            let names: Vec<&str> = profiles.iter().map(|p| p.name.name.as_str()).collect();
            let suggestion = did_you_mean(name, names.iter().copied());
            self.push(messages::unknown_profile(name, &names, suggestion));
        }
    }

    fn register_profile(&mut self, profile: &'a ast::Block, chosen: bool) {
        let mut targets: Vec<(String, ast::Key)> = Vec::new();
        for entry in &profile.entries {
            let field = match entry {
                ast::Entry::Field(f) => f,
                other => {
                    let at = match other {
                        ast::Entry::Block(b) => b.kind.span,
                        ast::Entry::Param(p) => p.name.span,
                        _ => other.span(),
                    };
                    self.push(messages::item_not_allowed(
                        at,
                        "item",
                        "inside a profile, which only sets fields: `ITEM.FIELD = value`",
                    ));
                    continue;
                }
            };
            if field.op != ast::FieldOp::Assign {
                self.push(messages::comparison_not_allowed(
                    field.op_span,
                    field.op.as_str(),
                ));
            }
            let text = field.path_text();
            if let Some((_, first)) = targets.iter().find(|(t, _)| *t == text) {
                self.push(messages::duplicate(field.path_span(), &text, first.span));
                continue;
            }
            targets.push((text, field.key.clone()));
            let Some(target) = self.resolve_override(field) else {
                continue;
            };
            if !chosen {
                continue;
            }
            match target {
                Target::Field(id, path) => self
                    .world
                    .overrides
                    .entry(id)
                    .or_default()
                    .push(Override { path, field }),
                Target::Let(id) => {
                    self.world.let_overrides.insert(id, field);
                }
            }
        }
    }

    fn resolve_override(&mut self, field: &'a ast::Field) -> Option<Target<'a>> {
        let top = self.world.top?;
        let first = &field.key;
        let start = if first.name == "stack" {
            self.world.stack?
        } else {
            let found = self.world.lookup_with_span(top, &first.name);
            if let Some((_, definition)) = found {
                self.refer(first.span, definition);
            }
            match found.map(|(binding, _)| binding) {
                Some(Binding::Item(id)) => id,
                Some(Binding::Let(id)) if field.subpath.is_empty() => return Some(Target::Let(id)),
                Some(Binding::Unresolved) => return None,
                Some(Binding::Let(_)) => {
                    self.push(messages::invalid_override(
                        field.path_span(),
                        &field.path_text(),
                        &format!("`{}` is a `let`: override it whole", first.name),
                    ));
                    return None;
                }
                Some(Binding::Param(..)) | None => {
                    let mut names = self.world.names_in_scope(top);
                    names.push("stack".to_string());
                    let suggestion = did_you_mean(&first.name, names.iter().map(String::as_str))
                        .map(str::to_string);
                    self.push(messages::unknown_name(
                        first.span,
                        &first.name,
                        suggestion.as_deref(),
                    ));
                    return None;
                }
            }
        };
        let rest: Vec<&'a ast::Key> = field.subpath.iter().collect();
        self.resolve_in_item(start, rest, field)
    }

    fn resolve_in_item(
        &mut self,
        mut id: InstId,
        mut rest: Vec<&'a ast::Key>,
        field: &'a ast::Field,
    ) -> Option<Target<'a>> {
        loop {
            let Some(&segment) = rest.first() else {
                self.push(messages::invalid_override(
                    field.path_span(),
                    &field.path_text(),
                    "an override sets a field: write `ITEM.FIELD = value`",
                ));
                return None;
            };
            let kind = self.world.kind_of(id)?;
            match kind {
                Kind::Instance => {
                    if let Some(member) = self.world.member_of(id, &segment.name) {
                        if let Some(inst) = self.world.inst(member) {
                            let definition = inst.block.name.span;
                            self.refer(segment.span, definition);
                        }
                        id = member;
                        rest.remove(0);
                        continue;
                    }
                    let params = self.world.param_names(id);
                    if let Some(index) = params.iter().position(|p| *p == segment.name) {
                        if let Some(definition) = self.world.param_span(id, index) {
                            self.refer(segment.span, definition);
                        }
                        if rest.len() > 1 {
                            self.push(messages::invalid_override(
                                field.path_span(),
                                &field.path_text(),
                                &format!("`{}` is a parameter: override it whole", segment.name),
                            ));
                            return None;
                        }
                        return Some(Target::Field(id, rest));
                    }
                    let mut candidates = params;
                    if let Some(inst) = self.world.inst(id) {
                        candidates.extend(inst.members.iter().map(|(n, _)| n.clone()));
                    }
                    let what = self.world.describe_item(id);
                    let suggestion =
                        did_you_mean(&segment.name, candidates.iter().map(String::as_str))
                            .map(str::to_string);
                    self.push(messages::unknown_field(
                        segment.span,
                        &segment.name,
                        &what,
                        suggestion.as_deref(),
                    ));
                    return None;
                }
                Kind::Secret | Kind::Config => {
                    if rest.len() > 1 {
                        self.push(messages::invalid_override(
                            field.path_span(),
                            &field.path_text(),
                            &format!("`{}` is a single value", segment.name),
                        ));
                        return None;
                    }
                    return Some(Target::Field(id, rest));
                }
                _ => {
                    let fields = kind.fields().unwrap_or(&[]);
                    self.check_schema_path(fields, &rest, id, field)?;
                    return Some(Target::Field(id, rest));
                }
            }
        }
    }

    /// Checks that a field path exists in a schema.
    fn check_schema_path(
        &mut self,
        fields: &'static [schema::FieldSpec],
        path: &[&'a ast::Key],
        id: InstId,
        field: &ast::Field,
    ) -> Option<()> {
        let (first, rest) = path.split_first()?;
        let Some(spec) = schema::find(fields, &first.name) else {
            let what = self.world.describe_item(id);
            let suggestion = did_you_mean(&first.name, fields.iter().map(|f| f.name));
            self.push(messages::unknown_field(
                first.span,
                &first.name,
                &what,
                suggestion,
            ));
            return None;
        };
        let mut ty = spec.ty;
        let mut name = spec.name;
        for key in rest {
            match ty {
                Ty::Record(inner) => match schema::find(inner, &key.name) {
                    Some(spec) => {
                        ty = spec.ty;
                        name = spec.name;
                    }
                    None => {
                        let suggestion = did_you_mean(&key.name, inner.iter().map(|f| f.name));
                        self.push(messages::unknown_field(
                            key.span,
                            &key.name,
                            &format!("`{name}`"),
                            suggestion,
                        ));
                        return None;
                    }
                },
                Ty::Map(inner) => {
                    ty = *inner;
                    name = "this entry";
                }
                other => {
                    self.push(messages::invalid_override(
                        field.path_span(),
                        &field.path_text(),
                        &format!("`{name}` is a {}, not a record", other.describe()),
                    ));
                    return None;
                }
            }
        }
        Some(())
    }
}
