//! Hover: what the name under the cursor is, with its type and documentation.
//!
//! A reference shows what it refers to (`service db`, `port pg = 5432`, `secret key
//! auth.password`, `parameter database: string`) with the `///` doc of the
//! definition; a field key shows its type and doc from the schema; an item kind, a
//! member such as `host`, a built-in function, a column type and an import show
//! their docs.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

use super::analysis::{Analysis, View};
use super::navigate;
use super::query::{self, Def, FieldAt};
use crate::check::builtins;
use crate::check::schema::{self, FieldSpec, Kind, Ty};
use crate::model::COLUMN_TYPE_WORDS;
use crate::program::{Module, Origin};
use crate::source::Span;
use crate::syntax::ast::{self, ExprKind};

pub fn hover(view: &View, position: Position) -> Option<Hover> {
    let (markdown, span) = describe_at(view, view.offset(position))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: view.range(span),
    })
}

fn describe_at(view: &View, offset: usize) -> Option<(String, Span)> {
    let analysis = &view.analysis;
    let module = analysis.module(view.file)?;
    let ast = &module.ast;
    if let Some((at, definition)) = navigate::use_at(view, offset)
        && let Some(text) = describe_span(analysis, definition)
    {
        return Some((text, at));
    }
    if let Some(def) = query::definition_at(ast, offset) {
        return Some((describe(analysis, module, &def), def.name_span()));
    }
    if let Some(import) = query::import_at(ast, offset) {
        return Some((describe_import(analysis, module, import)?, import.path_span));
    }
    if let Some(block) = query::blocks_at(ast, offset)
        .into_iter()
        .rev()
        .find(|b| query::contains(b.kind.span, offset))
    {
        return Some((
            describe_kind(analysis, module, &block.kind.name)?,
            block.kind.span,
        ));
    }
    if let Some(found) = query::field_at(ast, offset) {
        let span = found.path.last()?.span;
        return Some((describe_field(analysis, module, &found)?, span));
    }
    if let Some((_, name)) = query::member_at(ast, offset) {
        let member = builtins::service_member(&name.name)?;
        return Some((code_and_doc(member.signature, member.doc), name.span));
    }
    let (name, span) = query::name_expr_at(ast, offset)?;
    if let Some(function) = builtins::builtin_named(name) {
        return Some((code_and_doc(function.signature, function.doc), span));
    }
    let column = COLUMN_TYPE_WORDS.iter().find(|w| w.word == name)?;
    let header = format!("column type {}", column.word);
    Some((code_and_doc(&header, column.doc), span))
}

/// What the definition at `span` (a name's span, in any file of the program) is.
pub fn describe_span(analysis: &Analysis, span: Span) -> Option<String> {
    let module = query::module_of_span(&analysis.program, span)?;
    let def = query::definition_named(&module.ast, span)?;
    Some(describe(analysis, module, &def))
}

pub fn describe(analysis: &Analysis, module: &Module, def: &Def) -> String {
    let text = analysis.text(module.file);
    let doc = query::doc_before(text, def.span().start);
    match def {
        Def::Item { block, component } => describe_item(analysis, module, block, *component, doc),
        Def::Let(l) => {
            let ty =
                l.ty.as_ref()
                    .map(|t| format!(": {}", query::type_text(t)))
                    .unwrap_or_default();
            let value = short(analysis.program.sources.slice(l.value.span))
                .map(|v| format!(" = {v}"))
                .unwrap_or_default();
            join(&[
                code(&format!("let {}{ty}{value}", l.name.name)),
                doc.unwrap_or_default(),
            ])
        }
        Def::Param { param, component } => {
            let header = param_header(analysis, param);
            let owner = format!("A parameter of component `{}`.", component.name.name);
            join(&[code(&header), doc.unwrap_or_default(), owner])
        }
        Def::Port {
            service,
            component,
            key,
            value,
        } => {
            let number = analysis.program.sources.slice(value.span);
            let inside = component
                .map(|c| format!(" of component `{}`", c.name.name))
                .unwrap_or_default();
            let owner = format!("A port of service `{}`{inside}.", service.name.name);
            join(&[code(&format!("port {} = {number}", key.name)), owner])
        }
        Def::Key { item, field } => describe_key(analysis, item, field, doc),
    }
}

fn describe_item(
    analysis: &Analysis,
    module: &Module,
    block: &ast::Block,
    component: Option<&ast::Block>,
    doc: Option<String>,
) -> String {
    let kind = block.kind.name.as_str();
    let header = code(&format!("{kind} {}", block.name.name));
    let inside = component
        .map(|c| format!("An item of component `{}`.", c.name.name))
        .unwrap_or_default();
    if kind == "component" {
        return join(&[
            header,
            doc.unwrap_or_default(),
            parameters(analysis, block),
            inside,
        ]);
    }
    let kind_doc = describe_kind(analysis, module, kind).unwrap_or_default();
    join(&[header, doc.unwrap_or_default(), inside, kind_doc])
}

