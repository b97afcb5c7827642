//! Work shared over the machine's two cores.

/// `f` of every item, in order, computed on two threads (the machine has two cores) that each
/// take the next item not yet taken, so uneven items still keep both busy. Items a failed
/// thread left undone are computed on this one.
pub fn on_both_cores<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut done = std::thread::scope(|s| {
        let helper = s.spawn(work);
        let mut mine = work();
        if let Ok(theirs) = helper.join() {
            mine.extend(theirs);
        }
        mine
    });
    done.sort_by_key(|(i, _)| *i);
    let mut out = Vec::with_capacity(items.len());
    let mut it = done.into_iter().peekable();
    for (i, item) in items.iter().enumerate() {
        match it.next_if(|(j, _)| *j == i) {
            Some((_, r)) => out.push(r),
            None => out.push(f(item)),
        }
    }
    out
}
