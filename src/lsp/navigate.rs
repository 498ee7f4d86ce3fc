//! Go to definition, find references and rename.
//!
//! A use is resolved by the checker's references; a definition is named by its URI
//! and byte range, so that the uses of a module's component found by every open
//! stack that imports it come together. Rename covers items, lets and parameters in
//! every file of the programs open; names in the standard library are read only.

use std::collections::HashMap;
use std::rc::Rc;

use lsp_types::{Location, Position, PrepareRenameResponse, Range, TextEdit, Url, WorkspaceEdit};

use super::analysis::{Analysis, View};
use super::query::{self, Def};
use crate::program::Origin;
use crate::source::Span;

/// Whether a file may not be edited (the standard library's).
pub type ReadOnly<'a> = &'a dyn Fn(&Url) -> bool;

/// A definition, independent of any one analysis: its file and byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    uri: Url,
    start: u32,
    end: u32,
}

pub fn definition(view: &View, position: Position) -> Option<Location> {
    let offset = view.offset(position);
    if let Some(span) = used_definition(view, offset) {
        return view.location(span);
    }
    let module = view.analysis.module(view.file)?;
    if let Some(import) = query::import_at(&module.ast, offset) {
        let (id, _) = module
            .imports
            .iter()
            .find(|(_, s)| *s == import.path_span)?;
        let target = view.analysis.program.module(*id)?;
        let uri = view.analysis.uri(target.file)?.clone();
        return Some(Location::new(uri, Range::default()));
    }
    let def = query::definition_at(&module.ast, offset)?;
    view.location(def.name_span())
}

/// The definition a use under the cursor refers to.
fn used_definition(view: &View, offset: usize) -> Option<Span> {
    use_at(view, offset).map(|(_, definition)| definition)
}

/// The use of a name under the cursor and its definition: as the checker resolved
/// it, or from the syntax tree where the checker did not look.
pub fn use_at(view: &View, offset: usize) -> Option<(Span, Span)> {
    let resolved = view
        .analysis
        .references()
        .iter()
        .find(|(at, _)| at.file == view.file && query::contains(*at, offset))
        .copied();
    resolved.or_else(|| {
        let module = view.analysis.module(view.file)?;
        query::resolve_lexically(&view.analysis.program, module, offset)
    })
}

/// The definition under the cursor: used there, or declared there.
fn target_at(view: &View, offset: usize) -> Option<(Target, Span)> {
    let span = match used_definition(view, offset) {
        Some(span) => span,
        None => query::definition_at(&view.analysis.module(view.file)?.ast, offset)?.name_span(),
    };
    let uri = view.analysis.uri(span.file)?.clone();
    Some((
        Target {
            uri,
            start: span.start,
            end: span.end,
        },
        span,
    ))
}

pub fn references(
    view: &View,
    others: &[Rc<Analysis>],
    position: Position,
    with_declaration: bool,
) -> Vec<Location> {
    let Some((target, _)) = target_at(view, view.offset(position)) else {
        return Vec::new();
    };
    let mut out: Vec<Location> = Vec::new();
    for (analysis, span) in uses(view, others, &target, with_declaration) {
        let location = if Rc::ptr_eq(&analysis, &view.analysis) {
            view.location(span)
        } else {
            location(&analysis, span)
        };
        if let Some(l) = location
            && !out.contains(&l)
        {
            out.push(l);
        }
    }
    out
}

/// Every use of a definition in the view's analysis and the others, with the
/// analysis it was found in; the definition itself too when asked.
fn uses(
    view: &View,
    others: &[Rc<Analysis>],
    target: &Target,
    with_declaration: bool,
) -> Vec<(Rc<Analysis>, Span)> {
    let mut analyses = vec![view.analysis.clone()];
    analyses.extend(
        others
            .iter()
            .filter(|a| !Rc::ptr_eq(a, &view.analysis))
            .cloned(),
    );
    let mut out = Vec::new();
    for analysis in analyses {
        let Some(file) = analysis.file_of(&target.uri) else {
            continue;
        };
        let definition = Span {
            file,
            start: target.start,
            end: target.end,
        };
        if with_declaration {
            out.push((analysis.clone(), definition));
        }
        for (at, _) in analysis
            .references()
            .iter()
            .filter(|(_, d)| *d == definition)
        {
            out.push((analysis.clone(), *at));
        }
        for at in arguments(&analysis, definition) {
            out.push((analysis.clone(), at));
        }
    }
    out
}

