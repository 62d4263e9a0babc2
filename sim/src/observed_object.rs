//! What the perception stack reports to the simulator, in a sim-side type (so the simulator
//! does not depend on the fusion crate; the closed-loop wiring converts fused objects to this).

use kestrel_sensors::ObjectClass;
use nalgebra::{Point3, Vector2};

/// One object reported by the stack at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObservedObject {
    /// Box centre, **vehicle frame** (x forward, y left, z up, origin rear axle), metres.
    pub position: Point3<f64>,
    /// Velocity over ground, expressed in the vehicle frame's x/y axes, m/s.
    pub velocity: Vector2<f64>,
    /// Reported class.
    pub class: ObjectClass,
    /// Track identity, stable across frames for the same object.
    pub track_id: u64,
}
