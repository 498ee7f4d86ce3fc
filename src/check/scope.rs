//! Scopes and instantiation: module scopes, item instances and component instances.

use rustc_hash::FxHashMap as HashMap;

use super::schema::Kind;
use super::value::InstId;
use super::world::World;
use super::{Binding, CompId, Component, Inst, LetDef, LetId, Scope, ScopeId};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean, messages};
use crate::program::{FileSystem, ModuleId, Origin, Program};
use crate::source::Span;
use crate::syntax::ast;

/// Builds the [`World`]: scopes, instances, and the chosen profile's overrides.
pub(super) struct Builder<'a> {
    pub(super) world: World<'a>,
    diags: Diagnostics,
    references: Vec<(Span, Span)>,
    /// The components being instantiated, outermost first: one that contains
    /// itself is a recursion.
    components_open: Vec<CompId>,
}

/// Builds the world of `program` with `profile` applied (or none), with the
/// diagnostics (the program's own first) and the references resolved on the way.
pub(super) fn build<'a>(
    program: &'a Program,
    fs: &'a dyn FileSystem,
    profile: Option<&str>,
) -> (World<'a>, Diagnostics, Vec<(Span, Span)>) {
    let mut builder = Builder {
        world: World::new(program, fs),
        diags: Diagnostics::default(),
        references: Vec::new(),
        components_open: Vec::new(),
    };
    builder.diags.extend(program.diagnostics.iter().cloned());
    let profiles = builder.build_scopes();
    builder.apply_profile(&profiles, profile);
    let mut world = builder.world;
    let set: Vec<&'a str> = world
        .insts
        .iter()
        .flat_map(|inst| inst.block.fields().map(|f| f.key.name.as_str()))
        .chain(
            world
                .overrides
                .values()
                .flatten()
                .filter_map(|o| o.path.first().map(|k| k.name.as_str())),
        )
        .collect();
    for name in set {
        world.intern(name);
    }
    (world, builder.diags, builder.references)
}

impl<'a> Builder<'a> {
    pub(super) fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// Records that the name at `at` refers to the name at `definition`.
    pub(super) fn refer(&mut self, at: Span, definition: Span) {
        self.references.push((at, definition));
    }