/// When `definition` is a component's parameter, the keys that set it in the
/// component's instances (`memory` in `cache sessions { memory = 512Mi }`): the
/// checker records the instance's kind as a use of the component, not its keys.
fn arguments(analysis: &Analysis, definition: Span) -> Vec<Span> {
    let Some(module) = query::module_of_span(&analysis.program, definition) else {
        return Vec::new();
    };
    let Some(Def::Param { param, component }) = query::definition_named(&module.ast, definition)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (at, _) in analysis
        .references()
        .iter()
        .filter(|(_, d)| *d == component.name.span)
    {
        let Some(user) = query::module_of_span(&analysis.program, *at) else {
            continue;
        };
        let instance = query::blocks_at(&user.ast, at.start as usize)
            .into_iter()
            .find(|b| b.kind.span == *at);
        let keys = instance
            .into_iter()
            .flat_map(|b| b.fields())
            .filter(|f| f.key.name == param.name.name && f.subpath.is_empty())
            .map(|f| f.key.span);
        out.extend(keys);
    }
    out
}

fn location(analysis: &Analysis, span: Span) -> Option<Location> {
    Some(Location::new(
        analysis.uri(span.file)?.clone(),
        analysis.range(span)?,
    ))
}

/// The name under the cursor, if it can be renamed.
pub fn prepare_rename(
    view: &View,
    position: Position,
    read_only: ReadOnly,
) -> Result<Option<PrepareRenameResponse>, String> {
    let offset = view.offset(position);
    let Some((target, _)) = target_at(view, offset) else {
        return Ok(None);
    };
    renamable(view, &target, read_only)?;
    let under = use_at(view, offset).map(|(at, _)| at).or_else(|| {
        let module = view.analysis.module(view.file)?;
        Some(query::definition_at(&module.ast, offset)?.name_span())
    });
    let Some(range) = under.and_then(|s| view.range(s)) else {
        return Ok(None);
    };
    let placeholder = view
        .analysis
        .program
        .sources
        .slice(under.unwrap_or_default())
        .to_string();
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range,
        placeholder,
    }))
}

pub fn rename(
    view: &View,
    others: &[Rc<Analysis>],
    position: Position,
    new_name: &str,
    read_only: ReadOnly,
) -> Result<Option<WorkspaceEdit>, String> {
    if !is_name(new_name) {
        return Err(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    if view.analysis.has_syntax_errors(view.file) {
        return Err("the file has syntax errors: fix them before renaming".to_string());
    }
    let Some((target, _)) = target_at(view, view.offset(position)) else {
        return Ok(None);
    };
    renamable(view, &target, read_only)?;
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for (analysis, span) in uses(view, others, &target, true) {
        let Some(l) = (if Rc::ptr_eq(&analysis, &view.analysis) {
            view.location(span)
        } else {
            location(&analysis, span)
        }) else {
            continue;
        };
        let edits = changes.entry(l.uri).or_default();
        if !edits.iter().any(|e| e.range == l.range) {
            edits.push(TextEdit::new(l.range, new_name.to_string()));
        }
    }
    for edits in changes.values_mut() {
        edits.sort_by_key(|e| (e.range.start.line, e.range.start.character));
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}

/// Items, lets and parameters outside the standard library can be renamed.
fn renamable(view: &View, target: &Target, read_only: ReadOnly) -> Result<(), String> {
    let analysis = &view.analysis;
    let file = analysis
        .file_of(&target.uri)
        .ok_or("the definition is not loaded")?;
    let module = analysis
        .module(file)
        .ok_or("the definition is not loaded")?;
    let span = Span {
        file,
        start: target.start,
        end: target.end,
    };
    if matches!(module.origin, Origin::Std(_)) || read_only(&target.uri) {
        let name = analysis.program.sources.slice(span);
        return Err(format!(
            "`{name}` is declared in floe's standard library, which cannot be changed"
        ));
    }
    match query::definition_named(&module.ast, span) {
        Some(Def::Item { .. } | Def::Let(_) | Def::Param { .. }) => Ok(()),
        Some(Def::Port { .. }) => {
            Err("ports cannot be renamed yet: only items, lets and parameters".to_string())
        }
        Some(Def::Key { .. }) => Err(
            "secret and config keys cannot be renamed yet: only items, lets and parameters"
                .to_string(),
        ),
        None => Err("only items, lets and parameters can be renamed".to_string()),
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(name, "true" | "false" | "let" | "import")
}
