//! Questions about the syntax tree that the editor features share: which definition
//! a name is, which field key is under the cursor, the `///` doc of a node, where a
//! component is declared.
//!
//! The checker answers what a *use* refers to (`Checked::references`); these
//! functions say what sits at the other end, from the tree alone, so they also work
//! in code the checker never instantiated.

use crate::program::{Module, Program};
use crate::source::Span;
use crate::syntax::ast::{self, Block, Entry, Expr, ExprKind, Field, Item, Key, Let, Param};

/// Something a name can be bound to.
#[derive(Clone, Copy, Debug)]
pub enum Def<'a> {
    /// An item; `component` is the component it is declared in.
    Item {
        block: &'a Block,
        component: Option<&'a Block>,
    },
    Let(&'a Let),
    Param {
        param: &'a Param,
        component: &'a Block,
    },
    /// A named port of a service; `component` is the component it is declared in.
    Port {
        service: &'a Block,
        component: Option<&'a Block>,
        key: &'a Key,
        value: &'a Expr,
    },
    /// A key of a secret or config.
    Key {
        item: &'a Block,
        field: &'a Field,
    },
}

impl<'a> Def<'a> {
    pub fn name_span(&self) -> Span {
        match self {
            Def::Item { block, .. } => block.name.span,
            Def::Let(l) => l.name.span,
            Def::Param { param, .. } => param.name.span,
            Def::Port { key, .. } => key.span,
            Def::Key { field, .. } => field.key.span,
        }
    }

    /// The whole definition, for symbols and doc comments.
    pub fn span(&self) -> Span {
        match self {
            Def::Item { block, .. } => block.span,
            Def::Let(l) => l.span,
            Def::Param { param, .. } => param.span,
            Def::Port { key, value, .. } => key.span.to(value.span),
            Def::Key { field, .. } => field.span,
        }
    }
}

/// Every definition in a file.
pub fn definitions(file: &ast::File) -> Vec<Def<'_>> {
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Let(l) => out.push(Def::Let(l)),
            Item::Block(b) => block_definitions(b, None, &mut out),
            Item::Import(_) => {}
        }
    }
    out
}

fn block_definitions<'a>(block: &'a Block, component: Option<&'a Block>, out: &mut Vec<Def<'a>>) {
    out.push(Def::Item { block, component });
    let inner = (block.kind.name == "component")
        .then_some(block)
        .or(component);
    for entry in &block.entries {
        match entry {
            Entry::Param(param) => {
                if let Some(component) = inner {
                    out.push(Def::Param { param, component });
                }
            }
            Entry::Let(l) => out.push(Def::Let(l)),
            Entry::Block(b) => block_definitions(b, inner, out),
            Entry::Field(field) => field_definitions(block, component, field, out),
        }
    }
}

fn field_definitions<'a>(
    block: &'a Block,
    component: Option<&'a Block>,
    field: &'a Field,
    out: &mut Vec<Def<'a>>,
) {
    match block.kind.name.as_str() {
        "secret" | "config" => out.push(Def::Key { item: block, field }),
        "service" if field.key.name == "ports" && field.subpath.is_empty() => {
            if let ExprKind::Record(ports) = &field.value.kind {
                for port in ports {
                    out.push(Def::Port {
                        service: block,
                        component,
                        key: &port.key,
                        value: &port.value,
                    });
                }
            }
        }
        _ => {}
    }
}

/// The definition whose name is exactly `span`.
pub fn definition_named<'a>(file: &'a ast::File, span: Span) -> Option<Def<'a>> {
    definitions(file)
        .into_iter()
        .find(|d| d.name_span() == span)
}

/// The definition whose name is under `offset`.
pub fn definition_at(file: &ast::File, offset: usize) -> Option<Def<'_>> {
    definitions(file)
        .into_iter()
        .find(|d| contains(d.name_span(), offset))
}

/// Whether `offset` is in a span or at its end (the cursor just after a name).
pub fn contains(span: Span, offset: usize) -> bool {
    (span.start as usize..=span.end as usize).contains(&offset)
}

/// A field key under the cursor: the items around it (outermost first) and the path
/// of keys from the innermost item down to it.
pub struct FieldAt<'a> {
    pub blocks: Vec<&'a Block>,
    pub path: Vec<&'a Key>,
}

pub fn field_at(file: &ast::File, offset: usize) -> Option<FieldAt<'_>> {
    let blocks = blocks_at(file, offset);
    let block = *blocks.last()?;
    let path = block
        .fields()
        .find_map(|f| key_path(f, offset, Vec::new()))?;
    Some(FieldAt { blocks, path })
}

fn key_path<'a>(field: &'a Field, offset: usize, mut path: Vec<&'a Key>) -> Option<Vec<&'a Key>> {
    if !contains(field.span, offset) {
        return None;
    }
    for key in field.path() {
        path.push(key);
        if contains(key.span, offset) {
            return Some(path);
        }
    }
    match &field.value.kind {
        ExprKind::Record(fields) => fields
            .iter()
            .find_map(|f| key_path(f, offset, path.clone())),
        _ => None,
    }
}

