//! Radar detections.

use crate::Timestamp;
use nalgebra::{Point3, Vector2};

/// Validity and quality flags of one radar detection, as far as the sensor reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RadarValidity {
    /// The sensor marks the detection valid (ARS408: `invalid_state == 0`).
    pub valid: bool,
    /// The Doppler velocity is unambiguous (ARS408: `ambig_state == 3`).
    pub velocity_unambiguous: bool,
    /// The sensor's own quality flag (ARS408: `is_quality_valid`).
    pub quality_valid: bool,
    /// Raw dynamic property code (ARS408: 0 moving, 1 stationary, 2 oncoming, 3 stationary
    /// candidate, 4 unknown, 5 crossing stationary, 6 crossing moving, 7 stopped).
    pub dynamic_property: u8,
}

/// One radar detection (a point target or a cluster reported by the sensor).
///
/// Position and velocities are in the **sensor frame** of the radar (x forward, y left,
/// z up, metres and metres per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarDetection {
    /// Position, metres.
    pub position: Point3<f32>,
    /// Radial (Doppler) velocity relative to the sensor, m/s, positive moving away.
    pub radial_velocity: f32,
    /// Velocity over ground in the x/y plane after ego-motion compensation, m/s, if the sensor
    /// or a previous stage computed it.
    pub compensated_velocity: Option<Vector2<f32>>,
    /// Radar cross section, dBsm.
    pub rcs: f32,
    /// Sensor-reported track/cluster id, if any.
    pub id: Option<u16>,
    /// Validity flags.
    pub validity: RadarValidity,
}

impl RadarDetection {
    /// Horizontal range, metres.
    pub fn range(&self) -> f32 {
        (self.position.x * self.position.x + self.position.y * self.position.y).sqrt()
    }

    /// Azimuth, radians, counter-clockwise from the sensor's x axis.
    pub fn azimuth(&self) -> f32 {
        self.position.y.atan2(self.position.x)
    }
}

/// All detections of one radar measurement cycle.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RadarScan {
    /// Name of the radar in the [`crate::Rig`].
    pub sensor: String,
    /// Measurement time, sensor clock.
    pub timestamp: Timestamp,
    /// Detections, in the order the sensor reported them.
    pub detections: Vec<RadarDetection>,
}

impl RadarScan {
    /// Detections that are valid and, where the sensor says so, Doppler-unambiguous.
    pub fn valid(&self) -> impl Iterator<Item = &RadarDetection> {
        self.detections.iter().filter(|d| d.validity.valid)
    }
}
