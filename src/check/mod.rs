//! Checking: from the parsed program to the typed [`model::Stack`].
//!
//! The checker works in four steps, each collecting diagnostics rather than stopping:
//!
//! 1. **Scopes** ([`scope`]): every module gets a scope holding its components and lets
//!    and those of the modules it imports; the main module's items become *item
//!    instances* ([`InstId`]), and each component instance instantiates the
//!    component's items with a scope of its own binding the parameters.
//! 2. **Overrides** ([`profile`]): the chosen profile's paths are resolved to an item
//!    instance and a field path, and checked against the schema.
//! 3. **Evaluation** ([`eval`]): fields are evaluated on demand and memoized (shared,
//!    not copied, with every check that reads them), so a reference `db.ports.pg`
//!    evaluates just the `ports` of `db`; a field that depends on itself is a
//!    reference cycle. Profile overrides are merged in as fields are evaluated.
//! 4. **Typing and building** ([`typeck`], [`build`]): every field is checked against
//!    its item kind's [`schema`], names against Kubernetes' rules ([`names`]), the
//!    dependency graph for cycles ([`graph`]), and the model is built.
//!
//! The model is returned only when there is no error.

mod build;
mod cells;
pub mod data;
mod eval;
pub use eval::{FUNCTIONS, VARIANT_WORDS};
mod graph;
mod names;
mod profile;
pub mod schema;
mod scope;
mod seed;
mod typeck;
pub mod value;

use std::rc::Rc;

use rustc_hash::FxHashMap as HashMap;

use rustc_hash::FxHashMap;

use crate::diagnostic::{Diagnostic, Diagnostics, messages};
use crate::model;
use crate::program::{FileSystem, ModuleId, Program};
use crate::source::Span;
use crate::syntax::ast;

use schema::Kind;
use value::{InstId, V};

/// Identifies a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScopeId(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LetId(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompId(u32);

/// What a name in a scope stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Item(InstId),
    Let(LetId),
    /// A parameter of the component instance, by its index in the component.
    Param(InstId, usize),
    /// An item of a kind that an import which failed may have declared: its
    /// uses are not reported again (the failed import is).
    Unresolved,
}

#[derive(Debug)]
struct Scope {
    parent: Option<ScopeId>,
    module: ModuleId,
    /// References: items, lets and parameters.
    values: HashMap<String, (Binding, Span)>,
    /// Item kinds: the components usable as `NAME instance { ... }`.
    components: HashMap<String, (CompId, Span)>,
}

#[derive(Debug)]
struct Component<'a> {
    block: &'a ast::Block,
    /// The scope of the module that declares it.
    scope: ScopeId,
    params: Vec<&'a ast::Param>,
}

#[derive(Debug)]
struct LetDef<'a> {
    def: &'a ast::Let,
    scope: ScopeId,
}

/// One item of the stack after instantiation.
#[derive(Debug)]
struct Inst<'a> {
    kind: Kind,
    block: &'a ast::Block,
    /// The item's path in the source: `metastore` or `metastore.auth`.
    path: String,
    k8s_name: String,
    /// Where the item's fields are evaluated. For an instance, its fields are the
    /// component's arguments, evaluated where the instance is written.
    scope: ScopeId,
    /// For an instance: the component, and the scope of its body.
    component: Option<CompId>,
    inner: Option<ScopeId>,
    /// For an instance: its items by local name.
    members: Vec<(String, InstId)>,
}

/// A key of the evaluation memo: a field of an item instance (its name interned), a
/// parameter's default for an instance, or a `let`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum EvalKey {
    Field(InstId, Sym),
    Default(InstId, usize),
    Let(LetId),
}

/// An interned field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Sym(u32);

/// A profile override: a field path of an item instance and the value to put there.
#[derive(Debug)]
struct Override<'a> {
    path: Vec<&'a ast::Key>,
    field: &'a ast::Field,
}

pub struct Checker<'a> {
    program: &'a Program,
    fs: &'a dyn FileSystem,
    scopes: Vec<Scope>,
    insts: Vec<Inst<'a>>,
    lets: Vec<LetDef<'a>>,
    components: Vec<Component<'a>>,
    stack: Option<InstId>,
    top: Option<ScopeId>,
    memo: FxHashMap<EvalKey, Option<Rc<V>>>,
    /// Interned field names, for memo keys that cost no allocation to look up.
    symbols: FxHashMap<String, Sym>,
    names: Vec<String>,
    active: Vec<(EvalKey, Span)>,
    overrides: HashMap<InstId, Vec<Override<'a>>>,
    let_overrides: HashMap<LetId, &'a ast::Field>,
    diags: Diagnostics,
    /// The fields being type-checked, innermost last, to name a record in messages.
    record_owners: Vec<&'static str>,
    /// The components being instantiated, outermost first: one that contains
    /// itself is a recursion.
    components_open: Vec<CompId>,
    /// Every resolved reference: where a name is used, and the name it refers to.
    references: Vec<(Span, Span)>,
    /// Where the source holds secret values written as literals.
    secret_spans: Vec<Span>,
    /// Tables built while checked, in order.
    tables_built: Vec<(InstId, model::Table)>,
    /// Verifies check queries, when the caller has a database.
    sql: Option<&'a dyn data::SqlValidator>,
}

