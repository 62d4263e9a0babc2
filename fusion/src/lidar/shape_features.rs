//! Shape descriptors of one LiDAR object: the numbers the LiDAR shape classifier
//! ([`super::shape_classifier`]) names road users by, computed from the object's points, its
//! fitted box and the ground height under it. They use only geometry (no intensity, whose
//! scale differs between LiDAR models), and the point count only together with the range.

use super::roi_crop::VehiclePoints;
use kestrel_sensors::OrientedBox3;

/// Number of shape descriptors.
pub const SHAPE_FEATURE_COUNT: usize = 9;

/// Names of the descriptors, in [`ShapeFeatures::values`] order (stored with a trained
/// classifier, which is refused when they differ).
pub const SHAPE_FEATURE_NAMES: [&str; SHAPE_FEATURE_COUNT] = [
    "length_m",
    "width_m",
    "top_above_ground_m",
    "bottom_above_ground_m",
    "median_height_above_ground_m",
    "height_spread_m",
    "upper_share",
    "ln_points",
    "ln_range",
];

/// Height above ground (metres) from which a point counts as "upper" (above a car's
/// shoulder line, at a standing person's chest).
const UPPER_FROM_M: f32 = 1.2;

/// The shape descriptors of one object (see [`SHAPE_FEATURE_NAMES`]):
/// footprint length and width of the fitted box (length >= width), top, bottom and median
/// height of the points above the ground, standard deviation of the points' heights, share of
/// points higher than 1.2 m above the ground, ln of the point count and ln of the ground-plane
/// range of the box centre from the vehicle origin (at least 1 m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeFeatures {
    /// The values, in [`SHAPE_FEATURE_NAMES`] order.
    pub values: [f32; SHAPE_FEATURE_COUNT],
}

impl ShapeFeatures {
    /// The descriptors of the points `members` (indices into `points`, not empty) whose
    /// fitted box is `bbox`, standing on ground at height `ground_z` (vehicle frame, metres).
    pub fn of(members: &[u32], points: &VehiclePoints, bbox: &OrientedBox3, ground_z: f32) -> Self {
        let mut heights: Vec<f32> = members
            .iter()
            .map(|&i| points.z[i as usize] - ground_z)
            .collect();
        heights.sort_unstable_by(f32::total_cmp);
        let n = heights.len().max(1) as f32;
        let mean = heights.iter().sum::<f32>() / n;
        let spread = (heights.iter().map(|h| (h - mean) * (h - mean)).sum::<f32>() / n).sqrt();
        let upper = heights.iter().filter(|&&h| h > UPPER_FROM_M).count() as f32 / n;
        let (top, bottom, median) = match heights.as_slice() {
            [] => (0.0, 0.0, 0.0),
            h => (h[h.len() - 1], h[0], h[h.len() / 2]),
        };
        let range = bbox.center.x.hypot(bbox.center.y).max(1.0) as f32;
        Self {
            values: [
                bbox.length.max(bbox.width) as f32,
                bbox.length.min(bbox.width) as f32,
                top,
                bottom,
                median,
                spread,
                upper,
                n.ln(),
                range.ln(),
            ],
        }
    }

    /// True when every value is finite.
    pub fn is_finite(&self) -> bool {
        self.values.iter().all(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Point3;

    #[test]
    fn descriptors_of_a_person_sized_column() {
        // 20 points of a 1.8 m column standing on ground at z = -0.5, 10 m ahead.
        let mut points = VehiclePoints::default();
        for k in 0..20 {
            points.push(10.0, 0.1 * (k % 2) as f32, -0.5 + 0.09 * k as f32 + 0.09);
        }
        let members: Vec<u32> = (0..20).collect();
        let bbox = OrientedBox3 {
            center: Point3::new(10.0, 0.05, 0.4),
            length: 0.5,
            width: 0.6,
            height: 1.8,
            yaw: 0.0,
        };
        let f = ShapeFeatures::of(&members, &points, &bbox, -0.5).values;
        assert_eq!(f[0], 0.6);
        assert_eq!(f[1], 0.5);
        assert!((f[2] - 1.8).abs() < 1e-5 && (f[3] - 0.09).abs() < 1e-5);
        assert!((f[4] - 0.99).abs() < 1e-5, "median {}", f[4]);
        assert!(f[5] > 0.5 && f[5] < 0.6, "spread {}", f[5]);
        assert!((f[6] - 0.35).abs() < 1e-6, "upper share {}", f[6]);
        assert!((f[7] - 20f32.ln()).abs() < 1e-6);
        assert!((f[8] - 10.0001f32.ln()).abs() < 1e-3);
    }
}
