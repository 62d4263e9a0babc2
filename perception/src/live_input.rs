//! What live sources (ROS 2 topics over zenoh, an Ouster UDP stream) share: the run's stop flag,
//! which they poll while waiting for data so that a silent sensor never keeps a run from
//! stopping, and an optional idle limit that ends the run when no source has delivered anything
//! for that long (scripts and tests; a vehicle runs without one).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a live source blocks waiting for data before it checks the stop flag again.
pub const POLL: Duration = Duration::from_millis(50);

/// Shared by every live source of a run (clones share state).
#[derive(Debug, Clone)]
pub struct LiveControl {
    stop: Arc<AtomicBool>,
    start: Instant,
    /// Milliseconds after `start` of the latest input of any source; `u64::MAX`: none yet.
    last_input_ms: Arc<AtomicU64>,
    max_idle: Option<Duration>,
}

impl LiveControl {
    /// Sources that stop when `stop` is set, or (with `max_idle`) when no source has
    /// delivered a message for `max_idle` after the first one.
    pub fn new(stop: Arc<AtomicBool>, max_idle: Option<Duration>) -> Self {
        Self {
            stop,
            start: Instant::now(),
            last_input_ms: Arc::new(AtomicU64::new(u64::MAX)),
            max_idle,
        }
    }

    /// Records that a source received something now.
    pub fn on_input(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_input_ms.store(ms, Ordering::Relaxed);
    }

    /// True when the run is stopping; sets the stop flag itself when the idle limit passed.
    pub fn should_stop(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return true;
        }
        let last = self.last_input_ms.load(Ordering::Relaxed);
        if let Some(idle) = self.max_idle
            && last != u64::MAX
            && self.start.elapsed().as_millis() as u64
                > last.saturating_add(idle.as_millis() as u64)
        {
            tracing::info!("no input for {idle:?}: stopping");
            self.stop.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// The stop flag.
    pub fn stop_flag(&self) -> &Arc<AtomicBool> {
        &self.stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_limit_counts_only_after_the_first_input() {
        let c = LiveControl::new(Arc::new(AtomicBool::new(false)), Some(Duration::ZERO));
        std::thread::sleep(Duration::from_millis(5));
        assert!(!c.should_stop(), "nothing received yet: waits");
        c.on_input();
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.should_stop());
        assert!(c.stop_flag().load(Ordering::SeqCst));
        let forever = LiveControl::new(Arc::new(AtomicBool::new(false)), None);
        forever.on_input();
        assert!(!forever.should_stop());
    }
}