/// The items around an offset, outermost first.
pub fn blocks_at(file: &ast::File, offset: usize) -> Vec<&Block> {
    let mut out = Vec::new();
    let mut entries: Option<&[Entry]> = None;
    for item in &file.items {
        if let Item::Block(b) = item
            && contains(b.span, offset)
        {
            out.push(b);
            entries = Some(&b.entries);
        }
    }
    while let Some(list) = entries.take() {
        for entry in list {
            if let Entry::Block(b) = entry
                && contains(b.span, offset)
            {
                out.push(b);
                entries = Some(&b.entries);
            }
        }
    }
    out
}

/// The import whose path is under `offset`.
pub fn import_at(file: &ast::File, offset: usize) -> Option<&ast::Import> {
    file.items.iter().find_map(|item| match item {
        Item::Import(i) if contains(i.path_span, offset) => Some(i),
        _ => None,
    })
}

/// A member name under the cursor (`host` in `db.host`), with what it is a member of.
pub fn member_at(file: &ast::File, offset: usize) -> Option<(&Expr, &ast::Ident)> {
    let mut found = None;
    for_each_expr(file, &mut |e| {
        if let ExprKind::Member(target, name) = &e.kind
            && contains(name.span, offset)
        {
            found = Some((target.as_ref(), name));
        }
    });
    found
}

/// A function or word used as a value under the cursor (`tcp`, `persistent`).
pub fn name_expr_at(file: &ast::File, offset: usize) -> Option<(&str, Span)> {
    let mut found = None;
    for_each_expr(file, &mut |e| {
        if let ExprKind::Name(name) = &e.kind
            && contains(e.span, offset)
        {
            found = Some((name.as_str(), e.span));
        }
    });
    found
}

/// The definition a name used at `offset` stands for, from the syntax tree: for
/// code the checker did not evaluate, such as a component that no open stack
/// instantiates. Only the first name of a dotted name is resolved.
pub fn resolve_lexically(
    program: &Program,
    module: &Module,
    offset: usize,
) -> Option<(Span, Span)> {
    let (name, used) = name_expr_at(&module.ast, offset)?;
    let blocks = blocks_at(&module.ast, offset);
    if let Some(component) = blocks.iter().find(|b| b.kind.name == "component") {
        let found = component.entries.iter().find_map(|entry| match entry {
            Entry::Param(p) if p.name.name == name => Some(p.name.span),
            Entry::Block(b) if b.name.name == name => Some(b.name.span),
            Entry::Let(l) if l.name.name == name => Some(l.name.span),
            _ => None,
        });
        if let Some(found) = found {
            return Some((used, found));
        }
    }
    let imported = module
        .imports
        .iter()
        .filter_map(|(id, _)| program.module(*id));
    let found = std::iter::once(module).chain(imported).find_map(|m| {
        m.ast.items.iter().find_map(|item| match item {
            Item::Let(l) if l.name.name == name => Some(l.name.span),
            Item::Block(b)
                if std::ptr::eq(m, module)
                    && b.name.name == name
                    && !matches!(b.kind.name.as_str(), "stack" | "profile" | "component") =>
            {
                Some(b.name.span)
            }
            _ => None,
        })
    })?;
    Some((used, found))
}

/// Calls `f` on every expression of a file, outer before inner.
pub fn for_each_expr<'a>(file: &'a ast::File, f: &mut dyn FnMut(&'a Expr)) {
    for item in &file.items {
        match item {
            Item::Let(l) => walk_expr(&l.value, f),
            Item::Block(b) => walk_block(b, f),
            Item::Import(_) => {}
        }
    }
}

fn walk_block<'a>(block: &'a Block, f: &mut dyn FnMut(&'a Expr)) {
    for entry in &block.entries {
        match entry {
            Entry::Field(field) => walk_expr(&field.value, f),
            Entry::Param(p) => {
                if let Some(d) = &p.default {
                    walk_expr(d, f);
                }
            }
            Entry::Let(l) => walk_expr(&l.value, f),
            Entry::Block(b) => walk_block(b, f),
        }
    }
}

fn walk_expr<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Str(s) => {
            for part in &s.parts {
                if let ast::StrPart::Interp(inner) = part {
                    walk_expr(inner, f);
                }
            }
        }
        ExprKind::Member(target, _) => walk_expr(target, f),
        ExprKind::Call(callee, args) => {
            walk_expr(callee, f);
            args.iter().for_each(|a| walk_expr(&a.value, f));
        }
        ExprKind::List(items) => items.iter().for_each(|i| walk_expr(i, f)),
        ExprKind::Record(fields) => fields.iter().for_each(|fl| walk_expr(&fl.value, f)),
        ExprKind::Range(a, b) | ExprKind::Add(a, b) => {
            walk_expr(a, f);
            walk_expr(b, f);
        }
        ExprKind::Required(inner) | ExprKind::Paren(inner) => walk_expr(inner, f),
        _ => {}
    }
}

