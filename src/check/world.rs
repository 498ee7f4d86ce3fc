//! The world the checker evaluates in: every scope, item instance, component and
//! `let`, with the chosen profile's overrides. It is built once ([`super::scope`]) and
//! then only read, so that several evaluators can share it.

use rustc_hash::FxHashMap as HashMap;

use super::schema::Kind;
use super::value::InstId;
use super::{Binding, CompId, Component, Inst, LetDef, LetId, Override, Scope, ScopeId, Sym};
use crate::diagnostic::Code;
use crate::model;
use crate::program::{FileSystem, ModuleId, Program};
use crate::source::Span;
use crate::syntax::ast;

pub(super) struct World<'a> {
    pub(super) program: &'a Program,
    pub(super) fs: &'a dyn FileSystem,
    pub(super) scopes: Vec<Scope>,
    pub(super) insts: Vec<Inst<'a>>,
    pub(super) lets: Vec<LetDef<'a>>,
    pub(super) components: Vec<Component<'a>>,
    pub(super) stack: Option<InstId>,
    pub(super) top: Option<ScopeId>,
    pub(super) overrides: HashMap<InstId, Vec<Override<'a>>>,
    pub(super) let_overrides: HashMap<LetId, &'a ast::Field>,
    /// Interned field names, for memo keys that cost no allocation to look up.
    symbols: HashMap<String, Sym>,
    names: Vec<String>,
}

impl<'a> World<'a> {
    pub(super) fn new(program: &'a Program, fs: &'a dyn FileSystem) -> Self {
        World {
            program,
            fs,
            scopes: Vec::new(),
            insts: Vec::new(),
            lets: Vec::new(),
            components: Vec::new(),
            stack: None,
            top: None,
            overrides: HashMap::default(),
            let_overrides: HashMap::default(),
            symbols: HashMap::default(),
            names: Vec::new(),
        }
    }

