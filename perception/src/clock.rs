//! The runtime's notion of "now". Tasks never read the system clock themselves: the runtime
//! hands them a [`Clock`] — the wall clock in real-time mode, the log's timestamps in replay and
//! tests — so that replay is independent of when and how fast it runs.

use kestrel_sensors::Timestamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time on the runtime's clock, nanoseconds.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's real-time clock (Unix time), for real-time mode only.
#[derive(Debug, Clone, Copy, Default)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        let ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos().min(u64::MAX as u128) as u64)
            .unwrap_or(0);
        Timestamp::from_nanos(ns)
    }
}

/// A clock that moves only when told to: replay sets it to each message's log time, tests set
/// it by hand. Clones share the same time. Time never goes backwards: [`ManualClock::advance_to`]
/// ignores earlier times.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    ns: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            ns: Arc::new(AtomicU64::new(start.as_nanos())),
        }
    }

    /// Moves the clock to `t` if `t` is later than the current time.
    pub fn advance_to(&self, t: Timestamp) {
        self.ns.fetch_max(t.as_nanos(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.ns.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_shared_and_monotonic() {
        let c = ManualClock::new(Timestamp(10));
        let view = c.clone();
        c.advance_to(Timestamp(25));
        assert_eq!(view.now(), Timestamp(25));
        c.advance_to(Timestamp(20));
        assert_eq!(view.now(), Timestamp(25));
    }

    #[test]
    fn wall_clock_is_unix_time() {
        // 2020-01-01 in ns: any real system clock is past it.
        assert!(WallClock.now() > Timestamp(1_577_836_800_000_000_000));
    }
}