/// The doc of an item kind: a built-in one's, or a component's doc and parameters.
fn describe_kind(analysis: &Analysis, module: &Module, kind: &str) -> Option<String> {
    if let Some(builtin) = Kind::from_keyword(kind) {
        let fields = builtin
            .fields()
            .map(|fs| {
                let names: Vec<String> = fs.iter().map(|f| format!("`{}`", f.name)).collect();
                format!("Fields: {}.", names.join(", "))
            })
            .unwrap_or_default();
        return Some(join(&[code(kind), builtin.doc().to_string(), fields]));
    }
    let (home, component) = query::find_component(&analysis.program, module, kind)?;
    let doc = query::doc_before(analysis.text(home.file), component.span.start);
    Some(join(&[
        code(&format!("component {kind}")),
        doc.unwrap_or_default(),
        parameters(analysis, component),
    ]))
}

fn parameters(analysis: &Analysis, component: &ast::Block) -> String {
    let Some(home) = query::module_of_span(&analysis.program, component.span) else {
        return String::new();
    };
    let text = analysis.text(home.file);
    let lines: Vec<String> = query::params(component)
        .map(|p| {
            let doc = query::doc_before(text, p.span.start)
                .map(|d| format!(" — {}", query::summary(&d)))
                .unwrap_or_default();
            format!(
                "- `{}`{doc}",
                param_header(analysis, p).trim_start_matches("parameter ")
            )
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("Parameters:\n\n{}", lines.join("\n"))
}

fn param_header(analysis: &Analysis, param: &ast::Param) -> String {
    let default = param
        .default
        .as_ref()
        .and_then(|d| short(analysis.program.sources.slice(d.span)))
        .map(|d| format!(" = {d}"))
        .unwrap_or_default();
    format!(
        "parameter {}: {}{default}",
        param.name.name,
        query::type_text(&param.ty)
    )
}

fn describe_key(
    analysis: &Analysis,
    item: &ast::Block,
    field: &ast::Field,
    doc: Option<String>,
) -> String {
    let kind = item.kind.name.as_str();
    let path = format!("{}.{}", item.name.name, field.key.name);
    // Secret values never leave the file: only how a key is obtained is shown.
    let value = match (&field.value.kind, kind) {
        (ExprKind::Call(..), "secret") => short(analysis.program.sources.slice(field.value.span)),
        (_, "config") => short(analysis.program.sources.slice(field.value.span)),
        _ => None,
    };
    let value = value.map(|v| format!(" = {v}")).unwrap_or_default();
    join(&[
        code(&format!("{kind} key {path}{value}")),
        doc.unwrap_or_default(),
    ])
}

fn describe_import(analysis: &Analysis, module: &Module, import: &ast::Import) -> Option<String> {
    let (id, _) = module
        .imports
        .iter()
        .find(|(_, span)| *span == import.path_span)?;
    let target = analysis.program.module(*id)?;
    let text = analysis.text(target.file);
    let components: Vec<String> = target
        .ast
        .items
        .iter()
        .filter_map(|item| match item {
            ast::Item::Block(b) if b.kind.name == "component" => {
                let doc = query::doc_before(text, b.span.start)
                    .map(|d| format!(": {}", query::summary(&d)))
                    .unwrap_or_default();
                Some(format!("- `{}`{doc}", b.name.name))
            }
            _ => None,
        })
        .collect();
    let what = match &target.origin {
        Origin::Std(_) => "A module of the standard library.",
        _ => "A module of the project.",
    };
    Some(join(&[
        code(&format!("import \"{}\"", import.path)),
        what.to_string(),
        if components.is_empty() {
            String::new()
        } else {
            format!("Components:\n\n{}", components.join("\n"))
        },
    ]))
}

fn describe_field(analysis: &Analysis, module: &Module, found: &FieldAt) -> Option<String> {
    let block = found.blocks.last()?;
    match Kind::from_keyword(&block.kind.name) {
        Some(kind) => {
            let spec = field_spec(kind.fields()?, &found.path)?;
            let required = if spec.required { " (required)" } else { "" };
            let header = format!("{}: {}{required}", spec.name, spec.ty.describe());
            Some(join(&[code(&header), spec.doc.to_string()]))
        }
        None => {
            let home = query::module_of_span(&analysis.program, block.span).unwrap_or(module);
            let (_, component) = query::find_component(&analysis.program, home, &block.kind.name)?;
            let first = found.path.first()?;
            let param = query::params(component).find(|p| p.name.name == first.name)?;
            let def = Def::Param { param, component };
            let owner = query::module_of_span(&analysis.program, component.span)?;
            Some(describe(analysis, owner, &def))
        }
    }
}

/// The schema entry at a path of keys: through records by field name, through maps
/// by any key (`volumes.data.mount`).
pub fn field_spec(fields: &'static [FieldSpec], path: &[&ast::Key]) -> Option<&'static FieldSpec> {
    let (first, rest) = path.split_first()?;
    let mut spec = Some(schema::find(fields, &first.name)?);
    let mut ty: &'static Ty = &spec?.ty;
    for key in rest {
        match ty {
            Ty::Record(inner) => {
                let found = schema::find(inner, &key.name)?;
                spec = Some(found);
                ty = &found.ty;
            }
            Ty::Map(inner) => {
                spec = None;
                ty = inner;
            }
            _ => return None,
        }
    }
    spec
}

/// A source snippet short enough for a header, on one line.
fn short(text: &str) -> Option<&str> {
    (text.len() <= 60 && !text.contains('\n')).then_some(text)
}

fn code(text: &str) -> String {
    format!("```floe\n{text}\n```")
}

fn code_and_doc(signature: &str, doc: &str) -> String {
    join(&[code(signature), doc.to_string()])
}

/// Paragraphs, leaving out empty ones.
fn join(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n\n")
}
