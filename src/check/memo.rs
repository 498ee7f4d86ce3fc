//! The evaluation memo: each field, parameter default and `let`, evaluated once by
//! an evaluator.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::EvalKey;
use super::value::V;

/// One evaluator's memo.
pub(super) type Shard = FxHashMap<EvalKey, Option<Arc<V>>>;

/// The memo: one shard, or after instances were checked in pieces, one shard per
/// piece, each holding the keys of its own range of instances; shard 0 holds the
/// `let`s that its piece evaluated, and other `let`s are evaluated again when
/// needed. A piece's evaluator may also have evaluated keys of another range: those
/// entries are never looked up, and are the same values the other range's shard
/// holds or would compute again.
pub(super) struct Memo {
    /// The first instance of each shard after the first.
    starts: Vec<u32>,
    shards: Vec<Shard>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            starts: Vec::new(),
            shards: vec![Shard::default()],
        }
    }
}

impl Memo {
    /// A memo over the shards of consecutive ranges of instances, beginning at
    /// `starts` (the first at 0).
    pub(super) fn sharded(starts: Vec<u32>, shards: Vec<Shard>) -> Self {
        Memo {
            starts: starts.into_iter().skip(1).collect(),
            shards,
        }
    }

    /// The one shard of a memo never cut.
    pub(super) fn into_shard(mut self) -> Shard {
        self.shards.pop().unwrap_or_default()
    }

    fn shard(&self, key: &EvalKey) -> usize {
        match key {
            EvalKey::Field(id, _) | EvalKey::Default(id, _) if !self.starts.is_empty() => {
                self.starts.partition_point(|&start| start <= id.0)
            }
            _ => 0,
        }
    }

    pub(super) fn get(&self, key: &EvalKey) -> Option<&Option<Arc<V>>> {
        self.shards.get(self.shard(key))?.get(key)
    }

    pub(super) fn insert(&mut self, key: EvalKey, value: Option<Arc<V>>) {
        let index = self.shard(&key);
        if let Some(shard) = self.shards.get_mut(index) {
            shard.insert(key, value);
        }
    }
}
