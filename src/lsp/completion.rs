//! Completion: what may be written at the cursor.
//!
//! The [`context`](super::context) scanner says what the cursor is about to write
//! (an item kind, a field, a value, a member, a port, an import path); the syntax
//! tree of the last analysis that parsed says which names exist: items, lets and
//! parameters in scope, the ports of a service, the keys of a secret, the items of a
//! component instance.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Position, TextEdit,
};

use super::analysis::{Analysis, View};
use super::context::{self, Frame, Slot};
use super::position::LineIndex;
use super::query;
use crate::check::builtins::{self, Builtin};
use crate::check::schema::{FieldSpec, Kind, Ty};
use crate::program::Module;
use crate::stdlib;
use crate::syntax::ast::{Block, ExprKind, Item};

pub fn completion(view: &View, position: Position) -> Vec<CompletionItem> {
    let cursor = view.current_offset(position);
    let context = context::context(&view.current, cursor);
    let Some(module) = view.analysis.module(view.file) else {
        return Vec::new();
    };
    let scope = Scope::new(&view.analysis, module, &context.frames);
    match &context.slot {
        Slot::TopLevel => scope.top_level(),
        Slot::Key => scope.keys(&context.frames),
        Slot::Value => match context.frames.last() {
            Some(Frame::List { key: Some(key) }) if key == "needs" || key == "after" => {
                scope.dependencies()
            }
            _ => scope.values(),
        },
        Slot::Member(chain) => scope.members(chain),
        Slot::UrlArg(chain) => scope
            .resolve(chain)
            .map(|t| scope.ports_of(t))
            .unwrap_or_default(),
        Slot::ImportPath { start } => import_paths(view, *start, cursor),
        Slot::Nothing => Vec::new(),
    }
}

/// What a dotted name leads to.
#[derive(Clone, Copy)]
enum Target<'a> {
    Block(&'a Block),
    Ports(&'a Block),
}

/// The names visible where the cursor is.
struct Scope<'a> {
    analysis: &'a Analysis,
    module: &'a Module,
    /// The component the cursor is in.
    component: Option<&'a Block>,
    /// The innermost item the cursor is in.
    item: Option<&'a Block>,
}

