//! Checking: from the parsed program to the typed [`model::Stack`].
//!
//! The checker works in stages, each collecting diagnostics rather than stopping:
//!
//! 1. **The world** ([`scope`], [`profile`], held in a [`World`]): every module gets
//!    a scope holding its components and lets and those of the modules it imports;
//!    the main module's items become *item instances* ([`InstId`]), and each
//!    component instance instantiates the component's items with a scope of its own
//!    binding the parameters. The chosen profile's paths are resolved to an item
//!    instance and a field path, and checked against the schema. From here on the
//!    world is only read.
//! 2. **Evaluation** ([`eval`], by a [`Checker`]): fields are evaluated on demand
//!    and memoized ([`memo`]; shared, not copied, with every check that reads them),
//!    so a reference `db.ports.pg` evaluates just the `ports` of `db`; a field that
//!    depends on itself is a reference cycle. Profile overrides are merged in as
//!    fields are evaluated.
//! 3. **Typing** ([`typeck`], [`names`]): every instance's fields are checked against
//!    its item kind's [`schema`], and its names against Kubernetes' rules. A large
//!    stack's instances are checked in pieces, one evaluator per core over one
//!    world, and their memos kept side by side.
//! 4. **Whole-stack checks and building**: check queries and seed data ([`data`]),
//!    Kubernetes names taken twice ([`names`]), the dependency graph for cycles
//!    ([`graph`]), and the model is built ([`build`]).
//!
//! The model is returned only when there is no error.

mod build;
pub mod builtins;
mod cells;
pub mod data;
mod eval;
mod graph;
mod memo;
mod names;
mod profile;
pub mod schema;
mod scope;
mod seed;
mod typeck;
pub mod value;
mod world;

use rustc_hash::FxHashMap as HashMap;

use crate::diagnostic::{Diagnostic, Diagnostics, messages};
use crate::model;
use crate::program::{FileSystem, ModuleId, Program};
use crate::source::Span;
use crate::syntax::ast;

use memo::Memo;
use schema::Kind;
use value::InstId;
use world::World;

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

/// An evaluator: it evaluates fields in a [`World`] on demand, memoized, and checks
/// them. Several can share one world, each checking a range of its instances.
struct Checker<'w, 'a> {
    world: &'w World<'a>,
    memo: Memo,
    active: Vec<(EvalKey, Span)>,
    diags: Diagnostics,
    /// The fields being type-checked, innermost last, to name a record in messages.
    record_owners: Vec<&'static str>,
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
    check_in_pieces(program, fs, profile, sql, None).0
}

/// With this many item instances or more, they are checked on one thread per core.
const PARALLEL_MIN_INSTS: usize = 4096;