/// The `///` comment lines just above the line where `start` is, without their
/// slashes. (The parser keeps no comments, so they are read from the text.)
pub fn doc_before(text: &str, start: u32) -> Option<String> {
    let before = text.get(..start as usize)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before.get(line_start..)?.trim().is_empty() {
        return None;
    }
    let mut lines: Vec<&str> = Vec::new();
    for line in before.get(..line_start)?.lines().rev() {
        match line.trim().strip_prefix("///") {
            Some(rest) if !rest.starts_with('/') => {
                lines.push(rest.strip_prefix(' ').unwrap_or(rest).trim_end());
            }
            _ => break,
        }
    }
    lines.reverse();
    let doc = lines.join("\n");
    (!doc.trim().is_empty()).then_some(doc)
}

/// The first paragraph of a doc, on one line.
pub fn summary(doc: &str) -> String {
    doc.split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A component declared in a module or in a module it imports.
pub fn find_component<'a>(
    program: &'a Program,
    module: &'a Module,
    name: &str,
) -> Option<(&'a Module, &'a Block)> {
    let own = component_in(module, name).map(|b| (module, b));
    own.or_else(|| {
        module.imports.iter().find_map(|(id, _)| {
            let imported = program.module(*id)?;
            component_in(imported, name).map(|b| (imported, b))
        })
    })
}

fn component_in<'a>(module: &'a Module, name: &str) -> Option<&'a Block> {
    module.ast.items.iter().find_map(|item| match item {
        Item::Block(b) if b.kind.name == "component" && b.name.name == name => Some(b),
        _ => None,
    })
}

/// The parameters of a component.
pub fn params(component: &Block) -> impl Iterator<Item = &Param> {
    component.entries.iter().filter_map(|e| match e {
        Entry::Param(p) => Some(p),
        _ => None,
    })
}

/// The items declared inside a component (or any block).
pub fn inner_blocks(block: &Block) -> impl Iterator<Item = &Block> {
    block.entries.iter().filter_map(|e| match e {
        Entry::Block(b) => Some(b),
        _ => None,
    })
}

/// The module a file belongs to.
pub fn module_of_span(program: &Program, span: Span) -> Option<&Module> {
    program.modules.iter().find(|m| m.file == span.file)
}

/// A type as written: `string`, `[bytes]`, `cpu?`.
pub fn type_text(ty: &ast::TypeExpr) -> String {
    let base = match &ty.kind {
        ast::TypeExprKind::Named(name) => name.name.clone(),
        ast::TypeExprKind::List(inner) => format!("[{}]", type_text(inner)),
    };
    if ty.optional {
        format!("{base}?")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::syntax;

    const TEXT: &str = "/// A cache.\n/// Two lines.\ncomponent cache {\n  /// The tag.\n  version: string\n  \
                        service main {\n    image = \"redis:${version}\"\n    ports = { redis = 6379 }\n  }\n}\n\
                        // not a doc\n\nsecret auth { password = generate(32) }\n";

    #[test]
    fn definitions_and_docs() {
        let file = syntax::parse(FileId(0), TEXT).file;
        let names: Vec<&str> = definitions(&file)
            .iter()
            .map(|d| TEXT.get(d.name_span().range()).unwrap_or(""))
            .collect();
        assert_eq!(
            names,
            ["cache", "version", "main", "redis", "auth", "password"]
        );
        let cache = definition_at(&file, TEXT.find("cache {").unwrap_or_default() + 2);
        let Some(Def::Item { block, .. }) = cache else {
            panic!("the component");
        };
        let doc = doc_before(TEXT, block.span.start);
        assert_eq!(doc.as_deref(), Some("A cache.\nTwo lines."));
        let Some(Def::Param { param, .. }) =
            definition_at(&file, TEXT.find("version:").unwrap_or_default())
        else {
            panic!("the parameter");
        };
        assert_eq!(
            doc_before(TEXT, param.span.start).as_deref(),
            Some("The tag.")
        );
        let secret = TEXT.find("secret").unwrap_or_default();
        let Some(Def::Item { block, .. }) = definition_at(&file, secret + 8) else {
            panic!("the secret");
        };
        assert_eq!(doc_before(TEXT, block.span.start), None);
    }

    #[test]
    fn field_keys_under_the_cursor() {
        let file = syntax::parse(FileId(0), TEXT).file;
        let at = TEXT.find("redis =").unwrap_or_default() + 1;
        let Some(found) = field_at(&file, at) else {
            panic!("a field");
        };
        let path: Vec<&str> = found.path.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(path, ["ports", "redis"]);
        assert_eq!(found.blocks.len(), 2);
    }
}
