//! Running out of memory as a clear error. Rust's default on a failed allocation prints
//! "memory allocation of N bytes failed" and aborts (SIGABRT, a core dump); a hook to change
//! that (`std::alloc::set_alloc_error_hook`) is nightly-only. On stable the allocator itself
//! can act: [`ExitOnOom`] is the system allocator, and when it returns nothing it writes one
//! line saying what happened and what to lower, and exits with code 1 like any other
//! resource failure (docs/cli.md), without unwinding or running destructors.
//!
//! `main.rs` installs it as the `#[global_allocator]`. Monte Carlo memory does not grow with
//! the draws (`model::uncertainty` keeps one block per input), so what this catches is a small
//! machine or a large canvas (`--scale 4`).
//! A consequence: a fallible allocation (`Vec::try_reserve`) also exits instead of returning
//! an error; nothing in this program relies on one.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// The system allocator, exiting with a clear message when memory runs out.
pub struct ExitOnOom;

/// Set by the first failure: a second one while the message is written aborts.
static FAILED: AtomicBool = AtomicBool::new(false);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; on a null
// result the process ends instead of returning.
unsafe impl GlobalAlloc for ExitOnOom {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as given.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// The message, written into `buf` without allocating; returns its length.
pub fn message(size: usize, buf: &mut [u8]) -> usize {
    let total = buf.len();
    let mut w = &mut buf[..];
    let _ = writeln!(
        w,
        "error: out of memory: could not get {:.1} MB more (lower report.monte_carlo.samples or --scale, report fewer accelerators, or free memory)",
        size as f64 / 1e6
    );
    total - w.len()
}

#[cold]
fn out_of_memory(size: usize) -> ! {
    if FAILED.swap(true, Ordering::SeqCst) {
        std::process::abort();
    }
    let mut buf = [0u8; 256];
    let n = message(size, &mut buf);
    // Stderr is unbuffered: one write, no allocation.
    let _ = std::io::stderr().write_all(&buf[..n]);
    exit_now(1)
}

/// Ends the process at once: no destructors, no flushing of stdout (whose lock this thread may
/// hold), nothing that could allocate again.
fn exit_now(code: i32) -> ! {
    #[cfg(unix)]
    // SAFETY: `_exit` takes no pointers and never returns.
    unsafe {
        libc::_exit(code)
    }
    #[cfg(not(unix))]
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_size_and_what_to_lower() {
        let mut buf = [0u8; 256];
        let n = message(2_500_000_000, &mut buf);
        let text = std::str::from_utf8(&buf[..n]).expect("utf-8");
        assert!(text.starts_with("error: out of memory: could not get 2500.0 MB more"), "{text}");
        assert!(text.contains("report.monte_carlo.samples") && text.ends_with('\n'), "{text}");
    }
}
