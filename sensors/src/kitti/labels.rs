//! KITTI object labels (`label_2/NNNNNN.txt`) and their conversion to ground truth.

use crate::ground_truth::GroundTruthObject;
use crate::{ObjectClass, OrientedBox3, SensorError};
use nalgebra::{Isometry3, Point3, Vector3};

/// One line of a KITTI label file, as written (rectified camera-0 coordinates).
#[derive(Debug, Clone, PartialEq)]
pub struct KittiLabel {
    /// Object type: `Car`, `Van`, `Truck`, `Pedestrian`, `Person_sitting`, `Cyclist`, `Tram`,
    /// `Misc` or `DontCare`.
    pub kind: String,
    /// Fraction of the object outside the image, 0..1 (-1 for `DontCare`).
    pub truncation: f64,
    /// 0 fully visible, 1 partly occluded, 2 largely occluded, 3 unknown (-1 for `DontCare`).
    pub occlusion: i32,
    /// Observation angle, radians, -π..π.
    pub alpha: f64,
    /// 2D box in the camera-2 image: left, top, right, bottom, pixels.
    pub bbox_2d: [f64; 4],
    /// Height, width, length, metres.
    pub dimensions_hwl: [f64; 3],
    /// Bottom centre of the 3D box in rectified camera-0 coordinates (x right, y down,
    /// z forward), metres.
    pub location: Point3<f64>,
    /// Rotation about the rectified camera's y axis (down), radians; 0 = facing camera x.
    pub rotation_y: f64,
    /// Detection score, present only in result files.
    pub score: Option<f64>,
}

impl KittiLabel {
    /// The stack class for a KITTI type (`Van` -> car, `Person_sitting` -> pedestrian,
    /// `Cyclist` -> bicycle, `Tram`/`Misc`/`DontCare` -> unknown).
    pub fn class(&self) -> ObjectClass {
        match self.kind.as_str() {
            "Car" | "Van" => ObjectClass::Car,
            "Truck" => ObjectClass::Truck,
            "Pedestrian" | "Person_sitting" => ObjectClass::Pedestrian,
            "Cyclist" => ObjectClass::Bicycle,
            _ => ObjectClass::Unknown,
        }
    }

    /// True for `DontCare` regions (no 3D box).
    pub fn is_dont_care(&self) -> bool {
        self.kind == "DontCare"
    }

    /// The 3D box in the frame reached by `rect_to_frame` (rectified camera 0 -> target frame,
    /// e.g. the Velodyne frame), geometric centre, heading = direction of the object's length.
    pub fn box_in(&self, rect_to_frame: &Isometry3<f64>) -> OrientedBox3 {
        let [h, w, l] = self.dimensions_hwl;
        // Camera y points down: the geometric centre is h/2 above the bottom centre.
        let centre_rect = self.location - Vector3::new(0.0, h / 2.0, 0.0);
        // Object x axis after rotating by rotation_y about camera y.
        let (s, c) = self.rotation_y.sin_cos();
        let heading = rect_to_frame.rotation * Vector3::new(c, 0.0, -s);
        OrientedBox3 {
            center: rect_to_frame * centre_rect,
            length: l,
            width: w,
            height: h,
            yaw: heading.y.atan2(heading.x),
        }
    }

    /// Ground truth in `frame` (e.g. `velodyne`), or `None` for `DontCare`.
    pub fn to_ground_truth(
        &self,
        rect_to_frame: &Isometry3<f64>,
        frame: &str,
    ) -> Option<GroundTruthObject> {
        (!self.is_dont_care()).then(|| GroundTruthObject {
            class: self.class(),
            source_label: self.kind.clone(),
            frame: frame.to_owned(),
            bbox: self.box_in(rect_to_frame),
            velocity: None,
            num_lidar_points: None,
            track_id: None,
        })
    }
}

/// Parses a label file's text; `what` names the file in errors, whose offset is the 1-based
/// line number. Blank lines are ignored; any malformed line is an error.
pub fn parse_labels(text: &str, what: &str) -> Result<Vec<KittiLabel>, SensorError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let tok: Vec<&str> = line.split_whitespace().collect();
        if tok.is_empty() {
            continue;
        }
        if tok.len() != 15 && tok.len() != 16 {
            return Err(SensorError::malformed(
                what,
                i + 1,
                format!("expected 15 or 16 fields, got {}", tok.len()),
            ));
        }
        let num = |j: usize| -> Result<f64, SensorError> {
            tok[j]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    SensorError::malformed(
                        what,
                        i + 1,
                        format!("field {} `{}` is not a number", j + 1, tok[j]),
                    )
                })
        };
        let occlusion = num(2)?;
        if occlusion.fract() != 0.0 || !(-1.0..=3.0).contains(&occlusion) {
            return Err(SensorError::malformed(
                what,
                i + 1,
                "occlusion must be -1..3",
            ));
        }
        out.push(KittiLabel {
            kind: tok[0].to_owned(),
            truncation: num(1)?,
            occlusion: occlusion as i32,
            alpha: num(3)?,
            bbox_2d: [num(4)?, num(5)?, num(6)?, num(7)?],
            dimensions_hwl: [num(8)?, num(9)?, num(10)?],
            location: Point3::new(num(11)?, num(12)?, num(13)?),
            rotation_y: num(14)?,
            score: if tok.len() == 16 {
                Some(num(15)?)
            } else {
                None
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let t =
            "Car 0.00 0 1.85 387.63 181.54 423.81 203.12 1.67 1.87 3.69 -16.53 2.39 58.49 1.57\n\n";
        let l = parse_labels(t, "x").unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].class(), ObjectClass::Car);
        // Identity rect frame: centre is h/2 above (smaller y than) the bottom centre.
        let b = l[0].box_in(&Isometry3::identity());
        assert!((b.center.y - (2.39 - 1.67 / 2.0)).abs() < 1e-12);
        assert!(parse_labels("Car 0 0 1", "x").is_err());
        assert!(parse_labels(&t.replace("58.49", "NaN"), "x").is_err());
    }
}
