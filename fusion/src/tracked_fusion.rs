//! The fusion stage followed by the multi-object tracker: frame sets in, tracked objects out.

use crate::FusionError;
use crate::frame_set::SensorFrameSet;
use crate::fusion_stage::{FusedFrame, FusionStage};
use crate::tracking::{EgoMotion, FrameOutput, Tracker};
use kestrel_sensors::Timestamp;

/// One frame through fusion and tracking.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedFrame {
    /// The untracked fused objects and degraded flags.
    pub fused: FusedFrame,
    /// The tracker's output for the frame (tracks in the current vehicle frame).
    pub tracking: FrameOutput,
}

/// [`FusionStage`] + [`Tracker`]. The ego motion between frames is integrated from the frame
/// sets' ego velocities (forward speed and yaw rate over the time step); a frame set without
/// one is tracked as if the vehicle stood still.
#[derive(Debug, Clone)]
pub struct TrackedFusion {
    stage: FusionStage,
    tracker: Tracker,
    last: Option<Timestamp>,
}

impl TrackedFusion {
    /// Wraps a stage and a tracker.
    pub fn new(stage: FusionStage, tracker: Tracker) -> Self {
        Self {
            stage,
            tracker,
            last: None,
        }
    }

    /// The tracker (for its statistics and configuration).
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Deletes every track (see [`Tracker::drop_tracks`]).
    pub fn drop_tracks(&mut self) {
        self.tracker.drop_tracks();
    }

    /// Fuses `set` and advances the tracker. A frame the stage or the tracker rejects (empty
    /// set, non-increasing timestamp, ...) returns the error and leaves the tracks as they were.
    pub fn process(&mut self, set: &SensorFrameSet) -> Result<TrackedFrame, FusionError> {
        let fused = self.stage.process(set)?;
        let ego = match (self.last, set.ego_velocity) {
            (Some(previous), Some(v)) if set.timestamp > previous => {
                let dt = set.timestamp.seconds_since(previous);
                Some(EgoMotion::from_speed_yaw_rate(v.velocity.x, v.yaw_rate, dt))
            }
            _ => None,
        };
        let tracking = self.tracker.step(set.timestamp, &fused.objects, ego)?;
        self.last = Some(set.timestamp);
        Ok(TrackedFrame { fused, tracking })
    }
}
