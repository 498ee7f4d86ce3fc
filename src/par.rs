//! Threads. Data parallelism for large stacks: items are mapped in batches, each
//! batch cut into one piece per core and mapped on worker threads, results in order.
//! Small inputs stay on one thread, where starting threads would cost more than it
//! saves. And the one kind of async runtime, of the data engine and the cluster client.

use std::sync::mpsc;

/// The stack of a worker thread that parses or checks: as deep as the main
/// thread's, so that how deep a program may nest or chain does not depend on its
/// size.
pub const THREAD_STACK: usize = 8 * 1024 * 1024;

/// The async runtime of a command that talks to catalogs or a cluster: one per
/// command, on a worker thread per core.
#[cfg(feature = "run")]
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Maps `f` over `items` and passes each result to `take`, in the items' order,
/// stopping at `take`'s first error.
///
/// With at least `min_items` items, the items are mapped `batch` at a time by one
/// thread per core, and while the threads map a batch, the calling thread takes
/// the results of the one before: only two batches' results are held at once. The
/// threads live for the whole map, so memory a result held is made again from
/// their own heaps when the calling thread frees it.
pub fn map_in_batches<T: Send, R: Send, E>(
    items: Vec<T>,
    min_items: usize,
    batch: usize,
    f: impl Fn(T) -> R + Sync,
    mut take: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || items.len() < min_items.max(2) {
        return items.into_iter().map(&f).try_for_each(take);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (pieces, piece) = mpsc::channel::<Vec<T>>();
                let (done, results) = mpsc::channel::<Vec<R>>();
                scope.spawn(move || {
                    for piece in piece {
                        if done.send(piece.into_iter().map(f).collect()).is_err() {
                            break;
                        }
                    }
                });
                (pieces, results)
            })
            .collect();
        let mut items = items.into_iter();
        let mut mapped: Vec<R> = Vec::new();
        loop {
            let next: Vec<T> = items.by_ref().take(batch.max(1)).collect();
            if next.is_empty() {
                return mapped.into_iter().try_for_each(take);
            }
            // A small batch may be cut into fewer pieces than there are workers:
            // only the workers given a piece are waited for.
            let pieces = self::pieces(next, threads);
            let busy = pieces.len();
            for (piece, (pieces, _)) in pieces.into_iter().zip(&workers) {
                // A worker that stopped has panicked: the scope raises its panic.
                let _ = pieces.send(piece);
            }
            mapped.drain(..).try_for_each(&mut take)?;
            for (_, results) in workers.iter().take(busy) {
                mapped.extend(results.recv().into_iter().flatten());
            }
        }
    })
}

/// Cuts `items` into `count` consecutive pieces of about equal length.
fn pieces<T>(mut items: Vec<T>, count: usize) -> Vec<Vec<T>> {
    let size = items.len().div_ceil(count.max(1)).max(1);
    let mut pieces = Vec::with_capacity(count);
    while items.len() > size {
        let rest = items.split_off(size);
        pieces.push(std::mem::replace(&mut items, rest));
    }
    pieces.push(items);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come in the items' order whatever the batch size, and an error
    /// stops the taking at the first failing result.
    #[test]
    fn results_come_in_order_and_an_error_stops_them() {
        let items: Vec<u32> = (0..1000).collect();
        for batch in [1, 2, 3, 4, 7, 256, 999, 1000, 5000] {
            let mut seen = Vec::new();
            let done = map_in_batches(
                items.clone(),
                2,
                batch,
                |i| i * 2,
                |r| {
                    seen.push(r);
                    Ok::<(), ()>(())
                },
            );
            assert_eq!(done, Ok(()));
            assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        let mut seen = Vec::new();
        let done = map_in_batches(
            items,
            2,
            100,
            |i| i,
            |r| {
                seen.push(r);
                if r == 345 { Err(r) } else { Ok(()) }
            },
        );
        assert_eq!(done, Err(345));
        assert_eq!(seen, (0..=345).collect::<Vec<_>>());
    }

    #[test]
    fn pieces_keep_every_item_in_order() {
        for (len, count) in [(0, 2), (1, 2), (5, 2), (10, 3), (3, 8)] {
            let items: Vec<usize> = (0..len).collect();
            let cut = pieces(items.clone(), count);
            assert!(cut.len() <= count.max(1), "{len} in {count}: {cut:?}");
            assert_eq!(cut.concat(), items);
        }
    }
}