impl<'a> Scope<'a> {
    fn new(analysis: &'a Analysis, module: &'a Module, frames: &[Frame]) -> Scope<'a> {
        let mut items = frames.iter().filter_map(|f| match f {
            Frame::Item { kind, name } => Some((kind.as_str(), name.as_str())),
            _ => None,
        });
        let top = items.next().and_then(|(kind, name)| {
            module.ast.items.iter().find_map(|item| match item {
                Item::Block(b) if b.kind.name == kind && b.name.name == name => Some(b),
                _ => None,
            })
        });
        let component = top.filter(|b| b.kind.name == "component");
        let inner = items.next().and_then(|(kind, name)| {
            query::inner_blocks(component?).find(|b| b.kind.name == kind && b.name.name == name)
        });
        Scope {
            analysis,
            module,
            component,
            item: inner.or(top),
        }
    }

    fn top_level(&self) -> Vec<CompletionItem> {
        let mut out: Vec<CompletionItem> = Kind::BUILTIN
            .iter()
            .map(|k| {
                item(
                    k.keyword(),
                    CompletionItemKind::KEYWORD,
                    "item kind",
                    Some(k.doc()),
                )
            })
            .collect();
        out.extend(self.components());
        out.push(item(
            "let",
            CompletionItemKind::KEYWORD,
            "a named value",
            None,
        ));
        out.push(item(
            "import",
            CompletionItemKind::KEYWORD,
            "a module",
            None,
        ));
        out
    }

    /// The components usable as item kinds.
    fn components(&self) -> Vec<CompletionItem> {
        let mut modules = vec![self.module];
        modules.extend(
            self.module
                .imports
                .iter()
                .filter_map(|(id, _)| self.analysis.program.module(*id)),
        );
        let mut out = Vec::new();
        for module in modules {
            for item_ in &module.ast.items {
                if let Item::Block(b) = item_
                    && b.kind.name == "component"
                {
                    let doc = query::doc_before(self.analysis.text(module.file), b.span.start);
                    out.push(item(
                        &b.name.name,
                        CompletionItemKind::CLASS,
                        "component",
                        doc.as_deref(),
                    ));
                }
            }
        }
        out
    }

    fn keys(&self, frames: &[Frame]) -> Vec<CompletionItem> {
        let Some(at) = frames.iter().rposition(|f| matches!(f, Frame::Item { .. })) else {
            return Vec::new();
        };
        let Some(Frame::Item { kind, .. }) = frames.get(at) else {
            return Vec::new();
        };
        let mut path = Vec::new();
        for frame in frames.get(at + 1..).unwrap_or_default() {
            match frame {
                Frame::Record { key: Some(key) } => path.push(key.as_str()),
                _ => return Vec::new(),
            }
        }
        match Kind::from_keyword(kind) {
            Some(Kind::Component) if path.is_empty() => self.component_entries(),
            Some(Kind::Profile) if path.is_empty() => self.profile_paths(),
            Some(k) => k
                .fields()
                .and_then(|f| fields_at(f, &path))
                .map(field_items)
                .unwrap_or_default(),
            None if path.is_empty() => self.parameters_of(kind),
            None => Vec::new(),
        }
    }

    /// What a component's body may declare: items of most kinds, and lets.
    fn component_entries(&self) -> Vec<CompletionItem> {
        let mut out: Vec<CompletionItem> = [Kind::Service, Kind::Secret, Kind::Config, Kind::Hook]
            .iter()
            .map(|k| {
                item(
                    k.keyword(),
                    CompletionItemKind::KEYWORD,
                    "item kind",
                    Some(k.doc()),
                )
            })
            .collect();
        out.extend(self.components());
        out.push(item(
            "let",
            CompletionItemKind::KEYWORD,
            "a named value",
            None,
        ));
        out
    }

    fn profile_paths(&self) -> Vec<CompletionItem> {
        let mut out = vec![item(
            "stack",
            CompletionItemKind::KEYWORD,
            "the stack",
            None,
        )];
        out.extend(self.module_names());
        out
    }

    fn parameters_of(&self, component: &str) -> Vec<CompletionItem> {
        let Some((home, block)) =
            query::find_component(&self.analysis.program, self.module, component)
        else {
            return Vec::new();
        };
        let text = self.analysis.text(home.file);
        query::params(block)
            .map(|p| {
                let doc = query::doc_before(text, p.span.start);
                let ty = query::type_text(&p.ty);
                let detail = if p.default.is_none() && !p.ty.optional {
                    format!("{ty} (required)")
                } else {
                    ty
                };
                item(
                    &p.name.name,
                    CompletionItemKind::FIELD,
                    &detail,
                    doc.as_deref(),
                )
            })
            .collect()
    }

    fn values(&self) -> Vec<CompletionItem> {
        let mut out = Vec::new();
        if let Some(component) = self.component {
            out.extend(query::params(component).map(|p| {
                item(
                    &p.name.name,
                    CompletionItemKind::VARIABLE,
                    &format!("parameter: {}", query::type_text(&p.ty)),
                    None,
                )
            }));
            out.extend(query::inner_blocks(component).map(|b| {
                item(
                    &b.name.name,
                    CompletionItemKind::REFERENCE,
                    &b.kind.name,
                    None,
                )
            }));
        }
        if let Some(own) = self.item {
            match own.kind.name.as_str() {
                "secret" | "config" => out.extend(own.fields().map(|f| {
                    item(
                        &f.key.name,
                        CompletionItemKind::PROPERTY,
                        &format!("{} key", own.kind.name),
                        None,
                    )
                })),
                "service" => out.push(item(
                    "ports",
                    CompletionItemKind::PROPERTY,
                    "this service's ports",
                    None,
                )),
                _ => {}
            }
        }
        out.extend(self.module_names());
        out.extend(builtins::BUILTINS.iter().map(|b| {
            let kind = match b.called {
                true => CompletionItemKind::FUNCTION,
                false => CompletionItemKind::ENUM_MEMBER,
            };
            builtin_item(b, kind)
        }));
        for word in ["true", "false"] {
            out.push(item(word, CompletionItemKind::KEYWORD, "bool", None));
        }
        out
    }

    /// What `needs = [` and `after = [` can name: the module's services, hooks and
    /// component instances, never the item being written.
    fn dependencies(&self) -> Vec<CompletionItem> {
        let own = self.item.map(|b| b.name.name.as_str());
        let mut out: Vec<CompletionItem> = Vec::new();
        let top = self
            .module
            .ast
            .items
            .iter()
            .filter_map(|entry| match entry {
                Item::Block(b) if self.component.is_none() => Some(b),
                _ => None,
            });
        let inner = self.component.into_iter().flat_map(query::inner_blocks);
        for b in top.chain(inner) {
            let kind = b.kind.name.as_str();
            let workload = match Kind::from_keyword(kind) {
                Some(k) => matches!(k, Kind::Service | Kind::Hook),
                None => true,
            };
            if workload && Some(b.name.name.as_str()) != own {
                out.push(item(
                    &b.name.name,
                    CompletionItemKind::REFERENCE,
                    kind,
                    None,
                ));
            }
        }
        out
    }

    /// The items and lets of the module, and the lets of the modules it imports.
    fn module_names(&self) -> Vec<CompletionItem> {
        let mut out = Vec::new();
        for entry in &self.module.ast.items {
            match entry {
                Item::Block(b)
                    if !matches!(b.kind.name.as_str(), "stack" | "profile" | "component") =>
                {
                    out.push(item(
                        &b.name.name,
                        CompletionItemKind::REFERENCE,
                        &b.kind.name,
                        None,
                    ));
                }
                Item::Let(l) => out.push(item(
                    &l.name.name,
                    CompletionItemKind::CONSTANT,
                    "let",
                    None,
                )),
                _ => {}
            }
        }
        for (id, _) in &self.module.imports {
            let Some(imported) = self.analysis.program.module(*id) else {
                continue;
            };
            for entry in &imported.ast.items {
                if let Item::Let(l) = entry {
                    out.push(item(
                        &l.name.name,
                        CompletionItemKind::CONSTANT,
                        "let",
                        None,
                    ));
                }
            }
        }
        out
    }

    /// The block a name stands for where the cursor is.
    fn lookup(&self, name: &str) -> Option<&'a Block> {
        if let Some(component) = self.component
            && let Some(b) = query::inner_blocks(component).find(|b| b.name.name == name)
        {
            return Some(b);
        }
        self.module.ast.items.iter().find_map(|entry| match entry {
            Item::Block(b)
                if b.name.name == name
                    && !matches!(b.kind.name.as_str(), "stack" | "profile" | "component") =>
            {
                Some(b)
            }
            _ => None,
        })
    }

    fn resolve(&self, chain: &[String]) -> Option<Target<'a>> {
        let (first, rest) = chain.split_first()?;
        let mut target = match (first.as_str(), self.item) {
            ("ports", Some(own))
                if own.kind.name == "service" && self.lookup("ports").is_none() =>
            {
                Target::Ports(own)
            }
            _ => Target::Block(self.lookup(first)?),
        };
        for name in rest {
            target = self.member(target, name)?;
        }
        Some(target)
    }

    fn member(&self, target: Target<'a>, name: &str) -> Option<Target<'a>> {
        let Target::Block(block) = target else {
            return None;
        };
        if block.kind.name == "service" {
            return (name == "ports").then_some(Target::Ports(block));
        }
        let component = self.component_of(block)?;
        if let Some(inner) = query::inner_blocks(component).find(|b| b.name.name == name) {
            return Some(Target::Block(inner));
        }
        let main = query::inner_blocks(component).find(|b| b.name.name == "main")?;
        self.member(Target::Block(main), name)
    }

    /// The component an instance is of.
    fn component_of(&self, block: &Block) -> Option<&'a Block> {
        if Kind::from_keyword(&block.kind.name).is_some() {
            return None;
        }
        let home = query::module_of_span(&self.analysis.program, block.span)?;
        query::find_component(&self.analysis.program, home, &block.kind.name).map(|(_, c)| c)
    }

    fn members(&self, chain: &[String]) -> Vec<CompletionItem> {
        match self.resolve(chain) {
            Some(Target::Ports(block)) => self.ports(block),
            Some(Target::Block(block)) => self.members_of(block),
            None => Vec::new(),
        }
    }

    fn members_of(&self, block: &'a Block) -> Vec<CompletionItem> {
        match block.kind.name.as_str() {
            "service" => builtins::SERVICE_MEMBERS
                .iter()
                .map(|b| builtin_item(b, CompletionItemKind::PROPERTY))
                .collect(),
            "secret" | "config" => block
                .fields()
                .map(|f| {
                    item(
                        &f.key.name,
                        CompletionItemKind::PROPERTY,
                        &format!("{} key", block.kind.name),
                        None,
                    )
                })
                .collect(),
            _ => {
                let Some(component) = self.component_of(block) else {
                    return Vec::new();
                };
                let mut out: Vec<CompletionItem> = query::inner_blocks(component)
                    .map(|b| {
                        item(
                            &b.name.name,
                            CompletionItemKind::REFERENCE,
                            &b.kind.name,
                            None,
                        )
                    })
                    .collect();
                out.extend(query::params(component).map(|p| {
                    item(
                        &p.name.name,
                        CompletionItemKind::VARIABLE,
                        &format!("parameter: {}", query::type_text(&p.ty)),
                        None,
                    )
                }));
                if let Some(main) = query::inner_blocks(component).find(|b| b.name.name == "main") {
                    out.extend(self.members_of(main));
                }
                out
            }
        }
    }

    /// The ports of a service, or of an instance's `main` service.
    fn ports_of(&self, target: Target<'a>) -> Vec<CompletionItem> {
        match target {
            Target::Ports(block) => self.ports(block),
            Target::Block(block) => match self.member(target, "ports") {
                Some(Target::Ports(service)) => self.ports(service),
                _ => self.ports(block),
            },
        }
    }

    fn ports(&self, service: &Block) -> Vec<CompletionItem> {
        let Some(field) = service.fields().find(|f| f.key.name == "ports") else {
            return Vec::new();
        };
        let ExprKind::Record(ports) = &field.value.kind else {
            return Vec::new();
        };
        ports
            .iter()
            .map(|p| {
                let number = self.analysis.program.sources.slice(p.value.span);
                let detail = format!("port {} of {}", number, service.name.name);
                item(&p.key.name, CompletionItemKind::ENUM_MEMBER, &detail, None)
            })
            .collect()
    }
}

