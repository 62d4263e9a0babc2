//! The per-frame fused measurement: what the detection branches and association produce
//! for one instant, before tracking.

use crate::lidar::shape_features::ShapeFeatures;
use kestrel_sensors::{ObjectClass, OrientedBox3};
use nalgebra::{Matrix2, Vector2};

/// Which sensors contributed to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct SensorSources {
    /// A camera detection was associated.
    pub camera: bool,
    /// A LiDAR cluster was associated.
    pub lidar: bool,
    /// A radar cluster was associated.
    pub radar: bool,
}

/// One object detected at one instant, in the **vehicle frame** (x forward, y left, z up,
/// metres, origin rear-axle centre on the ground).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedObject {
    /// Box in the vehicle frame (centre, extents in metres, yaw in radians about z).
    pub bbox: OrientedBox3,
    /// Object class; [`ObjectClass::Unknown`] when neither a camera detection nor the LiDAR
    /// shape classifier named it.
    pub class: ObjectClass,
    /// Confidence in `class`, 0..1. For [`ObjectClass::Unknown`]: 0 when nothing judged the
    /// object, else the shape classifier's probability that there is nothing to name.
    pub class_confidence: f32,
    /// Confidence that the object exists, 0..1.
    pub existence_confidence: f32,
    /// Covariance of the box centre's x/y position, m^2.
    pub position_covariance: Matrix2<f64>,
    /// Velocity over ground in the vehicle frame's x/y, m/s, when measured (radar).
    pub velocity: Option<Vector2<f64>>,
    /// Covariance of `velocity`, (m/s)^2.
    pub velocity_covariance: Option<Matrix2<f64>>,
    /// Sensors that contributed.
    pub sources: SensorSources,
    /// Shape descriptors of the object's LiDAR points, for objects made from a LiDAR cluster
    /// no camera named: what the LiDAR shape classifier judged it by, kept for training and
    /// inspection (`None` for camera-named objects: not computed).
    pub lidar_shape: Option<ShapeFeatures>,
}
