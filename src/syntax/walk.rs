//! Walking the AST for what later stages need before checking.

use super::ast::{Entry, Expr, ExprKind, Item, StrPart};

/// The string-literal argument of every call `name("...")` in an item.
pub fn calls_of(item: &Item, name: &str, out: &mut Vec<String>) {
    match item {
        Item::Import(_) => {}
        Item::Let(l) => expr_calls(&l.value, name, out),
        Item::Block(b) => {
            for entry in &b.entries {
                match entry {
                    Entry::Field(f) => expr_calls(&f.value, name, out),
                    Entry::Param(p) => {
                        if let Some(d) = &p.default {
                            expr_calls(d, name, out);
                        }
                    }
                    Entry::Let(l) => expr_calls(&l.value, name, out),
                    Entry::Block(inner) => calls_of(&Item::Block(inner.clone()), name, out),
                }
            }
        }
    }
}

fn expr_calls(expr: &Expr, name: &str, out: &mut Vec<String>) {
    match &expr.kind {
        ExprKind::Call(callee, args) => {
            if let (ExprKind::Name(n), [arg]) = (&callee.kind, args.as_slice())
                && n == name
                && let ExprKind::Str(s) = &arg.value.kind
            {
                out.extend(s.as_plain());
            }
            expr_calls(callee, name, out);
            for arg in args {
                expr_calls(&arg.value, name, out);
            }
        }
        ExprKind::Str(s) => {
            for part in &s.parts {
                if let StrPart::Interp(e) = part {
                    expr_calls(e, name, out);
                }
            }
        }
        ExprKind::Member(base, _) | ExprKind::Required(base) | ExprKind::Paren(base) => {
            expr_calls(base, name, out);
        }
        ExprKind::List(items) => {
            for e in items {
                expr_calls(e, name, out);
            }
        }
        ExprKind::Record(fields) => {
            for f in fields {
                expr_calls(&f.value, name, out);
            }
        }
        ExprKind::Range(a, b) | ExprKind::Add(a, b) => {
            expr_calls(a, name, out);
            expr_calls(b, name, out);
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Quantity(_)
        | ExprKind::Name(_) => {}
    }
}
