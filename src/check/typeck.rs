//! Checking values against the schema: types, ranges, required fields, the secret
//! rule.

use std::sync::Arc;

use super::schema::{self, FieldSpec, Kind, Ty};
use super::value::{InstId, ProbeKind, SecretPart, V, Value};
use super::{Checker, LetId, ScopeId};
use crate::diagnostic::{did_you_mean, messages};
use crate::source::Span;
use crate::syntax::ast;
use crate::units::{self, Dimension, Inexact};

/// Why a value is not a quantity of the wanted dimension.
pub(super) enum QuantityError {
    /// Not a quantity at all, or one of another dimension.
    Type,
    Inexact(Inexact),
    Negative,
    /// A plain number where a unit is needed (`memory = 512`).
    NoUnit,
}

/// A value as a quantity in the dimension's base unit.
pub(super) fn quantity(value: &Value, dimension: Dimension) -> Result<i64, QuantityError> {
    let n = match (value, dimension) {
        (Value::Quantity { number, unit }, _) => units::to_base(*number, unit, dimension)
            .ok_or(QuantityError::Type)?
            .map_err(QuantityError::Inexact)?,
        (Value::Int(n), Dimension::Cpu) => n
            .checked_mul(1000)
            .ok_or(QuantityError::Inexact(Inexact::Overflow))?,
        (Value::Float(d), Dimension::Cpu) => {
            units::cpu_millis(*d).map_err(QuantityError::Inexact)?
        }
        (Value::Int(_) | Value::Float(_), _) => return Err(QuantityError::NoUnit),
        _ => return Err(QuantityError::Type),
    };
    if n < 0 {
        return Err(QuantityError::Negative);
    }
    Ok(n)
}

