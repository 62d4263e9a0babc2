//! Fault injection for replay and play: a seeded [`FaultPlan`] (sensor dropout, delay and jitter,
//! duplicates, reordering, timestamp jumps, non-finite points, corrupt pixels, truncated and
//! bit-flipped wire messages, a frozen sensor, a LiDAR returning part of its points) applied to
//! a message stream by a [`FaultInjector`] (`kestrel replay --faults`: decoded messages;
//! `kestrel play --faults`: recorded wire messages, [`PlayedMessage`]), deterministically: the
//! same plan and seed on the same input give the same faulted stream (and replay digest).

pub mod fault_injector;
pub mod fault_plan;
pub mod faultable;
pub mod message_damage;
pub mod played_message;

pub use fault_injector::{FaultCounts, FaultInjector};
pub use fault_plan::{Fault, FaultKind, FaultPlan};
pub use faultable::Faultable;
pub use played_message::PlayedMessage;
