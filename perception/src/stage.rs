//! The processing stage the runtime drives, and what it produces.
//!
//! A stage has one lifecycle: created, then fed every sensor message in order through
//! [`PerceptionStage::process`], then [`PerceptionStage::finish`]ed at end of input. It does
//! not read clocks, spawn threads or talk to middleware: the runtime owns time, scheduling and
//! I/O, so the same stage runs in real time, in replay and in tests.

use crate::error::PerceptionError;
use kestrel_fusion::DetectedObject;
use kestrel_fusion::tracking::TrackedObject;
use kestrel_sensors::{SensorMessage, Timestamp};
use nalgebra::Isometry3;

/// The objects of one fused instant, in the **vehicle frame** (x forward, y left, z up, metres,
/// origin rear-axle centre on the ground).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFrame {
    /// Time the objects refer to (sensor clock of the triggering message), ns.
    pub stamp: Timestamp,
    /// Single-frame fused detections (before tracking).
    pub detected: Vec<DetectedObject>,
    /// Tracks to publish (confirmed and coasting), in increasing id order.
    pub tracked: Vec<TrackedObject>,
    /// Inputs the stage had to do without for this frame (e.g. `camera missing`,
    /// `sensor cam_front missing`); empty when complete. Reported in health, not published.
    pub degraded: Vec<String>,
    /// The vehicle's pose at `stamp` (vehicle frame -> the fixed frame of the input's
    /// odometry), when odometry with poses came with the input; places the frame in that
    /// frame ([`crate::world_frame`]).
    pub vehicle_pose: Option<Isometry3<f64>>,
}

/// A processing stage: sensor messages in, fused frames out.
pub trait PerceptionStage: Send {
    /// The stage's name, as used in `budgets.toml` (e.g. `fusion`).
    fn name(&self) -> &'static str;

    /// Consumes one message (messages arrive in non-decreasing timestamp order in replay);
    /// returns the frames this message completes (often none or one). An error concerns this
    /// message only: the runtime counts it and goes on.
    fn process(&mut self, msg: &SensorMessage) -> Result<Vec<OutputFrame>, PerceptionError>;

    /// A sensor's clock stepped back: the messages that follow come from later in the world
    /// than their stamps say. Drop state that assumes continuous time (tracks), keeping
    /// identities unique. Default: nothing to drop.
    fn on_clock_discontinuity(&mut self) {}

    /// End of input: returns the frames the stage still holds.
    fn finish(&mut self) -> Result<Vec<OutputFrame>, PerceptionError> {
        Ok(Vec::new())
    }
}