impl<'a> Checker<'_, 'a> {
    pub(super) fn check_inst(&mut self, id: InstId) {
        let Some(inst) = self.world.inst(id) else {
            return;
        };
        let (kind, block) = (inst.kind, inst.block);
        // Only a check's `expect` compares; every other field of an item sets (a
        // profile's fields are checked where the profile is applied).
        if !matches!(kind, Kind::Profile | Kind::Component) {
            for field in block.fields() {
                let compares = kind == Kind::Check && field.key.name == "expect";
                if field.op != ast::FieldOp::Assign && !compares {
                    self.push(messages::comparison_not_allowed(
                        field.op_span,
                        field.op.as_str(),
                    ));
                }
            }
        }
        match kind {
            Kind::Stack | Kind::Service | Kind::Hook => {
                let fields = kind.fields().unwrap_or(&[]);
                self.check_fields(id, block, fields);
            }
            Kind::Secret => self.check_secret(id, block),
            Kind::Config => self.check_config(id, block),
            Kind::Instance => self.check_instance(id, block),
            Kind::Catalog => self.check_fields(id, block, schema::CATALOG),
            Kind::Table => self.check_table(id, block),
            Kind::Check => self.check_fields(id, block, schema::CHECK),
            Kind::Profile | Kind::Component => {}
        }
    }

    pub(super) fn check_fields(
        &mut self,
        id: InstId,
        block: &'a ast::Block,
        fields: &'static [FieldSpec],
    ) {
        for field in block.fields() {
            if schema::find(fields, &field.key.name).is_none() {
                let what = format!("{} `{}`", block.kind.name, block.name.name);
                let suggestion = did_you_mean(&field.key.name, fields.iter().map(|f| f.name));
                self.push(messages::unknown_field(
                    field.key.span,
                    &field.key.name,
                    &what,
                    suggestion,
                ));
            }
        }
        for spec in fields {
            match self.field(id, spec.name) {
                Some(v) => {
                    self.record_owners.push(spec.name);
                    self.check_value(&v, &spec.ty, Some(id));
                    self.record_owners.pop();
                }
                None if spec.required => {
                    let what = format!("{} `{}`", block.kind.name, block.name.name);
                    self.push(messages::missing_field(block.name.span, spec.name, &what));
                }
                None => {}
            }
        }
    }

    fn check_secret(&mut self, id: InstId, block: &'a ast::Block) {
        for key in self.world.keys_of(id) {
            let Some(v) = self.field(id, &key) else {
                continue;
            };
            self.check_value(&v, &Ty::SecretSource, Some(id));
            if matches!(v.value, Value::Str(_) | Value::SecretText(_)) {
                self.secret_spans.push(v.span);
            }
            if let Value::Str(_) = v.value {
                let path = self
                    .world
                    .inst(id)
                    .map_or_else(|| block.name.name.clone(), |i| i.path.clone());
                let what = format!("{path}.{key}");
                self.push(messages::literal_secret(v.span, &what));
            }
        }
    }

    fn check_config(&mut self, id: InstId, _block: &'a ast::Block) {
        for key in self.world.keys_of(id) {
            if let Some(v) = self.field(id, &key) {
                self.check_value(&v, &Ty::Text, Some(id));
            }
        }
    }

    fn check_instance(&mut self, id: InstId, block: &'a ast::Block) {
        let Some(comp) = self.world.inst(id).and_then(|i| i.component) else {
            return;
        };
        let Some(component) = self.world.component(comp) else {
            return;
        };
        let params = component.params.clone();
        let comp_name = component.block.name.name.clone();
        let comp_scope = component.scope;
        for field in block.fields() {
            if !params.iter().any(|p| p.name.name == field.key.name) {
                let names: Vec<&str> = params.iter().map(|p| p.name.name.as_str()).collect();
                let suggestion = did_you_mean(&field.key.name, names.iter().copied());
                let what = format!("component `{comp_name}`");
                self.push(messages::unknown_field(
                    field.key.span,
                    &field.key.name,
                    &what,
                    suggestion,
                ));
            }
        }
        for (index, param) in params.iter().enumerate() {
            let given = self.field(id, &param.name.name);
            let value = match (given, &param.default) {
                (Some(v), _) => v,
                (None, Some(_)) => Arc::new(self.param_value_for_check(id, index)),
                (None, None) if param.ty.optional => continue,
                (None, None) => {
                    let what = format!("`{}` (component `{comp_name}`)", block.name.name);
                    self.push(
                        messages::missing_field(block.name.span, &param.name.name, &what)
                            .with_label(param.span, "the parameter is declared here"),
                    );
                    continue;
                }
            };
            let declared = Declared {
                name: &param.name.name,
                span: param.span,
            };
            self.check_declared(&value, &param.ty, comp_scope, Some(&declared));
        }
    }

    fn param_value_for_check(&mut self, id: InstId, index: usize) -> V {
        let span = self
            .world
            .inst(id)
            .map_or_else(Span::default, |i| i.block.name.span);
        self.param_value(id, index, span)
    }

    /// Checks a value against a declared type (a parameter's or a `let`'s), whose
    /// names are resolved in `scope`.
    fn check_declared(
        &mut self,
        value: &V,
        ty: &ast::TypeExpr,
        scope: ScopeId,
        param: Option<&Declared<'_>>,
    ) {
        match &ty.kind {
            ast::TypeExprKind::List(inner) => match &value.value {
                Value::List(items) => {
                    for item in items.clone() {
                        self.check_declared(&item, inner, scope, param);
                    }
                }
                Value::Error => {}
                other => self.push(messages::mismatched(
                    value.span,
                    "a list",
                    other.type_name(),
                    None,
                )),
            },
            ast::TypeExprKind::Named(name) => self.check_named_type(value, name, scope, param),
        }
    }

    fn check_named_type(
        &mut self,
        value: &V,
        name: &ast::Ident,
        scope: ScopeId,
        param: Option<&Declared<'_>>,
    ) {
        let ty = match name.name.as_str() {
            "string" => Ty::String,
            "int" => Ty::Int {
                min: i64::MIN,
                max: i64::MAX,
            },
            "bool" => Ty::Bool,
            "cpu" => Ty::Resource(Dimension::Cpu),
            "bytes" => Ty::Resource(Dimension::Bytes),
            "duration" => Ty::Quantity(Dimension::Duration),
            "storage" => Ty::Storage,
            "probe" => Ty::Probe,
            "port" => Ty::Port,
            "secret" => Ty::SecretSource,
            "service" => Ty::Ref(&[Kind::Service]),
            "hook" => Ty::Ref(&[Kind::Hook]),
            other => match self.world.lookup_component(scope, other) {
                Some(comp) => {
                    self.check_component_ref(value, comp, other, param);
                    return;
                }
                None => {
                    let types = [
                        "string", "int", "bool", "cpu", "bytes", "duration", "storage", "probe",
                        "port", "secret", "service", "hook",
                    ];
                    let suggestion = did_you_mean(other, types.iter().copied());
                    self.push(messages::unknown_type(name.span, other, suggestion));
                    return;
                }
            },
        };
        self.check_value(value, &ty, None);
    }

    fn check_component_ref(
        &mut self,
        value: &V,
        comp: super::CompId,
        name: &str,
        param: Option<&Declared<'_>>,
    ) {
        let found = match &value.value {
            Value::Item(id) if self.world.inst(*id).and_then(|i| i.component) == Some(comp) => {
                return;
            }
            Value::Error => return,
            Value::Item(id) => self.world.describe_item(*id),
            other => other.type_name().to_string(),
        };
        let expected = match param {
            Some(p) => format!("an instance of `{name}` for `{}`", p.name),
            None => format!("an instance of `{name}`"),
        };
        let mut d = messages::mismatched(value.span, &expected, &found, None);
        if let Some(p) = param {
            d = d.with_label(
                p.span,
                format!("`{}` takes an instance of `{name}`", p.name),
            );
        }
        self.push(d);
    }

    pub(super) fn check_let(&mut self, id: LetId) {
        let Some((def, scope)) = self.world.let_def(id).map(|d| (d.def, d.scope)) else {
            return;
        };
        let value = self.let_value(id, def.name.span);
        if let Some(ty) = &def.ty {
            self.check_declared(&value, ty, scope, None);
        }
    }

    /// Checks a value against a type, reporting every problem.
    pub(super) fn check_value(&mut self, v: &V, ty: &Ty, this: Option<InstId>) {
        if matches!(v.value, Value::Error | Value::Unset(_)) {
            return;
        }
        match ty {
            Ty::String => self.expect_plain(v, |value| matches!(value, Value::Str(_)), "string"),
            Ty::Text => self.expect_plain(v, is_text, "string"),
            Ty::Int { min, max } => match v.value {
                Value::Int(n) if n < *min || n > *max => self.push(messages::out_of_range(
                    v.span,
                    &n.to_string(),
                    "this field",
                    *min,
                    *max,
                )),
                Value::Int(_) => {}
                _ => self.mismatch(v, ty),
            },
            Ty::Bool => self.expect_plain(v, |value| matches!(value, Value::Bool(_)), "bool"),
            Ty::Quantity(d) => self.check_quantity(v, *d),
            Ty::Resource(d) => self.check_resource(v, *d),
            Ty::List(inner) => match &v.value {
                Value::List(items) => {
                    for item in items {
                        self.check_value(item, inner, this);
                    }
                }
                _ => self.mismatch(v, ty),
            },
            Ty::OneOrList(inner) => match &v.value {
                Value::List(items) => {
                    for item in items {
                        self.check_value(item, inner, this);
                    }
                }
                _ => self.check_value(v, inner, this),
            },
            Ty::Map(inner) => match &v.value {
                Value::Record(entries) => {
                    for entry in entries {
                        self.check_value(&entry.value, inner, this);
                    }
                }
                _ => self.mismatch(v, ty),
            },
            Ty::Record(fields) => self.check_record(v, fields, this),
            Ty::Probe => self.check_probe(v, this),
            Ty::Storage => self.check_storage(v),
            Ty::Ref(kinds) => match &v.value {
                Value::Item(id) if self.world.kind_of(*id).is_some_and(|k| kinds.contains(&k)) => {}
                _ => self.mismatch(v, ty),
            },
            Ty::Enum(words) => match &v.value {
                Value::Word(w) if words.contains(&w.as_str()) => {}
                Value::Word(w) => {
                    let suggestion = did_you_mean(w, words.iter().copied());
                    self.push(messages::unknown_variant(v.span, w, words, suggestion));
                }
                _ => self.mismatch(v, ty),
            },
            Ty::EnvValue => match &v.value {
                Value::Secret { .. } | Value::ConfigKey { .. } => {}
                _ => self.expect_plain(v, is_text, "string, secret value or config value"),
            },
            Ty::FileSource => match &v.value {
                Value::Secret { .. } | Value::ConfigKey { .. } => {}
                Value::Str(_) => self.push(
                    messages::mismatched(
                        v.span,
                        "a config value or a secret value",
                        "string",
                        None,
                    )
                    .with_help("put the content in a `config` item and mount `CONFIG.KEY`"),
                ),
                _ => self.mismatch(v, ty),
            },
            Ty::SecretSource => match &v.value {
                Value::Str(_)
                | Value::Generate { .. }
                | Value::EnvVar(_)
                | Value::Secret { .. }
                | Value::SecretText(_) => {}
                _ => self.mismatch(v, ty),
            },
            Ty::Credential => match &v.value {
                Value::Secret { .. } => {}
                _ => self.expect_plain(v, is_text, "string or secret value"),
            },
            // Checked against the table's columns in `data.rs`.
            Ty::Columns | Ty::Seed | Ty::Rows | Ty::Expect => {}
            Ty::Port => match v.value {
                Value::Int(n) if !(1..=65535).contains(&n) => {
                    self.push(messages::port_out_of_range(v.span, n))
                }
                Value::Int(_) => {}
                _ => self.mismatch(v, ty),
            },
        }
    }

    /// Expects a plain (non-secret) value; a secret here breaks the secret rule.
    fn expect_plain(&mut self, v: &V, ok: fn(&Value) -> bool, expected: &str) {
        match &v.value {
            value if ok(value) => {}
            Value::Secret { item, key } => {
                let name = self.secret_name(*item, key);
                let declared = self.key_span(*item, key);
                self.push(messages::secret_in_plain_position(v.span, &name, declared));
            }
            Value::SecretText(parts) => {
                if let Some(SecretPart::Secret { item, key, span }) = parts
                    .iter()
                    .find(|p| matches!(p, SecretPart::Secret { .. }))
                {
                    let name = self.secret_name(*item, key);
                    let several_lines = self.world.program.sources.slice(v.span).contains('\n');
                    let string = several_lines.then_some(v.span);
                    self.push(messages::secret_interpolated(*span, &name, string));
                }
            }
            Value::Generate { .. } | Value::EnvVar(_) => {
                self.push(messages::secret_source_outside_secret(
                    v.span,
                    v.value.type_name(),
                ));
            }
            Value::Word(w) => self.push(messages::mismatched(
                v.span,
                expected,
                &format!("`{w}`"),
                None,
            )),
            other => {
                let found = self.describe_value(other);
                let help = self.text_hint(other);
                self.push(messages::mismatched(
                    v.span,
                    expected,
                    &found,
                    help.as_deref(),
                ));
            }
        }
    }

    /// Where text is expected and a service is given, its host name is likely meant.
    fn text_hint(&self, value: &Value) -> Option<String> {
        match value {
            Value::Item(id) if self.world.kind_of(*id) == Some(Kind::Service) => {
                let path = self.world.path(*id);
                Some(format!("did you mean `{path}.host`?"))
            }
            _ => None,
        }
    }

    pub(super) fn describe_value(&self, value: &Value) -> String {
        match value {
            Value::Item(id) => self.world.describe_item(*id),
            other => other.type_name().to_string(),
        }
    }

    fn secret_name(&self, item: InstId, key: &str) -> String {
        let path = self.world.path(item);
        format!("{path}.{key}")
    }

    pub(super) fn key_span(&self, item: InstId, key: &str) -> Option<Span> {
        self.world
            .inst(item)?
            .block
            .fields()
            .find(|f| f.key.name == key)
            .map(|f| f.key.span)
    }

    fn mismatch(&mut self, v: &V, ty: &Ty) {
        match &v.value {
            Value::Secret { .. }
            | Value::SecretText(_)
            | Value::Generate { .. }
            | Value::EnvVar(_) => {
                self.expect_plain(v, |_| false, &ty.describe());
            }
            Value::Word(w) => {
                self.push(messages::mismatched(
                    v.span,
                    &ty.describe(),
                    &format!("`{w}`"),
                    None,
                ));
            }
            Value::Str(text) if unquoted_fits(text, ty) => {
                self.push(messages::quoted_value(v.span, &ty.describe(), text));
            }
            other => {
                let found = self.describe_value(other);
                let help = match ty {
                    Ty::List(_) if !matches!(other, Value::List(_)) => {
                        let text = self.world.program.sources.slice(v.span);
                        Some(format!("write a list: `[{text}]`"))
                    }
                    Ty::EnvValue | Ty::Text | Ty::String => self.text_hint(other),
                    _ => None,
                };
                self.push(messages::mismatched(
                    v.span,
                    &ty.describe(),
                    &found,
                    help.as_deref(),
                ));
            }
        }
    }

    fn check_quantity(&mut self, v: &V, dimension: Dimension) {
        if let Err(e) = quantity(&v.value, dimension) {
            self.quantity_error(v, dimension, e);
        }
    }

    fn quantity_error(&mut self, v: &V, dimension: Dimension, error: QuantityError) {
        match error {
            QuantityError::Type => {
                if let Value::Str(text) = &v.value
                    && unquoted_fits(text, &Ty::Quantity(dimension))
                {
                    self.push(messages::quoted_value(v.span, dimension.name(), text));
                    return;
                }
                let found = match &v.value {
                    value @ Value::Quantity { .. } => {
                        format!("`{}`", super::eval::text_of(value).unwrap_or_default())
                    }
                    other => self.describe_value(other),
                };
                self.push(messages::mismatched(v.span, dimension.name(), &found, None));
            }
            QuantityError::NoUnit => self.push(messages::missing_unit(v.span, dimension)),
            QuantityError::Negative => self.push(messages::out_of_range(
                v.span,
                "a negative quantity",
                dimension.name(),
                0,
                i64::MAX,
            )),
            QuantityError::Inexact(Inexact::Overflow) => {
                self.push(messages::number_out_of_range(v.span))
            }
            QuantityError::Inexact(Inexact::Fraction) => {
                self.push(messages::too_precise(v.span, dimension))
            }
        }
    }

    fn check_resource(&mut self, v: &V, dimension: Dimension) {
        let Value::Range(lo, hi) = &v.value else {
            self.check_quantity(v, dimension);
            return;
        };
        let lo_n = quantity(&lo.value, dimension);
        let hi_n = quantity(&hi.value, dimension);
        match (lo_n, hi_n) {
            (Ok(a), Ok(b)) if a > b => self.push(messages::reversed_range(lo.span, hi.span)),
            (Ok(_), Ok(_)) => {}
            (lo_n, hi_n) => {
                if let (Err(e), false) = (lo_n, lo.is_error()) {
                    self.quantity_error(lo, dimension, e);
                }
                if let (Err(e), false) = (hi_n, hi.is_error()) {
                    self.quantity_error(hi, dimension, e);
                }
            }
        }
    }

    fn check_record(&mut self, v: &V, fields: &'static [FieldSpec], this: Option<InstId>) {
        let Value::Record(entries) = &v.value else {
            self.mismatch(v, &Ty::Record(fields));
            return;
        };
        let owner = self
            .record_owners
            .last()
            .map_or_else(|| "this record".to_string(), |name| format!("`{name}`"));
        for entry in entries {
            match schema::find(fields, &entry.key) {
                Some(spec) => {
                    self.record_owners.push(spec.name);
                    self.check_value(&entry.value, &spec.ty, this);
                    self.record_owners.pop();
                }
                None => {
                    let suggestion = did_you_mean(&entry.key, fields.iter().map(|f| f.name));
                    self.push(messages::unknown_field(
                        entry.key_span,
                        &entry.key,
                        &owner,
                        suggestion,
                    ));
                }
            }
        }
        for spec in fields.iter().filter(|f| f.required) {
            if !entries.iter().any(|e| e.key == spec.name) {
                self.push(messages::missing_field(v.span, spec.name, &owner));
            }
        }
    }

    fn check_probe(&mut self, v: &V, this: Option<InstId>) {
        let Value::Probe(probe) = &v.value else {
            self.mismatch(v, &Ty::Probe);
            return;
        };
        match &probe.kind {
            ProbeKind::Tcp { port } | ProbeKind::Http { port, .. } => {
                self.check_probe_port(port, this)
            }
            ProbeKind::Exec { command } => {
                for part in command {
                    self.check_value(part, &Ty::Text, this);
                }
            }
        }
        for entry in &probe.timing {
            if let Some(spec) = schema::find(schema::PROBE_ARGS, &entry.key) {
                self.check_value(&entry.value, &spec.ty, this);
            }
        }
    }

    /// A probe checks one of the service's own ports, or a port number.
    fn check_probe_port(&mut self, port: &V, this: Option<InstId>) {
        match &port.value {
            Value::Port { service, .. } if Some(*service) == this => {}
            Value::Port { service, name, .. } => {
                let owner = self.world.describe_item(*service);
                self.push(messages::foreign_probe_port(port.span, name, &owner));
            }
            Value::Int(_) => self.check_value(port, &Ty::Port, this),
            Value::Error => {}
            _ => self.mismatch(port, &Ty::Port),
        }
    }

    fn check_storage(&mut self, v: &V) {
        match &v.value {
            Value::Storage(storage) => {
                if let Some(size) = &storage.size {
                    self.check_quantity(size, Dimension::Bytes);
                }
            }
            Value::Word(w) if schema::STORAGE_WORDS.contains(&w.as_str()) => {}
            Value::Word(w) => {
                let suggestion = did_you_mean(w, schema::STORAGE_WORDS.iter().copied());
                self.push(messages::unknown_variant(
                    v.span,
                    w,
                    schema::STORAGE_WORDS,
                    suggestion,
                ));
            }
            _ => self.mismatch(v, &Ty::Storage),
        }
    }
}

