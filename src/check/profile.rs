//! Profiles: resolving override paths, and merging overrides into field values.

use std::rc::Rc;

use super::eval::Ctx;
use super::schema::{self, Kind, Ty};
use super::value::{Entry, InstId, V, Value};
use super::{Binding, Checker, EvalKey, Override};
use crate::diagnostic::{did_you_mean, messages};
use crate::syntax::ast;

/// What an override path names.
enum Target<'a> {
    /// A field path of an item instance (the path starts with the field's name).
    Field(InstId, Vec<&'a ast::Key>),
    Let(super::LetId),
}

impl<'a> Checker<'a> {
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
                    .overrides
                    .entry(id)
                    .or_default()
                    .push(Override { path, field }),
                Target::Let(id) => {
                    self.let_overrides.insert(id, field);
                }
            }
        }
    }

    fn resolve_override(&mut self, field: &'a ast::Field) -> Option<Target<'a>> {
        let top = self.top?;
        let first = &field.key;
        let start = if first.name == "stack" {
            self.stack?
        } else {
            let found = self.lookup_with_span(top, &first.name);
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
                    let mut names = self.names_in_scope(top);
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
            let kind = self.kind_of(id)?;
            match kind {
                Kind::Instance => {
                    if let Some(member) = self.member_of(id, &segment.name) {
                        if let Some(inst) = self.inst(member) {
                            let definition = inst.block.name.span;
                            self.refer(segment.span, definition);
                        }
                        id = member;
                        rest.remove(0);
                        continue;
                    }
                    let params = self.param_names(id);
                    if let Some(index) = params.iter().position(|p| *p == segment.name) {
                        if let Some(definition) = self.param_span(id, index) {
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
                    if let Some(inst) = self.inst(id) {
                        candidates.extend(inst.members.iter().map(|(n, _)| n.clone()));
                    }
                    let what = self.describe_item(id);
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
            let what = self.describe_item(id);
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

    /// A field's value, owned: a copy of the memo's, for the model to keep.
    pub(super) fn field_owned(&mut self, id: InstId, name: &str) -> Option<V> {
        self.field(id, name).map(Rc::unwrap_or_clone)
    }

    /// The value of an item's field with the profile's overrides merged in, or `None`
    /// when neither the item nor the profile sets it. Evaluated once and shared.
    pub(super) fn field(&mut self, id: InstId, name: &str) -> Option<Rc<V>> {
        let key = EvalKey::Field(id, self.sym(name));
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        let inst = self.inst(id)?;
        // A dotted field outside a profile was reported; it sets nothing.
        let base = inst
            .block
            .fields()
            .find(|f| f.key.name == name && f.subpath.is_empty());
        let scope = inst.scope;
        let this = matches!(
            inst.kind,
            Kind::Service | Kind::Hook | Kind::Secret | Kind::Config
        )
        .then_some(id);
        let overrides: Vec<(Vec<&'a ast::Key>, &'a ast::Field)> = self
            .overrides
            .get(&id)
            .map(|list| {
                list.iter()
                    .filter(|o| o.path.first().is_some_and(|k| k.name == name))
                    .map(|o| (o.path.clone(), o.field))
                    .collect()
            })
            .unwrap_or_default();
        let span = match (base, overrides.first()) {
            (Some(f), _) => f.value.span,
            (None, Some((_, f))) => f.value.span,
            (None, None) => return None,
        };
        let top = self.top?;
        self.memoized(key, span, |checker| {
            let mut value = base.map(|f| checker.eval(&f.value, Ctx { scope, this }));
            for (path, field) in overrides {
                let v = checker.eval(
                    &field.value,
                    Ctx {
                        scope: top,
                        this: None,
                    },
                );
                value = Some(set_path(value, path.get(1..).unwrap_or(&[]), v));
            }
            // A field set to an unset optional parameter is not set.
            value.filter(|v| !matches!(v.value, Value::Unset(_)))
        })
    }
}

/// Puts `value` at `path` inside `base`, creating records on the way.
fn set_path(base: Option<V>, path: &[&ast::Key], value: V) -> V {
    let Some((first, rest)) = path.split_first() else {
        return value;
    };
    let span = base.as_ref().map_or(value.span, |b| b.span);
    let mut entries = match base.map(|b| b.value) {
        Some(Value::Record(entries)) => entries,
        Some(Value::Error) => return V::error(span),
        _ => Vec::new(),
    };
    match entries.iter_mut().find(|e| e.key == first.name) {
        Some(entry) => {
            let old = std::mem::replace(&mut entry.value, V::error(span));
            entry.value = set_path(Some(old), rest, value);
        }
        None => entries.push(Entry {
            key: first.name.clone(),
            key_span: first.span,
            value: set_path(None, rest, value),
        }),
    }
    V::new(Value::Record(entries), span)
}
