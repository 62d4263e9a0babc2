//! Oriented 3D boxes (ground truth labels, LiDAR cluster boxes, tracked object shapes).

use nalgebra::{Isometry3, Point3, UnitQuaternion, Vector3};
use serde::{Deserialize, Serialize};

/// A box with a heading about the frame's z axis (z up).
///
/// Which frame it lives in is stated by whoever holds it (vehicle frame for fused objects,
/// LiDAR frame for nuScenes annotations, ...). Units: metres and radians.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrientedBox3 {
    /// Geometric centre of the box (not the bottom centre), metres.
    pub center: Point3<f64>,
    /// Extent along the box's own x axis (heading direction), metres.
    pub length: f64,
    /// Extent along the box's own y axis, metres.
    pub width: f64,
    /// Extent along z, metres.
    pub height: f64,
    /// Heading: rotation of the box's x axis about the frame's z axis, radians,
    /// counter-clockwise seen from above.
    pub yaw: f64,
}

impl OrientedBox3 {
    /// True when `p` (same frame) lies inside the box, with `margin` metres of slack on each side.
    pub fn contains(&self, p: &Point3<f64>, margin: f64) -> bool {
        let d = p - self.center;
        let (s, c) = self.yaw.sin_cos();
        let along = c * d.x + s * d.y;
        let across = -s * d.x + c * d.y;
        along.abs() <= self.length / 2.0 + margin
            && across.abs() <= self.width / 2.0 + margin
            && d.z.abs() <= self.height / 2.0 + margin
    }

    /// The box expressed in another frame, given `to_other` (this frame -> other frame).
    /// The rotation's yaw component is applied to the heading; the box stays gravity-aligned
    /// only when `to_other` rotates about z (as vehicle/LiDAR mounts do to first order).
    pub fn transformed(&self, to_other: &Isometry3<f64>) -> OrientedBox3 {
        let heading = to_other.rotation * Vector3::new(self.yaw.cos(), self.yaw.sin(), 0.0);
        OrientedBox3 {
            center: to_other * self.center,
            yaw: heading.y.atan2(heading.x),
            ..*self
        }
    }

    /// The eight corners, in the box's frame.
    pub fn corners(&self) -> [Point3<f64>; 8] {
        let pose = Isometry3::from_parts(
            self.center.coords.into(),
            UnitQuaternion::from_axis_angle(&Vector3::z_axis(), self.yaw),
        );
        let (l, w, h) = (self.length / 2.0, self.width / 2.0, self.height / 2.0);
        let mut out = [Point3::origin(); 8];
        for (i, corner) in out.iter_mut().enumerate() {
            let sx = if i & 1 == 0 { -l } else { l };
            let sy = if i & 2 == 0 { -w } else { w };
            let sz = if i & 4 == 0 { -h } else { h };
            *corner = pose * Point3::new(sx, sy, sz);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::FRAC_PI_2;

    #[test]
    fn contains_respects_heading() {
        let b = OrientedBox3 {
            center: Point3::new(10.0, 0.0, 1.0),
            length: 4.0,
            width: 2.0,
            height: 2.0,
            yaw: FRAC_PI_2,
        };
        // Rotated by 90 degrees: long along y.
        assert!(b.contains(&Point3::new(10.0, 1.8, 1.0), 0.0));
        assert!(!b.contains(&Point3::new(11.8, 0.0, 1.0), 0.0));
        for c in b.corners() {
            assert!(b.contains(&c, 1e-9));
        }
    }
}
