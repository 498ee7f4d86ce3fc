//! Evaluation of expressions to [`Value`]s, with fields and lets computed on demand.

use std::path::PathBuf;
use std::sync::Arc;

use super::builtins;
use super::schema::Kind;
use super::value::{Entry, GenPart, InstId, Probe, ProbeKind, SecretPart, Storage, V, Value};
use super::{Binding, Checker, EvalKey, LetId, ScopeId};
use crate::diagnostic::{did_you_mean, messages};
use crate::model::ColumnType;
use crate::program::{Escape, resolve_inside};
use crate::source::Span;
use crate::syntax::ast::{self, Expr, ExprKind, StrPart};

/// How many values may be computed one from another to compute one value (a field
/// that names a `let` that names another item's field ...). Real stacks stay far
/// below; the limit keeps evaluation within its thread's stack on any input.
pub const MAX_CHAIN: usize = 256;

/// Where an expression is evaluated.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ctx {
    pub scope: ScopeId,
    /// The item whose field is being evaluated: `ports` inside a service names its
    /// own ports.
    pub this: Option<InstId>,
}

impl<'a> Checker<'_, 'a> {
    /// A field's value, owned: a copy of the memo's, for the model to keep.
    pub(super) fn field_owned(&mut self, id: InstId, name: &str) -> Option<V> {
        self.field(id, name).map(Arc::unwrap_or_clone)
    }

    /// The value of an item's field with the profile's overrides merged in, or `None`
    /// when neither the item nor the profile sets it. Evaluated once and shared.
    pub(super) fn field(&mut self, id: InstId, name: &str) -> Option<Arc<V>> {
        let key = EvalKey::Field(id, self.world.sym(name)?);
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        let inst = self.world.inst(id)?;
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
            .world
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
        let top = self.world.top?;
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

    pub(super) fn eval(&mut self, expr: &'a Expr, ctx: Ctx) -> V {
        let span = expr.span;
        let value = match &expr.kind {
            ExprKind::Str(s) => return self.eval_str(&s.parts, span, ctx),
            ExprKind::Int(n) => Value::Int(*n),
            ExprKind::Float(d) => Value::Float(*d),
            ExprKind::Bool(b) => Value::Bool(*b),
            // An unknown unit was reported by the parser.
            ExprKind::Quantity(q) if !crate::units::is_known(&q.unit) => Value::Error,
            ExprKind::Quantity(q) => Value::Quantity {
                number: q.number,
                unit: q.unit.clone(),
            },
            ExprKind::Name(name) => return self.eval_name(name, span, ctx),
            ExprKind::Member(base, name) => return self.eval_member(base, name, ctx),
            ExprKind::Call(callee, args) => return self.eval_call(callee, args, span, ctx),
            ExprKind::List(items) => Value::List(
                items
                    .iter()
                    .map(|e| self.eval(e, ctx))
                    .filter(|v| !matches!(v.value, Value::Unset(_)))
                    .collect(),
            ),
            ExprKind::Record(fields) => Value::Record(self.eval_record(fields, ctx)),
            ExprKind::Range(lo, hi) => {
                Value::Range(Box::new(self.eval(lo, ctx)), Box::new(self.eval(hi, ctx)))
            }
            ExprKind::Add(l, r) => {
                let (l, r) = (self.eval(l, ctx), self.eval(r, ctx));
                return self.add(l, r, span);
            }
            ExprKind::Required(inner) => {
                let inner = self.eval(inner, ctx);
                match inner.value {
                    Value::Word(w) => match ColumnType::from_word(&w) {
                        Some(ty) => Value::Column { ty, required: true },
                        None => {
                            self.push(messages::required_outside_columns(span));
                            Value::Error
                        }
                    },
                    Value::Column { ty, .. } => Value::Column { ty, required: true },
                    Value::Error => Value::Error,
                    _ => {
                        self.push(messages::required_outside_columns(span));
                        Value::Error
                    }
                }
            }
            ExprKind::Paren(inner) => return self.eval(inner, ctx),
        };
        V::new(value, span)
    }

    fn eval_record(&mut self, fields: &'a [ast::Field], ctx: Ctx) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::new();
        for field in fields {
            if !field.subpath.is_empty() {
                self.push(messages::dotted_field(field.path_span()));
            }
            if field.op != ast::FieldOp::Assign {
                self.push(messages::comparison_not_allowed(
                    field.op_span,
                    field.op.as_str(),
                ));
            }
            if let Some(first) = entries.iter().find(|e| e.key == field.key.name) {
                self.push(messages::duplicate(
                    field.key.span,
                    &field.key.name,
                    first.key_span,
                ));
                continue;
            }
            let value = self.eval(&field.value, ctx);
            if matches!(value.value, Value::Unset(_)) {
                continue;
            }
            entries.push(Entry {
                key: field.key.name.clone(),
                key_span: field.key.span,
                value,
            });
        }
        entries
    }

    fn eval_name(&mut self, name: &str, span: Span, ctx: Ctx) -> V {
        if let Some(this) = ctx.this
            && let Some(v) = self.own_name(this, name, span)
        {
            return v;
        }
        let found = self.world.lookup_with_span(ctx.scope, name);
        if let Some((_, definition)) = found {
            self.refer(span, definition);
        }
        match found.map(|(binding, _)| binding) {
            Some(Binding::Item(id)) => V::new(Value::Item(id), span),
            Some(Binding::Let(id)) => self.let_value(id, span),
            Some(Binding::Param(inst, index)) => self.param_value(inst, index, span),
            Some(Binding::Unresolved) => V::error(span),
            None if builtins::is_word(name) => V::new(Value::Word(name.to_string()), span),
            None if name.is_empty() => V::error(span),
            None => {
                if let Some(comp) = self.world.lookup_component(ctx.scope, name) {
                    let instances = self.world.instances_of(comp);
                    let instances: Vec<&str> = instances.iter().map(String::as_str).collect();
                    self.push(messages::component_as_value(span, name, &instances));
                    return V::error(span);
                }
                let mut names = self.world.names_in_scope(ctx.scope);
                names.extend(builtins::words().map(str::to_string));
                // The names an item's own fields see: a service's `ports`, a secret's
                // or a config's keys.
                if let Some(this) = ctx.this {
                    match self.world.kind_of(this) {
                        Some(Kind::Service) => names.push("ports".to_string()),
                        Some(Kind::Secret | Kind::Config) => names.extend(self.world.keys_of(this)),
                        _ => {}
                    }
                }
                let suggestion =
                    did_you_mean(name, names.iter().map(String::as_str)).map(str::to_string);
                self.push(messages::unknown_name(span, name, suggestion.as_deref()));
                V::error(span)
            }
        }
    }

    /// Names an item sees of its own: a service's `ports`, the sibling keys of a
    /// secret or config.
    fn own_name(&mut self, this: InstId, name: &str, span: Span) -> Option<V> {
        if let Some(key) = self.key_span(this, name) {
            self.refer(span, key);
        }
        let value = match self.world.kind_of(this)? {
            Kind::Service if name == "ports" => Value::Ports(this),
            Kind::Secret if self.world.keys_of(this).iter().any(|k| k == name) => Value::Secret {
                item: this,
                key: name.to_string(),
            },
            Kind::Config if self.world.keys_of(this).iter().any(|k| k == name) => {
                Value::ConfigKey {
                    item: this,
                    key: name.to_string(),
                }
            }
            _ => return None,
        };
        Some(V::new(value, span))
    }

    /// A service's port by name, reported with the closest name when unknown.
    fn port(&mut self, service: InstId, name: &ast::Ident, span: Span) -> V {
        let field = self.field(service, "ports");
        // Ports in error (a reference cycle, say) were reported where they are.
        if field.as_deref().is_some_and(V::is_error) {
            return V::error(span);
        }
        let ports = port_entries(field.as_deref());
        if let Some(entry) = ports.iter().find(|e| e.key == name.name) {
            self.refer(name.span, entry.key_span);
            let value = match &entry.value.value {
                Value::Int(number) => Value::Port {
                    service,
                    name: entry.key.clone(),
                    number: *number,
                },
                other => other.clone(),
            };
            return V::new(value, span);
        }
        let names: Vec<&str> = ports.iter().map(|e| e.key.as_str()).collect();
        let suggestion = did_you_mean(&name.name, names.iter().copied());
        let owner = self.world.describe_item(service);
        self.push(messages::unknown_port(
            name.span,
            &name.name,
            Some(&owner),
            &names,
            suggestion,
        ));
        V::error(span)
    }

    fn eval_member(&mut self, base: &'a Expr, name: &'a ast::Ident, ctx: Ctx) -> V {
        let span = base.span.to(name.span);
        let base = self.eval(base, ctx);
        match base.value {
            Value::Error => V::error(span),
            Value::Unset(param) => {
                self.push(messages::unset_used(base.span, &param));
                V::error(span)
            }
            Value::Item(id) => self.item_member(id, name, span),
            Value::Ports(service) => self.port(service, name, span),
            Value::Record(entries) => {
                if let Some(entry) = entries.iter().find(|e| e.key == name.name) {
                    return V::new(entry.value.value.clone(), span);
                }
                let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
                let suggestion = did_you_mean(&name.name, keys.iter().copied());
                self.push(messages::unknown_member(
                    name.span,
                    "this record",
                    &name.name,
                    suggestion,
                ));
                V::error(span)
            }
            other => {
                self.push(messages::unknown_member(
                    name.span,
                    &format!("a {}", other.type_name()),
                    &name.name,
                    None,
                ));
                V::error(span)
            }
        }
    }

    /// `item.name`: a service's `host` and `ports`, a secret's or config's key, an
    /// instance's items and parameters.
    fn item_member(&mut self, id: InstId, name: &ast::Ident, span: Span) -> V {
        let Some(kind) = self.world.kind_of(id) else {
            return V::error(span);
        };
        let member = name.name.as_str();
        match kind {
            Kind::Service => match member {
                "host" => V::new(Value::Str(self.world.k8s_name(id)), span),
                "ports" => V::new(Value::Ports(id), span),
                "url" => {
                    self.push(messages::method_without_call(name.span, "url"));
                    V::error(span)
                }
                _ => self.no_member(id, name, &["host", "ports", "url"]),
            },
            Kind::Secret | Kind::Config => {
                let keys = self.world.keys_of(id);
                if keys.iter().any(|k| k == member) {
                    if let Some(key) = self.key_span(id, member) {
                        self.refer(name.span, key);
                    }
                    let key = member.to_string();
                    let value = if kind == Kind::Secret {
                        Value::Secret { item: id, key }
                    } else {
                        Value::ConfigKey { item: id, key }
                    };
                    V::new(value, span)
                } else {
                    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                    self.no_member(id, name, &keys)
                }
            }
            Kind::Instance => self.instance_member(id, name, span),
            Kind::Table => self.table_column(id, name, span),
            _ => self.no_member(id, name, &[]),
        }
    }

    fn instance_member(&mut self, id: InstId, name: &ast::Ident, span: Span) -> V {
        if let Some(member) = self.world.member_of(id, &name.name) {
            if let Some(inst) = self.world.inst(member) {
                let definition = inst.block.name.span;
                self.refer(name.span, definition);
            }
            return V::new(Value::Item(member), span);
        }
        if let Some(index) = self.world.param_index(id, &name.name) {
            if let Some(definition) = self.world.param_span(id, index) {
                self.refer(name.span, definition);
            }
            return self.param_value(id, index, span);
        }
        if let Some(main) = self.world.main_of(id) {
            return self.item_member(main, name, span);
        }
        let mut candidates: Vec<String> = self
            .world
            .inst(id)
            .map(|i| i.members.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        candidates.extend(self.world.param_names(id));
        let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
        self.no_member(id, name, &candidates)
    }

    fn no_member(&mut self, id: InstId, name: &ast::Ident, candidates: &[&str]) -> V {
        let what = self.world.describe_item(id);
        let suggestion = did_you_mean(&name.name, candidates.iter().copied());
        self.push(messages::unknown_member(
            name.span, &what, &name.name, suggestion,
        ));
        V::error(name.span)
    }

    /// A parameter's value: the instance's argument, or the parameter's default.
    pub(super) fn param_value(&mut self, inst: InstId, index: usize, span: Span) -> V {
        let Some(param) = self
            .world
            .inst(inst)
            .and_then(|i| i.component)
            .and_then(|c| self.world.component(c))
            .and_then(|c| c.params.get(index).copied())
        else {
            return V::error(span);
        };
        if let Some(v) = self.field(inst, &param.name.name) {
            // An instance of another component than the parameter's is reported at
            // the argument (typeck); inside the component it is an error value, so
            // that its members are not reported again, wrongly, in the component.
            return if self.wrong_instance(inst, &param.ty, &v) {
                V::error(span)
            } else {
                Arc::unwrap_or_clone(v)
            };
        }
        match (&param.default, self.world.inst(inst).and_then(|i| i.inner)) {
            (Some(default), Some(inner)) => self
                .memoized(EvalKey::Default(inst, index), span, |this| {
                    Some(this.eval(
                        default,
                        Ctx {
                            scope: inner,
                            this: None,
                        },
                    ))
                })
                .map_or_else(|| V::error(span), Arc::unwrap_or_clone),
            (None, _) if param.ty.optional => V::new(Value::Unset(param.name.name.clone()), span),
            // A missing required argument is reported at the instance.
            _ => V::error(span),
        }
    }

    /// Whether `value` is an instance of another component than the one the
    /// parameter type `ty` of instance `inst`'s component names.
    fn wrong_instance(&self, inst: InstId, ty: &ast::TypeExpr, value: &V) -> bool {
        let (ast::TypeExprKind::Named(name), Value::Item(given)) = (&ty.kind, &value.value) else {
            return false;
        };
        let Some(scope) = self
            .world
            .inst(inst)
            .and_then(|i| i.component)
            .and_then(|c| self.world.component(c))
            .map(|c| c.scope)
        else {
            return false;
        };
        self.world
            .lookup_component(scope, &name.name)
            .is_some_and(|wanted| self.world.inst(*given).and_then(|i| i.component) != Some(wanted))
    }

    pub(super) fn let_value(&mut self, id: LetId, span: Span) -> V {
        let Some(def) = self.world.let_def(id) else {
            return V::error(span);
        };
        let (expr, scope) = (&def.def.value, def.scope);
        let overridden = self.world.let_overrides.get(&id).copied();
        let top = self.world.top;
        self.memoized(EvalKey::Let(id), span, |this| {
            Some(match (overridden, top) {
                (Some(field), Some(top)) => this.eval(
                    &field.value,
                    Ctx {
                        scope: top,
                        this: None,
                    },
                ),
                _ => this.eval(expr, Ctx { scope, this: None }),
            })
        })
        .map_or_else(|| V::error(span), Arc::unwrap_or_clone)
    }

    /// Computes a value once, reporting a cycle when it is needed while being computed.
    pub(super) fn memoized(
        &mut self,
        key: EvalKey,
        span: Span,
        compute: impl FnOnce(&mut Self) -> Option<V>,
    ) -> Option<Arc<V>> {
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        if let Some(pos) = self.active.iter().position(|(k, _)| *k == key) {
            let cycle: Vec<(String, Span)> = self
                .active
                .iter()
                .skip(pos)
                .map(|(k, s)| (self.describe_key(k), *s))
                .collect();
            self.push(messages::reference_cycle(span, &cycle));
            return Some(Arc::new(V::error(span)));
        }
        if self.active.len() >= MAX_CHAIN {
            self.push(messages::chain_too_deep(span, MAX_CHAIN));
            return Some(Arc::new(V::error(span)));
        }
        self.active.push((key, span));
        let value = compute(self).map(Arc::new);
        self.active.pop();
        self.memo.insert(key, value.clone());
        value
    }

    fn describe_key(&self, key: &EvalKey) -> String {
        match key {
            EvalKey::Field(id, field) => {
                let path = self.world.path(*id);
                format!("{path}.{}", self.world.sym_name(*field))
            }
            EvalKey::Default(id, index) => {
                let path = self.world.path(*id);
                let names = self.world.param_names(*id);
                format!("{path}.{}", names.get(*index).map_or("", String::as_str))
            }
            EvalKey::Let(id) => self
                .world
                .let_def(*id)
                .map(|d| d.def.name.name.clone())
                .unwrap_or_default(),
        }
    }

    // Strings.

    fn eval_str(&mut self, parts: &'a [StrPart], span: Span, ctx: Ctx) -> V {
        let mut text = String::new();
        let mut secret: Vec<SecretPart> = Vec::new();
        let mut generated: Vec<GenPart> = Vec::new();
        let mut tainted = false;
        for part in parts {
            match part {
                StrPart::Text(t) => text.push_str(t),
                StrPart::Interp(expr) => {
                    let v = self.eval(expr, ctx);
                    match self.interpolate(v) {
                        Interpolated::Text(t) => text.push_str(&t),
                        Interpolated::Secret(parts) => {
                            tainted = true;
                            secret.push(SecretPart::Text(std::mem::take(&mut text)));
                            secret.extend(parts);
                        }
                        Interpolated::Generated(parts) => {
                            generated.push(GenPart::Text(std::mem::take(&mut text)));
                            generated.extend(parts);
                        }
                        Interpolated::Error => return V::error(span),
                    }
                }
            }
        }
        if !generated.is_empty() {
            if tainted {
                self.push(messages::mismatched(
                    span,
                    "text or generated text",
                    "secret value",
                    None,
                ));
                return V::error(span);
            }
            generated.push(GenPart::Text(text));
            generated.retain(|p| !matches!(p, GenPart::Text(t) if t.is_empty()));
            return V::new(Value::GenText(generated), span);
        }
        if tainted {
            secret.push(SecretPart::Text(text));
            secret.retain(|p| !matches!(p, SecretPart::Text(t) if t.is_empty()));
            V::new(Value::SecretText(secret), span)
        } else {
            V::new(Value::Str(text), span)
        }
    }

    /// A value as part of a string.
    fn interpolate(&mut self, v: V) -> Interpolated {
        match v.value {
            Value::Secret { item, key } => Interpolated::Secret(vec![SecretPart::Secret {
                item,
                key,
                span: v.span,
            }]),
            Value::SecretText(parts) => Interpolated::Secret(parts),
            Value::Gen(_) | Value::ColumnRef { .. } => {
                Interpolated::Generated(vec![GenPart::Gen(v)])
            }
            Value::GenText(parts) => Interpolated::Generated(parts),
            Value::ConfigKey { item, key } => match self.field_owned(item, &key) {
                Some(inner) => self.interpolate(V::new(inner.value, v.span)),
                None => Interpolated::Error,
            },
            Value::Error => Interpolated::Error,
            Value::Unset(name) => {
                self.push(messages::unset_used(v.span, &name));
                Interpolated::Error
            }
            other => match text_of(&other) {
                Some(t) => Interpolated::Text(t),
                None => {
                    let hint = match other {
                        Value::Item(id) if self.world.kind_of(id) == Some(Kind::Service) => {
                            Some(format!(
                                "`{}.host`",
                                self.world.inst(id).map_or("", |i| i.path.as_str())
                            ))
                        }
                        _ => None,
                    };
                    let found = self.describe_value(&other);
                    self.push(messages::not_text(v.span, &found, hint.as_deref()));
                    Interpolated::Error
                }
            },
        }
    }

    fn add(&mut self, l: V, r: V, span: Span) -> V {
        let value = match (l.value, r.value) {
            (Value::Error, _) | (_, Value::Error) => Value::Error,
            (Value::Int(a), Value::Int(b)) => match a.checked_add(b) {
                Some(n) => Value::Int(n),
                None => {
                    self.push(messages::number_out_of_range(span));
                    Value::Error
                }
            },
            (Value::List(mut a), Value::List(b)) => {
                a.extend(b);
                Value::List(a)
            }
            // The right record's entries win: `defaults + { replicas = 2 }`.
            (Value::Record(mut a), Value::Record(b)) => {
                for entry in b {
                    match a.iter_mut().find(|e| e.key == entry.key) {
                        Some(existing) => *existing = entry,
                        None => a.push(entry),
                    }
                }
                Value::Record(a)
            }
            (
                a @ (Value::Str(_)
                | Value::Secret { .. }
                | Value::SecretText(_)
                | Value::ConfigKey { .. }),
                b,
            )
            | (
                a,
                b @ (Value::Str(_)
                | Value::Secret { .. }
                | Value::SecretText(_)
                | Value::ConfigKey { .. }),
            ) => {
                let mut parts = Vec::new();
                let mut generated = Vec::new();
                for v in [V::new(a, l.span), V::new(b, r.span)] {
                    match self.interpolate(v) {
                        Interpolated::Text(t) => {
                            generated.push(GenPart::Text(t.clone()));
                            parts.push(SecretPart::Text(t));
                        }
                        Interpolated::Secret(s) => parts.extend(s),
                        Interpolated::Generated(g) => generated.extend(g),
                        Interpolated::Error => return V::error(span),
                    }
                }
                if generated.iter().any(|g| matches!(g, GenPart::Gen(_))) {
                    return V::new(Value::GenText(generated), span);
                }
                if parts.iter().all(|p| matches!(p, SecretPart::Text(_))) {
                    Value::Str(
                        parts
                            .into_iter()
                            .map(|p| match p {
                                SecretPart::Text(t) => t,
                                SecretPart::Secret { .. } => String::new(),
                            })
                            .collect(),
                    )
                } else {
                    Value::SecretText(parts)
                }
            }
            (a, b) => {
                self.push(messages::cannot_add(span, a.type_name(), b.type_name()));
                Value::Error
            }
        };
        V::new(value, span)
    }

    // Calls.

    fn eval_call(&mut self, callee: &'a Expr, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> V {
        match &callee.kind {
            ExprKind::Member(base, method) => self.eval_method(base, method, args, span, ctx),
            ExprKind::Name(name) => self.eval_builtin(name, callee.span, args, span, ctx),
            _ => {
                self.push(messages::not_callable(callee.span));
                V::error(span)
            }
        }
    }

    /// `service.url(port)`.
    fn eval_method(
        &mut self,
        base: &'a Expr,
        method: &'a ast::Ident,
        args: &'a [ast::Arg],
        span: Span,
        ctx: Ctx,
    ) -> V {
        let target = self.eval(base, ctx);
        let service = match target.value {
            Value::Error => return V::error(span),
            Value::Item(id) => match self.world.kind_of(id) {
                Some(Kind::Service) => Some(id),
                Some(Kind::Instance) => self.world.main_of(id),
                _ => None,
            },
            _ => None,
        };
        if method.name != "url" {
            let base_text = self.world.program.sources.slice(base.span).to_string();
            if matches!(method.name.as_str(), "host" | "ports") {
                self.push(messages::member_called(
                    method.span,
                    &method.name,
                    &base_text,
                ));
            } else {
                let suggestion = did_you_mean(&method.name, ["url"]);
                self.push(messages::unknown_method(
                    method.span,
                    &method.name,
                    suggestion,
                ));
            }
            return V::error(span);
        }
        let Some(service) = service else {
            self.push(messages::not_a_service(base.span, "url"));
            return V::error(span);
        };
        let [arg] = args else {
            self.push(messages::wrong_arguments(
                span,
                "url",
                "one port name: `url(api)`",
            ));
            return V::error(span);
        };
        let ExprKind::Name(port) = &arg.value.kind else {
            self.push(messages::wrong_arguments(
                arg.value.span,
                "url",
                "a port name: `url(api)`",
            ));
            return V::error(span);
        };
        let field = self.field(service, "ports");
        let ports = port_entries(field.as_deref());
        match ports.iter().find(|e| &e.key == port) {
            Some(Entry {
                value:
                    V {
                        value: Value::Int(number) | Value::Port { number, .. },
                        ..
                    },
                key_span,
                ..
            }) => {
                let url = format!("http://{}:{number}", self.world.k8s_name(service));
                self.refer(arg.value.span, *key_span);
                V::new(Value::Str(url), span)
            }
            Some(_) => V::error(span),
            None => {
                let names: Vec<&str> = ports.iter().map(|e| e.key.as_str()).collect();
                let suggestion = did_you_mean(port, names.iter().copied());
                let service_name = self.world.describe_item(service);
                self.push(messages::unknown_port(
                    arg.value.span,
                    port,
                    Some(&service_name),
                    &names,
                    suggestion,
                ));
                V::error(span)
            }
        }
    }

    fn eval_builtin(
        &mut self,
        name: &str,
        name_span: Span,
        args: &'a [ast::Arg],
        span: Span,
        ctx: Ctx,
    ) -> V {
        // Only the table's functions are called: one it does not list is unknown
        // even when a line below would evaluate it.
        let known = builtins::functions().any(|f| f == name);
        let value = match name {
            _ if !known => self.unknown_function(name, name_span),
            "tcp" | "http" | "exec" => self.probe(name, args, span, ctx),
            "generate" => self.generate(args, span, ctx),
            "env" => self.one_string(name, args, span, ctx).map(Value::EnvVar),
            "file" => self.read_file(args, span, ctx),
            "persistent" => self.storage(args, span, ctx),
            "csv" => self.one_string(name, args, span, ctx).map(Value::Csv),
            "sequence" => self.sequence(args, span, ctx),
            "pick" => self.pick(args, span, ctx),
            "between" => self.between(args, span, ctx),
            "decimal" => self.decimal(args, span, ctx),
            _ => self.unknown_function(name, name_span),
        };
        V::new(value.unwrap_or(Value::Error), span)
    }

    fn unknown_function(&mut self, name: &str, span: Span) -> Option<Value> {
        let suggestion = did_you_mean(name, builtins::functions());
        let known: Vec<&str> = builtins::functions().collect();
        self.push(messages::unknown_function(span, name, suggestion, &known));
        None
    }

    /// Splits arguments into positional and named, reporting named ones not in
    /// `allowed`.
    pub(super) fn split_args(
        &mut self,
        function: &str,
        args: &'a [ast::Arg],
        allowed: &[&str],
        ctx: Ctx,
    ) -> (Vec<V>, Vec<Entry>) {
        let mut positional = Vec::new();
        let mut named: Vec<Entry> = Vec::new();
        for arg in args {
            let value = self.eval(&arg.value, ctx);
            match &arg.name {
                None => positional.push(value),
                Some(n) if allowed.contains(&n.name.as_str()) => named.push(Entry {
                    key: n.name.clone(),
                    key_span: n.span,
                    value,
                }),
                Some(n) => {
                    let suggestion = did_you_mean(&n.name, allowed.iter().copied());
                    self.push(messages::unknown_argument(
                        n.span, function, &n.name, suggestion,
                    ));
                }
            }
        }
        (positional, named)
    }

    fn probe(&mut self, name: &str, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        const TIMING: &[&str] = &["after", "every", "failures", "timeout"];
        let (positional, timing) = self.split_args(name, args, TIMING, ctx);
        let kind = match (name, positional.as_slice()) {
            ("tcp", [port]) => ProbeKind::Tcp {
                port: Box::new(port.clone()),
            },
            ("http", [port, path]) => match &path.value {
                Value::Str(p) => ProbeKind::Http {
                    port: Box::new(port.clone()),
                    path: p.clone(),
                },
                Value::Error => return None,
                other => {
                    self.push(messages::mismatched(
                        path.span,
                        "string",
                        other.type_name(),
                        None,
                    ));
                    return None;
                }
            },
            ("exec", [command]) => match &command.value {
                Value::List(items) => ProbeKind::Exec {
                    command: items.clone(),
                },
                Value::Error => return None,
                other => {
                    self.push(messages::mismatched(
                        command.span,
                        "[string]",
                        other.type_name(),
                        None,
                    ));
                    return None;
                }
            },
            _ => {
                let expected = match name {
                    "tcp" => "a port: `tcp(ports.api)`",
                    "http" => "a port and a path: `http(ports.api, \"/health\")`",
                    _ => "a command: `exec([\"pg_isready\"])`",
                };
                self.push(messages::wrong_arguments(span, name, expected));
                return None;
            }
        };
        Some(Value::Probe(Probe { kind, timing }))
    }

    fn generate(&mut self, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        let (positional, _) = self.split_args("generate", args, &[], ctx);
        if let [count, columns] = positional.as_slice() {
            return self.seed_rows(count, columns, span);
        }
        match positional.as_slice() {
            [
                V {
                    value: Value::Int(n),
                    span: at,
                },
            ] => {
                if (8..=4096).contains(n) {
                    Some(Value::Generate { length: *n })
                } else {
                    self.push(messages::out_of_range(
                        *at,
                        &n.to_string(),
                        "a generated secret's length",
                        8,
                        4096,
                    ));
                    None
                }
            }
            [
                V {
                    value: Value::Error,
                    ..
                },
            ] => None,
            _ => {
                self.push(messages::wrong_arguments(
                    span,
                    "generate",
                    "a length: `generate(32)`",
                ));
                None
            }
        }
    }

    fn one_string(
        &mut self,
        name: &str,
        args: &'a [ast::Arg],
        span: Span,
        ctx: Ctx,
    ) -> Option<String> {
        let (positional, _) = self.split_args(name, args, &[], ctx);
        match positional.as_slice() {
            [
                V {
                    value: Value::Str(s),
                    ..
                },
            ] => Some(s.clone()),
            [
                V {
                    value: Value::Error,
                    ..
                },
            ] => None,
            _ => {
                let expected = format!("one string: `{name}(\"NAME\")`");
                self.push(messages::wrong_arguments(span, name, &expected));
                None
            }
        }
    }

    /// `file("path")`: the text of a file beside the module, inside the project.
    fn read_file(&mut self, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        let path = self.one_string("file", args, span, ctx)?;
        let module = self.world.module_of(ctx.scope);
        let Some(dir) = self.world.program.dir_of(module) else {
            self.push(messages::file_not_found(
                span,
                &path,
                "the standard library cannot read files",
            ));
            return None;
        };
        let target: PathBuf = dir.join(&path);
        match resolve_inside(self.world.fs, &self.world.program.root, &target) {
            Ok(canonical) => match self.world.fs.read(&canonical) {
                Ok(text) => Some(Value::Str(text)),
                Err(e) => {
                    self.push(messages::file_not_found(
                        span,
                        &path,
                        &crate::program::describe_io_error(&e),
                    ));
                    None
                }
            },
            Err(Escape::Outside) => {
                let root = self.world.program.root_display.clone();
                self.push(messages::path_escapes(span, &path, &root));
                None
            }
            Err(Escape::Missing(reason)) => {
                self.push(messages::file_not_found(span, &path, &reason));
                None
            }
        }
    }

    /// `persistent(class = "standard", size = 10Gi)`.
    fn storage(&mut self, args: &'a [ast::Arg], span: Span, ctx: Ctx) -> Option<Value> {
        let (positional, named) = self.split_args("persistent", args, &["class", "size"], ctx);
        if !positional.is_empty() {
            self.push(messages::wrong_arguments(
                span,
                "persistent",
                "named arguments only: `persistent(class = \"standard\")`",
            ));
            return None;
        }
        let mut storage = Storage {
            persistent: true,
            class: None,
            size: None,
        };
        for entry in named {
            match (entry.key.as_str(), entry.value.value) {
                ("class", Value::Str(class)) => storage.class = Some(class),
                ("size", value) => storage.size = Some(Box::new(V::new(value, entry.value.span))),
                (_, Value::Error) => {}
                (_, other) => {
                    self.push(messages::mismatched(
                        entry.value.span,
                        "string",
                        other.type_name(),
                        None,
                    ));
                }
            }
        }
        Some(Value::Storage(storage))
    }
}

enum Interpolated {
    Text(String),
    Secret(Vec<SecretPart>),
    /// Parts made by seed generators: the string becomes a generator too.
    Generated(Vec<GenPart>),
    Error,
}

/// The text of a plain value inside a string, if it has one.
pub(super) fn text_of(value: &Value) -> Option<String> {
    Some(match value {
        Value::Str(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Float(d) => super::value::format_decimal(*d),
        Value::Bool(b) => b.to_string(),
        Value::Quantity { number, unit } => {
            format!("{}{unit}", super::value::format_decimal(*number))
        }
        Value::Port { number, .. } => number.to_string(),
        _ => return None,
    })
}

/// The entries of a service's `ports` record (none when it has no ports).
fn port_entries(ports: Option<&V>) -> &[Entry] {
    match ports.map(|v| &v.value) {
        Some(Value::Record(entries)) => entries,
        _ => &[],
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
