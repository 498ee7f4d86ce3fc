//! Document symbols: the items of a file, with a component's parameters and items
//! nested in it, for outlines and "go to symbol".

use lsp_types::{DocumentSymbol, SymbolKind};

use super::analysis::View;
use crate::source::Span;
use crate::syntax::ast::{Block, Entry, Item, Let};

pub fn document_symbols(view: &View) -> Vec<DocumentSymbol> {
    let Some(module) = view.analysis.module(view.file) else {
        return Vec::new();
    };
    module
        .ast
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Block(b) => block_symbol(view, b),
            Item::Let(l) => let_symbol(view, l),
            Item::Import(i) => symbol(
                view,
                &i.path,
                "import",
                SymbolKind::FILE,
                i.span,
                i.path_span,
                Vec::new(),
            ),
        })
        .collect()
}

fn block_symbol(view: &View, block: &Block) -> Option<DocumentSymbol> {
    let children = block
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Block(b) => block_symbol(view, b),
            Entry::Let(l) => let_symbol(view, l),
            Entry::Param(p) => symbol(
                view,
                &p.name.name,
                "parameter",
                SymbolKind::TYPE_PARAMETER,
                p.span,
                p.name.span,
                Vec::new(),
            ),
            Entry::Field(_) => None,
        })
        .collect();
    symbol(
        view,
        &block.name.name,
        &block.kind.name,
        kind_of(&block.kind.name),
        block.span,
        block.name.span,
        children,
    )
}

fn let_symbol(view: &View, l: &Let) -> Option<DocumentSymbol> {
    symbol(
        view,
        &l.name.name,
        "let",
        SymbolKind::CONSTANT,
        l.span,
        l.name.span,
        Vec::new(),
    )
}

fn kind_of(kind: &str) -> SymbolKind {
    match kind {
        "stack" => SymbolKind::NAMESPACE,
        "service" => SymbolKind::CLASS,
        "hook" => SymbolKind::EVENT,
        "secret" => SymbolKind::KEY,
        "config" => SymbolKind::OBJECT,
        "component" => SymbolKind::MODULE,
        "profile" => SymbolKind::PACKAGE,
        _ => SymbolKind::STRUCT,
    }
}

#[allow(deprecated)] // `deprecated` is a field the protocol still requires.
fn symbol(
    view: &View,
    name: &str,
    detail: &str,
    kind: SymbolKind,
    span: Span,
    name_span: Span,
    children: Vec<DocumentSymbol>,
) -> Option<DocumentSymbol> {
    Some(DocumentSymbol {
        name: name.to_string(),
        detail: Some(detail.to_string()),
        kind,
        tags: None,
        deprecated: None,
        range: view.range(span)?,
        selection_range: view.range(name_span)?,
        children: (!children.is_empty()).then_some(children),
    })
}