/// [`check_with`], with the item instances cut into `pieces` checked in parallel
/// (by default one per core for a large stack, else one). Also says whether the
/// pieces' results were kept: when a piece finds an error, all the instances are
/// checked again in one piece, for the same diagnostics as one piece gives.
fn check_in_pieces<'a>(
    program: &'a Program,
    fs: &'a dyn FileSystem,
    profile: Option<&str>,
    sql: Option<&'a dyn data::SqlValidator>,
    pieces: Option<usize>,
) -> (Checked, bool) {
    let (world, diags, references) = scope::build(program, fs, profile);
    let pieces = pieces.unwrap_or_else(|| {
        if world.insts.len() < PARALLEL_MIN_INSTS {
            1
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    });
    let mut checker = Checker::new(&world, sql);
    checker.diags = diags;
    checker.references = references;
    let split = checker.check_all(pieces);
    let stack = if checker.diags.has_errors() {
        None
    } else {
        checker.build_model(profile)
    };
    let mut references = std::mem::take(&mut checker.references);
    references.sort();
    references.dedup();
    let checked = Checked {
        stack,
        diagnostics: checker.diags.into_sorted(),
        references,
        secret_spans: checker.secret_spans,
    };
    (checked, split)
}

/// What an evaluator that checked a piece of the instances found.
struct Piece {
    memo: memo::Shard,
    diags: Diagnostics,
    references: Vec<(Span, Span)>,
    secret_spans: Vec<Span>,
    tables_built: Vec<(InstId, model::Table)>,
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

impl<'w, 'a> Checker<'w, 'a> {
    fn new(world: &'w World<'a>, sql: Option<&'a dyn data::SqlValidator>) -> Self {
        Checker {
            world,
            memo: Memo::default(),
            active: Vec::new(),
            diags: Diagnostics::default(),
            record_owners: Vec::new(),
            references: Vec::new(),
            secret_spans: Vec::new(),
            tables_built: Vec::new(),
            sql,
        }
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// Records that the name at `at` refers to the name at `definition`.
    fn refer(&mut self, at: Span, definition: Span) {
        self.references.push((at, definition));
    }

    /// Reports every item-level problem, evaluating and typing every field, with
    /// the instances cut into `pieces`. Says whether the pieces' results were kept.
    fn check_all(&mut self, pieces: usize) -> bool {
        // A file whose stack did not parse has its syntax error reported already.
        let parsed = !self
            .world
            .program
            .diagnostics
            .iter()
            .any(Diagnostic::is_error);
        if self.world.stack.is_none()
            && parsed
            && let Some(main) = self.world.program.main()
        {
            let at = Span::new(main.file, 0, 0);
            self.push(messages::missing_stack(at));
        }
        let split = pieces > 1 && self.check_insts_in_pieces(pieces);
        if !split {
            for index in 0..self.world.insts.len() {
                self.check_inst_fully(InstId(u32::try_from(index).unwrap_or(u32::MAX)));
            }
        }
        for index in 0..self.world.lets.len() {
            let id = LetId(u32::try_from(index).unwrap_or(u32::MAX));
            self.check_let(id);
        }
        self.check_data();
        self.check_name_collisions();
        self.check_graph();
        self.check_secret_templates();
        split
    }

    /// Checks one instance's fields and names.
    fn check_inst_fully(&mut self, id: InstId) {
        self.check_inst(id);
        self.check_inst_names(id);
    }

    /// Checks the instances in `pieces` consecutive ranges, each by an evaluator of
    /// its own on a thread of its own, and keeps what they found: each range's
    /// memo, and their diagnostics, references, secrets and tables in order.
    ///
    /// Evaluators that share no memo may each evaluate a field that both need: the
    /// value is the same, and a warning it gives is the same, kept once. Where a
    /// reference cycle is reported depends on where its evaluation began, though,
    /// so when a piece finds an error, nothing is kept and the caller checks the
    /// instances in one piece: an error costs that time, a stack without one does
    /// not. So does a chain of references in source order longer than
    /// [`eval::MAX_CHAIN`] (each service's port that of the one before): one deep
    /// when checked in order, each link found in the memo, but a piece that begins
    /// in the middle follows it back to its start, and finds it too long.
    fn check_insts_in_pieces(&mut self, pieces: usize) -> bool {
        let world = self.world;
        let count = u32::try_from(world.insts.len()).unwrap_or(u32::MAX);
        let size = count
            .div_ceil(u32::try_from(pieces).unwrap_or(u32::MAX))
            .max(1);
        let starts: Vec<u32> = (0..count).step_by(size as usize).collect();
        if starts.len() < 2 {
            return false;
        }
        let found: Vec<Option<Piece>> = std::thread::scope(|scope| {
            let workers: Vec<_> = starts
                .iter()
                .map(|&start| {
                    std::thread::Builder::new()
                        .stack_size(crate::par::THREAD_STACK)
                        .spawn_scoped(scope, move || {
                            let mut checker = Checker::new(world, None);
                            for index in start..count.min(start.saturating_add(size)) {
                                checker.check_inst_fully(InstId(index));
                                // Its first error is where the piece stops.
                                if checker.diags.has_errors() {
                                    return None;
                                }
                            }
                            Some(Piece {
                                memo: checker.memo.into_shard(),
                                diags: checker.diags,
                                references: checker.references,
                                secret_spans: checker.secret_spans,
                                tables_built: checker.tables_built,
                            })
                        })
                })
                .collect();
            // A thread that could not start, or panicked, leaves its piece unchecked.
            workers
                .into_iter()
                .map(|w| w.ok().and_then(|w| w.join().ok()).flatten())
                .collect()
        });
        let Some(found) = found.into_iter().collect::<Option<Vec<Piece>>>() else {
            return false;
        };
        let mut shards = Vec::with_capacity(found.len());
        for piece in found {
            shards.push(piece.memo);
            self.diags.extend(piece.diags);
            self.references.extend(piece.references);
            self.secret_spans.extend(piece.secret_spans);
            self.tables_built.extend(piece.tables_built);
        }
        self.memo = Memo::sharded(starts, shards);
        true
    }
}

#[cfg(test)]
mod pieces_tests;
