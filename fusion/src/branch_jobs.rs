//! A frame's branch work on a fixed number of threads, with results that do not depend on
//! which thread ran what.
//!
//! A fused frame is a list of independent jobs: one camera detection per scheduled camera
//! image, the LiDAR branch and the radar branch (see [`crate::FusionStage::process`]). They run
//! on `threads` threads scoped to the call: the calling thread and `threads - 1` helpers, each
//! taking the next job not yet taken, in job order. Every result goes to the slot of its job,
//! so the joined output is the same for every thread count and every interleaving: the jobs
//! are pure (each reads the frame and immutable branch state) and nothing is reduced in
//! completion order. `threads = 1` runs the jobs one after another on the calling thread, the
//! sequential reference the parallel path is tested against.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `job(0..count)` on at most `threads` threads (the calling thread included) and returns
/// the results in job order. A panicking job panics the caller once every thread has stopped.
pub fn run_jobs<T, F>(count: usize, threads: usize, job: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    let threads = threads.clamp(1, count.max(1));
    if threads == 1 {
        return (0..count).map(&job).collect();
    }
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= count {
                return done;
            }
            done.push((k, job(k)));
        }
    };
    let mut slots: Vec<Option<T>> = (0..count).map(|_| None).collect();
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(take)).collect();
        let mut finished = vec![take()];
        for h in helpers {
            finished.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        for (k, result) in finished.into_iter().flatten() {
            slots[k] = Some(result);
        }
    });
    slots
        .into_iter()
        .map(|s| s.expect("every job index below `count` is taken exactly once"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_job_order_on_any_thread_count() {
        let expected: Vec<u64> = (0..37u64).map(|k| k * k + 1).collect();
        for threads in [0, 1, 2, 3, 8, 100] {
            let got = run_jobs(37, threads, |k| {
                // Uneven work so that helpers finish out of order.
                let spin = (37 - k) * 2000;
                let mut acc = 0u64;
                for i in 0..spin as u64 {
                    acc = acc.wrapping_add(i ^ k as u64);
                }
                std::hint::black_box(acc);
                (k * k + 1) as u64
            });
            assert_eq!(got, expected, "{threads} threads");
        }
    }

    #[test]
    fn no_jobs_no_results() {
        assert!(run_jobs(0, 4, |k| k).is_empty());
    }

    #[test]
    fn more_than_one_thread_really_runs_jobs_side_by_side() {
        // Two jobs that each wait for the other to start: only two threads finish them.
        let started = AtomicUsize::new(0);
        let got = run_jobs(2, 2, |k| {
            started.fetch_add(1, Ordering::SeqCst);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while started.load(Ordering::SeqCst) < 2 {
                assert!(std::time::Instant::now() < deadline, "jobs did not overlap");
                std::thread::yield_now();
            }
            k
        });
        assert_eq!(got, vec![0, 1]);
    }
}