    pub(super) fn inst(&self, id: InstId) -> Option<&Inst<'a>> {
        self.insts.get(id.0 as usize)
    }

    /// An instance's path in the source (`metastore.auth`), as messages and the model
    /// name it.
    pub(super) fn path(&self, id: InstId) -> String {
        self.inst(id).map(|i| i.path.clone()).unwrap_or_default()
    }

    pub(super) fn scope(&self, id: ScopeId) -> Option<&Scope> {
        self.scopes.get(id.0 as usize)
    }

    pub(super) fn component(&self, id: CompId) -> Option<&Component<'a>> {
        self.components.get(id.0 as usize)
    }

    pub(super) fn let_def(&self, id: LetId) -> Option<&LetDef<'a>> {
        self.lets.get(id.0 as usize)
    }

    pub(super) fn kind_of(&self, id: InstId) -> Option<Kind> {
        self.inst(id).map(|i| i.kind)
    }

    /// "service `db`", for messages.
    pub(super) fn describe_item(&self, id: InstId) -> String {
        match self.inst(id) {
            Some(inst) => format!("{} `{}`", inst.block.kind.name, inst.path),
            None => "item".to_string(),
        }
    }

    pub(super) fn k8s_name(&self, id: InstId) -> String {
        self.inst(id)
            .map(|i| i.k8s_name.clone())
            .unwrap_or_default()
    }

    /// The instance's `main` item, which stands for the instance in references.
    pub(super) fn main_of(&self, id: InstId) -> Option<InstId> {
        self.inst(id)?
            .members
            .iter()
            .find(|(name, _)| name == "main")
            .map(|(_, m)| *m)
    }

    pub(super) fn member_of(&self, id: InstId, name: &str) -> Option<InstId> {
        self.inst(id)?
            .members
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| *m)
    }

    /// The paths of the instances of a component, in source order.
    pub(super) fn instances_of(&self, comp: CompId) -> Vec<String> {
        self.insts
            .iter()
            .filter(|i| i.component == Some(comp))
            .map(|i| i.path.clone())
            .collect()
    }

    /// The keys of a secret or config: its fields and those its profile adds.
    pub(super) fn keys_of(&self, id: InstId) -> Vec<String> {
        let mut keys: Vec<String> = self
            .inst(id)
            .map(|i| i.block.fields().map(|f| f.key.name.clone()).collect())
            .unwrap_or_default();
        if let Some(overrides) = self.overrides.get(&id) {
            for o in overrides {
                if let Some(first) = o.path.first()
                    && !keys.contains(&first.name)
                {
                    keys.push(first.name.clone());
                }
            }
        }
        keys
    }

    /// Where a parameter of an instance's component is declared.
    pub(super) fn param_span(&self, id: InstId, index: usize) -> Option<Span> {
        let comp = self.inst(id)?.component?;
        self.component(comp)?.params.get(index).map(|p| p.name.span)
    }

    pub(super) fn param_index(&self, id: InstId, name: &str) -> Option<usize> {
        let comp = self.inst(id)?.component?;
        self.component(comp)?
            .params
            .iter()
            .position(|p| p.name.name == name)
    }

    pub(super) fn param_names(&self, id: InstId) -> Vec<String> {
        self.inst(id)
            .and_then(|i| i.component)
            .and_then(|c| self.component(c))
            .map(|c| c.params.iter().map(|p| p.name.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The symbol of a field name that some item sets. A name that none sets has
    /// none: no item has that field.
    pub(super) fn sym(&self, name: &str) -> Option<Sym> {
        self.symbols.get(name).copied()
    }

    /// Interns a field name that an item or a profile override sets.
    pub(super) fn intern(&mut self, name: &str) {
        if !self.symbols.contains_key(name) {
            let sym = Sym(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
            self.names.push(name.to_string());
            self.symbols.insert(name.to_string(), sym);
        }
    }

    pub(super) fn sym_name(&self, sym: Sym) -> &str {
        self.names.get(sym.0 as usize).map_or("", String::as_str)
    }

    /// Looks a reference up, with the span of the name it is bound to.
    pub(super) fn lookup_with_span(&self, scope: ScopeId, name: &str) -> Option<(Binding, Span)> {
        self.enclosing(scope)
            .find_map(|s| s.values.get(name).copied())
    }

    pub(super) fn lookup_component(&self, scope: ScopeId, name: &str) -> Option<CompId> {
        self.enclosing(scope)
            .find_map(|s| s.components.get(name).map(|(comp, _)| *comp))
    }

    /// Every reference name visible from a scope, for "did you mean".
    pub(super) fn names_in_scope(&self, scope: ScopeId) -> Vec<String> {
        let mut names: Vec<String> = self
            .enclosing(scope)
            .flat_map(|s| s.values.keys().cloned())
            .collect();
        names.sort();
        names
    }

    pub(super) fn components_in_scope(&self, scope: ScopeId) -> Vec<String> {
        let mut names: Vec<String> = self
            .enclosing(scope)
            .flat_map(|s| s.components.keys().cloned())
            .collect();
        names.sort();
        names
    }

    /// A scope and the scopes around it, innermost first.
    fn enclosing(&self, scope: ScopeId) -> impl Iterator<Item = &Scope> {
        std::iter::successors(self.scope(scope), |s| s.parent.and_then(|p| self.scope(p)))
    }

    pub(super) fn module_of(&self, scope: ScopeId) -> ModuleId {
        self.scope(scope).map_or(ModuleId(0), |s| s.module)
    }

    /// Whether an import of `file` failed (it is missing, escapes the project, is in
    /// a cycle or too deep a chain).
    pub(super) fn import_failed_in(&self, file: crate::source::FileId) -> bool {
        self.program.diagnostics.iter().any(|d| {
            matches!(
                d.code,
                Code::E0107 | Code::E0108 | Code::E0109 | Code::E0115 | Code::E0116
            ) && d.span.is_some_and(|s| s.file == file)
        })
    }

    /// The source path and Kubernetes name of an item: `main` takes its instance's
    /// name, other items inside an instance are prefixed with it.
    pub(super) fn naming(&self, block: &ast::Block, parent: Option<InstId>) -> (String, String) {
        let own = block.name.name.as_str();
        match parent.and_then(|p| self.inst(p)) {
            None => (own.to_string(), model::kube_name(own)),
            Some(p) if own == "main" => (p.path.clone(), p.k8s_name.clone()),
            Some(p) => (
                format!("{}.{own}", p.path),
                format!("{}-{}", p.k8s_name, model::kube_name(own)),
            ),
        }
    }
}
