//! What a run tells as it goes, for progress displays: the [`Event`]s of the
//! waves and items, and the [`Progress`] that receives them. The displays
//! themselves are in [`super::report`].

use super::ObjectRef;
use super::error::ItemRef;

/// What happens during a run, for progress displays.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<'a> {
    /// The objects without readiness were applied.
    Applied {
        objects: usize,
    },
    Wave {
        index: usize,
        items: Vec<&'a str>,
    },
    Started {
        item: &'a ItemRef,
    },
    Waiting {
        item: &'a ItemRef,
        message: &'a str,
    },
    Ready {
        item: &'a ItemRef,
        seconds: f64,
        note: Option<&'a str>,
    },
    Failed {
        item: &'a ItemRef,
        reason: &'a str,
    },
    /// A line a hook or seed Job wrote (redacted).
    Log {
        item: &'a ItemRef,
        line: &'a str,
    },
    Pruned {
        object: &'a ObjectRef,
    },
}

/// Receives events from the items of a wave, which run concurrently.
pub trait Progress: Sync {
    fn event(&self, event: &Event<'_>);
}

/// Progress that shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn event(&self, _: &Event<'_>) {}
}