/// The fields of the record at a path of keys inside an item.
fn fields_at(fields: &'static [FieldSpec], path: &[&str]) -> Option<&'static [FieldSpec]> {
    let mut ty: Option<&'static Ty> = None;
    let mut current = fields;
    for key in path {
        let next = match ty {
            Some(Ty::Map(inner)) => inner,
            _ => &crate::check::schema::find(current, key)?.ty,
        };
        match next {
            Ty::Record(inner) => {
                current = inner;
                ty = None;
            }
            Ty::Map(_) => ty = Some(next),
            _ => return None,
        }
    }
    ty.is_none().then_some(current)
}

fn field_items(fields: &'static [FieldSpec]) -> Vec<CompletionItem> {
    fields
        .iter()
        .map(|f| {
            let required = if f.required { " (required)" } else { "" };
            item(
                f.name,
                CompletionItemKind::FIELD,
                &format!("{}{required}", f.ty.describe()),
                Some(f.doc),
            )
        })
        .collect()
}

fn import_paths(view: &View, start: usize, cursor: usize) -> Vec<CompletionItem> {
    let typed = view.current.get(start..cursor).unwrap_or("");
    if !"std/".starts_with(typed) && !typed.starts_with("std/") {
        return Vec::new();
    }
    let lines = LineIndex::new(&view.current);
    let range = lines.range(&view.current, start, cursor);
    stdlib::NAMES
        .iter()
        .map(|name| {
            let path = format!("std/{name}");
            let mut completion = item(&path, CompletionItemKind::MODULE, "standard library", None);
            completion.text_edit =
                Some(CompletionTextEdit::Edit(TextEdit::new(range, path.clone())));
            completion.filter_text = Some(path);
            completion
        })
        .collect()
}

fn builtin_item(b: &Builtin, kind: CompletionItemKind) -> CompletionItem {
    item(b.name, kind, b.signature, Some(b.doc))
}

fn item(label: &str, kind: CompletionItemKind, detail: &str, doc: Option<&str>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        documentation: doc.map(|d| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d.to_string(),
            })
        }),
        ..CompletionItem::default()
    }
}
