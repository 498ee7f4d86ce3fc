//! The dependency graph of workloads (`needs` and `after`), checked for cycles.

use std::collections::{BTreeMap, BTreeSet};

use super::schema::Kind;
use super::value::{InstId, Value};
use super::Checker;
use crate::diagnostic::messages;
use crate::source::Span;

/// An edge: the workload depends on `target`, because of the reference at `span`.
#[derive(Clone, Copy, Debug)]
struct Edge {
    target: InstId,
    span: Span,
}

impl Checker<'_> {
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
        for index in 0..self.insts.len() {
            let id = InstId(u32::try_from(index).unwrap_or(u32::MAX));
            let field = match self.kind_of(id) {
                Some(Kind::Service) => "needs",
                Some(Kind::Hook) => "after",
                _ => continue,
            };
            let refs = match self.field(id, field) {
                Some(v) => match v.value {
                    Value::List(items) => items,
                    other => vec![super::value::V::new(other, v.span)],
                },
                None => Vec::new(),
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
        let names: Vec<String> = cycle
            .iter()
            .map(|(n, _)| self.inst(*n).map(|i| i.path.clone()).unwrap_or_default())
            .collect();
        let edges: Vec<(Span, String, String)> = cycle
            .iter()
            .enumerate()
            .map(|(i, (_, span))| {
                let from = names.get(i).cloned().unwrap_or_default();
                let to = names.get((i + 1) % names.len()).cloned().unwrap_or_default();
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