    /// Builds every scope and instantiates the main module's items. Returns the
    /// profile blocks.
    pub(super) fn build_scopes(&mut self) -> Vec<&'a ast::Block> {
        let program = self.world.program;
        let module_scopes: Vec<ScopeId> = (0..program.modules.len())
            .map(|i| self.new_scope(None, ModuleId(u32::try_from(i).unwrap_or(u32::MAX))))
            .collect();
        for (index, module) in program.modules.iter().enumerate() {
            let Some(&scope) = module_scopes.get(index) else {
                continue;
            };
            self.declare_module(module, scope, index == 0);
        }
        for (index, module) in program.modules.iter().enumerate() {
            let Some(&scope) = module_scopes.get(index) else {
                continue;
            };
            for (target, span) in &module.imports {
                if let Some(&from) = module_scopes.get(target.0 as usize) {
                    self.import_into(scope, from, *span);
                }
            }
        }
        let Some(&top) = module_scopes.first() else {
            return Vec::new();
        };
        self.world.top = Some(top);
        let mut profiles = Vec::new();
        if let Some(main) = program.main() {
            for item in &main.ast.items {
                if let ast::Item::Block(block) = item {
                    match Kind::from_keyword(&block.kind.name) {
                        Some(Kind::Profile) => profiles.push(block),
                        Some(Kind::Component) => {}
                        _ => self.instantiate(block, top, None),
                    }
                }
            }
        }
        profiles
    }

    fn new_scope(&mut self, parent: Option<ScopeId>, module: ModuleId) -> ScopeId {
        self.world.scopes.push(Scope {
            parent,
            module,
            values: HashMap::default(),
            components: HashMap::default(),
        });
        ScopeId(u32::try_from(self.world.scopes.len() - 1).unwrap_or(u32::MAX))
    }

    /// Declares a module's components and lets in its scope. Imported modules may hold
    /// only components and lets.
    fn declare_module(
        &mut self,
        module: &'a crate::program::Module,
        scope: ScopeId,
        is_main: bool,
    ) {
        for item in &module.ast.items {
            match item {
                ast::Item::Import(_) => {}
                ast::Item::Let(def) => {
                    self.declare_let(def, scope);
                }
                ast::Item::Block(block) => match Kind::from_keyword(&block.kind.name) {
                    Some(Kind::Component) => self.declare_component(block, scope),
                    _ if !is_main => {
                        let module_name = match &module.origin {
                            Origin::Std(n) => format!("std/{n}"),
                            _ => "an imported module".to_string(),
                        };
                        self.push(messages::item_not_allowed(
                            block.kind.span,
                            &block.kind.name,
                            &format!(
                                "in {module_name}, which may only declare components and lets"
                            ),
                        ));
                    }
                    _ => {}
                },
            }
        }
    }

    fn declare_component(&mut self, block: &'a ast::Block, scope: ScopeId) {
        let params = block
            .entries
            .iter()
            .filter_map(|e| match e {
                ast::Entry::Param(p) => Some(p),
                _ => None,
            })
            .collect();
        self.world.components.push(Component {
            block,
            scope,
            params,
        });
        let id = CompId(u32::try_from(self.world.components.len() - 1).unwrap_or(u32::MAX));
        if Kind::from_keyword(&block.name.name).is_some() {
            self.push(messages::item_not_allowed(
                block.name.span,
                &block.name.name,
                "as a component name: it is a built-in item kind",
            ));
            return;
        }
        let Some(s) = self.world.scopes.get_mut(scope.0 as usize) else {
            return;
        };
        if let Some((_, first)) = s.components.get(&block.name.name) {
            let first = *first;
            self.push(messages::duplicate(
                block.name.span,
                &block.name.name,
                first,
            ));
        } else {
            s.components
                .insert(block.name.name.clone(), (id, block.name.span));
        }
    }

    fn declare_let(&mut self, def: &'a ast::Let, scope: ScopeId) -> LetId {
        self.world.lets.push(LetDef { def, scope });
        let id = LetId(u32::try_from(self.world.lets.len() - 1).unwrap_or(u32::MAX));
        self.bind(scope, &def.name, Binding::Let(id));
        id
    }

    /// Binds a reference name, reporting a duplicate.
    fn bind(&mut self, scope: ScopeId, name: &ast::Ident, binding: Binding) {
        let Some(s) = self.world.scopes.get_mut(scope.0 as usize) else {
            return;
        };
        if let Some((_, first)) = s.values.get(&name.name) {
            let first = *first;
            self.push(messages::duplicate(name.span, &name.name, first));
        } else {
            s.values.insert(name.name.clone(), (binding, name.span));
        }
    }

    /// Makes an imported module's own components and lets visible in `scope`.
    fn import_into(&mut self, scope: ScopeId, from: ScopeId, import_span: Span) {
        let Some(source) = self.world.scope(from) else {
            return;
        };
        let components: Vec<(String, (CompId, Span))> = source
            .components
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let values: Vec<(String, (Binding, Span))> = source
            .values
            .iter()
            .filter(|(_, (b, _))| matches!(b, Binding::Let(_)))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let mut clashes = Vec::new();
        if let Some(target) = self.world.scopes.get_mut(scope.0 as usize) {
            for (name, (comp, span)) in components {
                match target.components.get(&name) {
                    Some((existing, _)) if *existing == comp => {}
                    Some((_, first)) => clashes.push((name, *first, span)),
                    None => {
                        target.components.insert(name, (comp, span));
                    }
                }
            }
            for (name, (binding, span)) in values {
                match target.values.get(&name) {
                    Some((existing, _)) if *existing == binding => {}
                    Some((_, first)) => clashes.push((name, *first, span)),
                    None => {
                        target.values.insert(name, (binding, span));
                    }
                }
            }
        }
        for (name, first, _) in clashes {
            self.push(messages::duplicate(import_span, &name, first));
        }
    }

    /// Creates the item instance for `block`, written in `scope`, inside the component
    /// instance `parent` (if any).
    pub(super) fn instantiate(
        &mut self,
        block: &'a ast::Block,
        scope: ScopeId,
        parent: Option<InstId>,
    ) {
        let (kind, component) = match self.resolve_kind(block, scope, parent.is_some()) {
            Some(found) => found,
            None => return,
        };
        if kind == Kind::Stack && self.world.stack.is_some() {
            let first = self
                .world
                .stack
                .and_then(|s| self.world.inst(s))
                .map_or(block.span, |s| s.block.name.span);
            self.push(messages::second_stack(block.name.span, first));
            return;
        }
        let (path, k8s_name) = self.world.naming(block, parent);
        let id = InstId(u32::try_from(self.world.insts.len()).unwrap_or(u32::MAX));
        self.world.insts.push(Inst {
            kind,
            block,
            path,
            k8s_name,
            scope,
            component,
            inner: None,
            members: Vec::new(),
        });
        match kind {
            Kind::Stack => self.world.stack = Some(id),
            _ => self.bind(scope, &block.name, Binding::Item(id)),
        }
        self.check_entries(block, kind);
        if let Some(comp) = component {
            self.instantiate_component(id, comp);
        }
    }

    /// Decides what kind of item a block is: a built-in kind or a component instance.
    fn resolve_kind(
        &mut self,
        block: &ast::Block,
        scope: ScopeId,
        in_component: bool,
    ) -> Option<(Kind, Option<CompId>)> {
        let word = &block.kind.name;
        if let Some(kind) = Kind::from_keyword(word) {
            let misplaced = match kind {
                Kind::Stack | Kind::Profile | Kind::Component => in_component,
                _ => false,
            };
            if misplaced {
                self.push(messages::item_not_allowed(
                    block.kind.span,
                    word,
                    "inside a component",
                ));
                return None;
            }
            return Some((kind, None));
        }
        if let Some(comp) = self.world.lookup_component(scope, word) {
            if let Some(component) = self.world.component(comp) {
                let definition = component.block.name.span;
                self.refer(block.kind.span, definition);
            }
            return Some((Kind::Instance, Some(comp)));
        }
        let builtin = did_you_mean(word, Kind::BUILTIN.iter().map(|k| k.keyword()));
        if builtin.is_none() && self.world.import_failed_in(block.kind.span.file) {
            // The component may be one the failed import declares: that import's
            // error is the one to fix, and the item's uses stay quiet. A misspelt
            // built-in kind (`servce`) is still reported.
            self.bind(scope, &block.name, Binding::Unresolved);
            return None;
        }
        let mut candidates: Vec<String> = Kind::BUILTIN
            .iter()
            .map(|k| k.keyword().to_string())
            .collect();
        candidates.extend(self.world.components_in_scope(scope));
        let suggestion =
            did_you_mean(word, candidates.iter().map(String::as_str)).map(str::to_string);
        self.push(messages::unknown_kind(
            block.kind.span,
            word,
            suggestion.as_deref(),
        ));
        None
    }

    /// Checks the shape of an item's body: only fields (and, in a component, items and
    /// parameters), each field once.
    fn check_entries(&mut self, block: &'a ast::Block, kind: Kind) {
        let mut seen: HashMap<&str, Span> = HashMap::default();
        for entry in &block.entries {
            match entry {
                ast::Entry::Field(field) => {
                    if !field.subpath.is_empty() {
                        self.push(messages::dotted_field(field.path_span()));
                    }
                    if let Some(first) = seen.get(field.key.name.as_str()) {
                        self.push(messages::duplicate(field.key.span, &field.key.name, *first));
                    } else {
                        seen.insert(&field.key.name, field.key.span);
                    }
                }
                ast::Entry::Block(inner) => self.push(messages::item_not_allowed(
                    inner.kind.span,
                    &inner.kind.name,
                    &format!("inside a {}", kind.keyword()),
                )),
                ast::Entry::Param(p) => self.push(messages::item_not_allowed(
                    p.name.span,
                    "parameter",
                    &format!(
                        "inside a {}: parameters belong to components",
                        kind.keyword()
                    ),
                )),
                ast::Entry::Let(l) => self.push(messages::item_not_allowed(
                    l.span,
                    "let",
                    &format!("inside a {}", kind.keyword()),
                )),
            }
        }
    }

    /// Instantiates a component's body for the instance `id`.
    fn instantiate_component(&mut self, id: InstId, comp: CompId) {
        let Some(component) = self.world.components.get(comp.0 as usize) else {
            return;
        };
        let (body, comp_scope, params) =
            (component.block, component.scope, component.params.clone());
        if self.components_open.contains(&comp) {
            let span = self.world.inst(id).map_or(body.span, |i| i.block.kind.span);
            self.push(messages::component_recursion(span, &body.name.name));
            return;
        }
        let module = self.world.module_of(comp_scope);
        let inner = self.new_scope(Some(comp_scope), module);
        if let Some(inst) = self.world.insts.get_mut(id.0 as usize) {
            inst.inner = Some(inner);
        }
        for (index, param) in params.iter().enumerate() {
            self.bind(inner, &param.name, Binding::Param(id, index));
        }
        self.components_open.push(comp);
        for entry in &body.entries {
            match entry {
                ast::Entry::Let(def) => {
                    self.declare_let(def, inner);
                }
                ast::Entry::Block(block) => {
                    let before = self.world.insts.len();
                    self.instantiate(block, inner, Some(id));
                    if self.world.insts.len() > before {
                        let member = InstId(u32::try_from(before).unwrap_or(u32::MAX));
                        if let Some(inst) = self.world.insts.get_mut(id.0 as usize) {
                            inst.members.push((block.name.name.clone(), member));
                        }
                    }
                }
                ast::Entry::Field(field) => self.push(messages::item_not_allowed(
                    field.key.span,
                    "field",
                    "in a component body: declare a parameter (`name: type`) or an item",
                )),
                ast::Entry::Param(_) => {}
            }
        }
        self.components_open.pop();
    }
}
