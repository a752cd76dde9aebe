//! Order-preserving parallel map over a slice, on `std::thread::scope`: the stages that work
//! object by object (parsing input, rendering and checking output, reading `out/`) use every
//! core while their results stay in input order, so output never depends on scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads to use: the machine's parallelism, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

/// `items.iter().map(f).collect()`, computed on all cores in chunks of `chunk` items that
/// idle threads take in turn, so uneven items still balance. A panic in `f` is propagated.
pub fn map_ordered<T, R, F>(items: &[T], chunk: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let chunk = chunk.max(1);
    let threads = threads().min(items.len().div_ceil(chunk));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let chunks: Vec<&[T]> = items.chunks(chunk).collect();
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut results = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(items) = chunks.get(index) else {
                            break;
                        };
                        results.push((index, items.iter().map(&f).collect::<Vec<R>>()));
                    }
                    results
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    // Exactly as many as there are items: a vector grown by doubling while the chunks are
    // still held would need up to three times the results' size.
    let mut results = Vec::with_capacity(items.len());
    for (_, chunk) in done {
        results.extend(chunk);
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_input_order() {
        let items: Vec<u32> = (0..10_000).collect();
        let doubled = map_ordered(&items, 7, |x| x * 2);
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(map_ordered(&[] as &[u32], 4, |x| *x).is_empty());
    }
}
