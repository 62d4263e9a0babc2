//! The output side of the runtime: each fused frame is encoded once into its CDR messages,
//! folded into the output digest, and handed to every sink (zenoh, JSON lines, recording).

use crate::error::PerceptionError;
use crate::health::HealthReport;
use crate::object_messages::{detected_objects, tracked_objects};
use crate::stage::OutputFrame;
use crate::world_frame::ObjectFrame;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::autoware_perception_msgs::{DetectedObjects, TrackedObjects};
use kestrel_sensors::{SensorMessage, Timestamp};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// One fused frame as wire messages.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedFrame {
    /// Frame time (sensor clock), ns.
    pub stamp: Timestamp,
    /// The tracks.
    pub tracked: TrackedObjects,
    /// Their CDR bytes (with encapsulation header).
    pub tracked_cdr: Vec<u8>,
    /// The single-frame detections.
    pub detected: DetectedObjects,
    /// Their CDR bytes (with encapsulation header).
    pub detected_cdr: Vec<u8>,
}

impl EncodedFrame {
    /// Encodes a fused frame in the vehicle frame.
    pub fn encode(frame: &OutputFrame) -> Result<Self, PerceptionError> {
        Self::from_messages(
            frame.stamp,
            tracked_objects(frame.stamp, &frame.tracked),
            detected_objects(frame.stamp, &frame.detected),
        )
    }

    /// Encodes a fused frame in `object_frame`; `None` when it cannot be placed there (the
    /// world frame without a vehicle pose).
    pub fn encode_in(
        frame: &OutputFrame,
        object_frame: &ObjectFrame,
    ) -> Result<Option<Self>, PerceptionError> {
        object_frame
            .place(
                tracked_objects(frame.stamp, &frame.tracked),
                detected_objects(frame.stamp, &frame.detected),
                frame.vehicle_pose.as_ref(),
            )
            .map(|(tracked, detected)| Self::from_messages(frame.stamp, tracked, detected))
            .transpose()
    }

    fn from_messages(
        stamp: Timestamp,
        tracked: TrackedObjects,
        detected: DetectedObjects,
    ) -> Result<Self, PerceptionError> {
        Ok(Self {
            stamp,
            tracked_cdr: tracked.to_cdr()?,
            tracked,
            detected_cdr: detected.to_cdr()?,
            detected,
        })
    }
}

/// SHA-256 over the CDR bytes of every output message, in publication order (per frame:
/// `TrackedObjects`, then `DetectedObjects`). Equal digests = bit-identical output streams.
#[derive(Debug, Clone, Default)]
pub struct OutputDigest {
    sha: Sha256,
    messages: u64,
}

impl OutputDigest {
    /// Folds in one frame's messages.
    pub fn update(&mut self, frame: &EncodedFrame) {
        self.sha.update(&frame.tracked_cdr);
        self.sha.update(&frame.detected_cdr);
        self.messages += 2;
    }

    /// Messages folded in.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// The digest so far, lower-case hex.
    pub fn hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for b in self.sha.clone().finalize() {
            write!(out, "{b:02x}").ok();
        }
        out
    }
}

/// Somewhere outputs go. Every method but `on_frame` defaults to doing nothing.
pub trait OutputSink: Send {
    /// A sensor message accepted by the runtime (for recorders).
    fn on_input(&mut self, _msg: &SensorMessage) -> Result<(), PerceptionError> {
        Ok(())
    }

    /// A fused frame, encoded.
    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError>;

    /// A periodic health report.
    fn on_health(&mut self, _report: &HealthReport) -> Result<(), PerceptionError> {
        Ok(())
    }

    /// End of the run: flush and close.
    fn finish(&mut self) -> Result<(), PerceptionError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stamp: u64) -> OutputFrame {
        OutputFrame {
            stamp: Timestamp(stamp),
            detected: vec![],
            tracked: vec![],
            degraded: vec![],
            vehicle_pose: None,
        }
    }

    #[test]
    fn digest_is_sha256_of_the_concatenated_cdr() {
        let a = EncodedFrame::encode(&frame(1_000_000_001)).unwrap();
        let b = EncodedFrame::encode(&frame(2_000_000_002)).unwrap();
        let mut d = OutputDigest::default();
        d.update(&a);
        d.update(&b);
        let mut all = Vec::new();
        for f in [&a, &b] {
            all.extend_from_slice(&f.tracked_cdr);
            all.extend_from_slice(&f.detected_cdr);
        }
        let expected: String = Sha256::digest(&all)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(d.hex(), expected);
        assert_eq!(d.messages(), 4);
        let mut other = OutputDigest::default();
        other.update(&b);
        other.update(&a);
        assert_ne!(other.hex(), d.hex(), "order matters");
    }
}