/// The result of checking a program with one profile.
pub struct Checked {
    pub stack: Option<model::Stack>,
    pub diagnostics: Vec<Diagnostic>,
    /// Resolved references, for the language server: the span of each use of a
    /// name, and the span of the name it refers to (an item's, a `let`'s, a
    /// parameter's, a component's, a port's or a secret or config key's). Sorted.
    pub references: Vec<(Span, Span)>,
    /// Where the source holds secret values written as literals: renderers that
    /// quote source (terminal diagnostics) mask these spans, so that a log never
    /// shows a secret.
    pub secret_spans: Vec<Span>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks `program` with `profile` applied (or none) and builds the model. Check
/// queries are not verified: see [`check_with`].
pub fn check(program: &Program, fs: &dyn FileSystem, profile: Option<&str>) -> Checked {
    check_with(program, fs, profile, None)
}

/// [`check`], with check queries verified by `sql`.
pub fn check_with<'a>(
    program: &'a Program,
    fs: &'a dyn FileSystem,
    profile: Option<&str>,
    sql: Option<&'a dyn data::SqlValidator>,
) -> Checked {
    let mut checker = Checker {
        program,
        fs,
        scopes: Vec::new(),
        insts: Vec::new(),
        lets: Vec::new(),
        components: Vec::new(),
        stack: None,
        top: None,
        memo: FxHashMap::default(),
        symbols: FxHashMap::default(),
        names: Vec::new(),
        active: Vec::new(),
        overrides: HashMap::default(),
        let_overrides: HashMap::default(),
        diags: Diagnostics::default(),
        record_owners: Vec::new(),
        components_open: Vec::new(),
        references: Vec::new(),
        secret_spans: Vec::new(),
        tables_built: Vec::new(),
        sql,
    };
    checker.diags.extend(program.diagnostics.iter().cloned());
    let profiles = checker.build_scopes();
    checker.apply_profile(&profiles, profile);
    checker.check_all();
    let stack = if checker.diags.has_errors() {
        None
    } else {
        checker.build_model(profile)
    };
    let mut references = std::mem::take(&mut checker.references);
    references.sort();
    references.dedup();
    Checked {
        stack,
        diagnostics: checker.diags.into_sorted(),
        references,
        secret_spans: checker.secret_spans,
    }
}

/// The names of the profiles a program declares, in order.
pub fn profile_names(program: &Program) -> Vec<String> {
    program
        .main()
        .map(|m| {
            m.ast
                .items
                .iter()
                .filter_map(|item| match item {
                    ast::Item::Block(b) if b.kind.name == "profile" => Some(b.name.name.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

impl<'a> Checker<'a> {
    fn inst(&self, id: InstId) -> Option<&Inst<'a>> {
        self.insts.get(id.0 as usize)
    }

    fn sym(&mut self, name: &str) -> Sym {
        if let Some(&sym) = self.symbols.get(name) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        self.names.push(name.to_string());
        self.symbols.insert(name.to_string(), sym);
        sym
    }

    fn sym_name(&self, sym: Sym) -> &str {
        self.names.get(sym.0 as usize).map_or("", String::as_str)
    }

    fn scope(&self, id: ScopeId) -> Option<&Scope> {
        self.scopes.get(id.0 as usize)
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// Looks a reference up, with the span of the name it is bound to.
    fn lookup_with_span(&self, scope: ScopeId, name: &str) -> Option<(Binding, Span)> {
        let mut current = Some(scope);
        while let Some(id) = current {
            let s = self.scope(id)?;
            if let Some(found) = s.values.get(name) {
                return Some(*found);
            }
            current = s.parent;
        }
        None
    }

    /// Records that the name at `at` refers to the name at `definition`.
    fn refer(&mut self, at: Span, definition: Span) {
        self.references.push((at, definition));
    }

    /// The paths of the instances of a component, in source order.
    fn instances_of(&self, comp: CompId) -> Vec<String> {
        self.insts
            .iter()
            .filter(|i| i.component == Some(comp))
            .map(|i| i.path.clone())
            .collect()
    }

    fn lookup_component(&self, scope: ScopeId, name: &str) -> Option<CompId> {
        let mut current = Some(scope);
        while let Some(id) = current {
            let s = self.scope(id)?;
            if let Some((comp, _)) = s.components.get(name) {
                return Some(*comp);
            }
            current = s.parent;
        }
        None
    }

    /// Every reference name visible from a scope, for "did you mean".
    fn names_in_scope(&self, scope: ScopeId) -> Vec<String> {
        let mut names = Vec::new();
        let mut current = Some(scope);
        while let Some(id) = current {
            let Some(s) = self.scope(id) else { break };
            names.extend(s.values.keys().cloned());
            current = s.parent;
        }
        names.sort();
        names
    }

    fn components_in_scope(&self, scope: ScopeId) -> Vec<String> {
        let mut names = Vec::new();
        let mut current = Some(scope);
        while let Some(id) = current {
            let Some(s) = self.scope(id) else { break };
            names.extend(s.components.keys().cloned());
            current = s.parent;
        }
        names.sort();
        names
    }

    fn module_of(&self, scope: ScopeId) -> ModuleId {
        self.scope(scope).map_or(ModuleId(0), |s| s.module)
    }

    /// Reports every item-level problem, evaluating and typing every field.
    fn check_all(&mut self) {
        // A file whose stack did not parse has its syntax error reported already.
        let parsed = !self.program.diagnostics.iter().any(Diagnostic::is_error);
        if self.stack.is_none()
            && parsed
            && let Some(main) = self.program.main()
        {
            let at = Span::new(main.file, 0, 0);
            self.push(messages::missing_stack(at));
        }
        for index in 0..self.insts.len() {
            let id = InstId(u32::try_from(index).unwrap_or(u32::MAX));
            self.check_inst(id);
        }
        for index in 0..self.lets.len() {
            let id = LetId(u32::try_from(index).unwrap_or(u32::MAX));
            self.check_let(id);
        }
        self.check_data();
        self.check_names();
        self.check_graph();
        self.check_secret_templates();
    }
}