fn is_text(value: &Value) -> bool {
    matches!(
        value,
        Value::Str(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Bool(_)
            | Value::Quantity { .. }
            | Value::Port { .. }
    )
}

/// Whether a string's text, written without its quotes, is a value of `ty`: `"3"`
/// where an int belongs, `"500m"` for CPU, `"true"` for a bool.
fn unquoted_fits(text: &str, ty: &Ty) -> bool {
    match ty {
        Ty::Int { min, max } => text
            .parse::<i64>()
            .is_ok_and(|n| (*min..=*max).contains(&n)),
        Ty::Port => text.parse::<i64>().is_ok_and(|n| (1..=65535).contains(&n)),
        Ty::Bool => matches!(text, "true" | "false"),
        Ty::Quantity(d) | Ty::Resource(d) => {
            let digits = text
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(text.len());
            let (number, unit) = text.split_at(digits);
            let Some(number) = crate::syntax::parse_decimal_text(number) else {
                return false;
            };
            if unit.is_empty() {
                return *d == Dimension::Cpu && units::cpu_millis(number).is_ok();
            }
            units::to_base(number, unit, *d).is_some_and(|r| r.is_ok())
        }
        _ => false,
    }
}

/// The component parameter a value is given for.
struct Declared<'n> {
    name: &'n str,
    span: Span,
}
