//! The dependency graph of workloads (`needs` and `after`), checked for cycles.

use std::collections::{BTreeMap, BTreeSet};

use super::Checker;
use super::schema::Kind;
use super::value::{InstId, V, Value};
use crate::diagnostic::messages;
use crate::source::Span;

/// An edge: the workload depends on `target`, because of the reference at `span`.
#[derive(Clone, Copy, Debug)]
struct Edge {
    target: InstId,
    span: Span,
}

impl Checker<'_, '_> {
    /// Secret keys built from other secret keys must not form a cycle: their values
    /// are computed when the stack is applied, in dependency order.
    pub(super) fn check_secret_templates(&mut self) {
        type Key = (InstId, String);
        let mut edges: BTreeMap<Key, Vec<(Key, Span)>> = BTreeMap::new();
        for index in 0..self.world.insts.len() {
            let id = InstId(u32::try_from(index).unwrap_or(u32::MAX));
            if self.world.kind_of(id) != Some(Kind::Secret) {
                continue;
            }
            for key in self.world.keys_of(id) {
                let field = self.field(id, &key);
                let refs = match field.as_deref().map(|v| &v.value) {
                    Some(Value::Secret { item, key: other }) => {
                        vec![((*item, other.clone()), Span::default())]
                    }
                    Some(Value::SecretText(parts)) => parts
                        .iter()
                        .filter_map(|p| match p {
                            super::value::SecretPart::Secret { item, key, span } => {
                                Some(((*item, key.clone()), *span))
                            }
                            super::value::SecretPart::Text(_) => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                edges.insert((id, key), refs);
            }
        }
        let mut done: BTreeSet<Key> = BTreeSet::new();
        for start in edges.keys() {
            let mut path: Vec<(Key, Span)> = Vec::new();
            if let Some(cycle) = find_cycle(start, &edges, &mut path, &mut done) {
                let names: Vec<(String, Span)> = cycle
                    .iter()
                    .map(|(k, span)| {
                        let path = self.world.path(k.0);
                        (format!("{path}.{}", k.1), *span)
                    })
                    .collect();
                let at = names.first().map_or_else(Span::default, |(_, s)| *s);
                self.push(messages::reference_cycle(at, &names));
                return;
            }
        }
    }

    pub(super) fn check_graph(&mut self) {
        let graph = self.dependency_graph();
        let mut reported: BTreeSet<Vec<InstId>> = BTreeSet::new();
        let mut state: BTreeMap<InstId, Visit> = BTreeMap::new();
        for &node in graph.keys() {
            let mut path = Vec::new();
            self.visit(node, &graph, &mut state, &mut path, &mut reported);
        }
    }

    fn dependency_graph(&mut self) -> BTreeMap<InstId, Vec<Edge>> {
        let mut graph = BTreeMap::new();
        for index in 0..self.world.insts.len() {
            let id = InstId(u32::try_from(index).unwrap_or(u32::MAX));
            let field = match self.world.kind_of(id) {
                Some(Kind::Service) => "needs",
                Some(Kind::Hook) => "after",
                Some(Kind::Table) => {
                    graph.insert(id, self.table_edges(id));
                    continue;
                }
                _ => continue,
            };
            let value = self.field(id, field);
            let refs = match value.as_deref() {
                Some(V {
                    value: Value::List(items),
                    ..
                }) => items.as_slice(),
                Some(one) => std::slice::from_ref(one),
                None => &[],
            };
            let mut edges = Vec::new();
            for r in refs {
                if let Value::Item(target) = r.value {
                    for workload in self.workloads_of(target) {
                        edges.push(Edge {
                            target: workload,
                            span: r.span,
                        });
                    }
                }
            }
            graph.insert(id, edges);
        }
        graph
    }

    /// A table seeds after the tables its generators take keys from.
    fn table_edges(&mut self, id: InstId) -> Vec<Edge> {
        let span = self
            .field(id, "seed")
            .map_or_else(Span::default, |v| v.span);
        let Some((_, table)) = self.tables_built.iter().find(|(t, _)| *t == id) else {
            return Vec::new();
        };
        let Some(crate::model::Seed::Generate { columns, .. }) = &table.seed else {
            return Vec::new();
        };
        crate::plan::referenced_tables(columns)
            .iter()
            .filter_map(|name| self.tables_built.iter().find(|(_, t)| t.name == *name))
            .map(|(target, _)| Edge {
                target: *target,
                span,
            })
            .collect()
    }

    /// Depth-first search; a node met again while on the path closes a cycle.
    fn visit(
        &mut self,
        node: InstId,
        graph: &BTreeMap<InstId, Vec<Edge>>,
        state: &mut BTreeMap<InstId, Visit>,
        path: &mut Vec<(InstId, Span)>,
        reported: &mut BTreeSet<Vec<InstId>>,
    ) {
        match state.get(&node) {
            Some(Visit::Done) => return,
            Some(Visit::Active) => {
                self.report_cycle(node, path, reported);
                return;
            }
            None => {}
        }
        state.insert(node, Visit::Active);
        for edge in graph.get(&node).map(Vec::as_slice).unwrap_or(&[]) {
            path.push((node, edge.span));
            self.visit(edge.target, graph, state, path, reported);
            path.pop();
        }
        state.insert(node, Visit::Done);
    }

    fn report_cycle(
        &mut self,
        again: InstId,
        path: &[(InstId, Span)],
        reported: &mut BTreeSet<Vec<InstId>>,
    ) {
        let Some(start) = path.iter().position(|(n, _)| *n == again) else {
            return;
        };
        let cycle: Vec<(InstId, Span)> = path.iter().skip(start).copied().collect();
        let mut key: Vec<InstId> = cycle.iter().map(|(n, _)| *n).collect();
        key.sort();
        if !reported.insert(key) {
            return;
        }
        let names: Vec<String> = cycle.iter().map(|(n, _)| self.world.path(*n)).collect();
        let edges: Vec<(Span, String, String)> = cycle
            .iter()
            .enumerate()
            .map(|(i, (_, span))| {
                let from = names.get(i).cloned().unwrap_or_default();
                let to = names
                    .get((i + 1) % names.len())
                    .cloned()
                    .unwrap_or_default();
                (*span, from, to)
            })
            .collect();
        self.push(messages::dependency_cycle(&names, &edges));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Visit {
    Active,
    Done,
}

/// A cycle reachable from `node` in a graph of secret keys: each key with the span
/// of the reference that leads to the next one.
#[allow(clippy::type_complexity)]
fn find_cycle<K: Ord + Clone>(
    node: &K,
    edges: &BTreeMap<K, Vec<(K, Span)>>,
    path: &mut Vec<(K, Span)>,
    done: &mut BTreeSet<K>,
) -> Option<Vec<(K, Span)>> {
    if done.contains(node) {
        return None;
    }
    for (next, span) in edges.get(node).map(Vec::as_slice).unwrap_or(&[]) {
        path.push((node.clone(), *span));
        if let Some(pos) = path.iter().position(|(p, _)| p == next) {
            return Some(path.split_off(pos));
        }
        let found = find_cycle(next, edges, path, done);
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    done.insert(node.clone());
    None
}
