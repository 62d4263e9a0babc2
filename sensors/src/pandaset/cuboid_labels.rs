//! `cuboids/NN.jsonl`: PandaSet's human-labelled 3D boxes, one JSON object per line, in the
//! world frame.
//!
//! Conventions (checked against the data: points fall inside the boxes, and moving objects
//! travel along their heading): `position.*` is the box centre; `dimensions.y` is the length
//! along the object's heading, `dimensions.x` its width, `dimensions.z` its height; the
//! heading (the object's front) points along the box's local +y axis, so the heading angle about
//! the world z axis is `yaw + pi/2`.
//!
//! PandaSet labels each LiDAR separately where their fields of view overlap: a box with
//! `cuboids.sensor_id` 1 (the forward PandarGT) that has a sibling (`cuboids.sibling_id`)
//! describes the same object as a 360-degree Pandar64 box (sensor 0, or -1 for boxes drawn on
//! both). [`dedup_siblings`] keeps one box per object, the Pandar64's.

use crate::{ObjectClass, OrientedBox3, SensorError};
use nalgebra::Point3;
use serde::Deserialize;
use std::path::Path;

/// One line of a cuboid file (the fields Kestrel uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Cuboid {
    /// Object identity, the same in every frame.
    pub uuid: String,
    /// Label (`Car`, `Pedestrian with Object`, `Bicycle`, ...).
    pub label: String,
    /// Rotation of the box's local x axis (its width) about world z, radians.
    pub yaw: f64,
    /// Whether the labeller marked the object stationary.
    #[serde(default)]
    pub stationary: bool,
    /// Centre x, world, metres.
    #[serde(rename = "position.x")]
    pub x: f64,
    /// Centre y, world, metres.
    #[serde(rename = "position.y")]
    pub y: f64,
    /// Centre z, world, metres.
    #[serde(rename = "position.z")]
    pub z: f64,
    /// Width, metres.
    #[serde(rename = "dimensions.x")]
    pub width: f64,
    /// Length, metres.
    #[serde(rename = "dimensions.y")]
    pub length: f64,
    /// Height, metres.
    #[serde(rename = "dimensions.z")]
    pub height: f64,
    /// -1: both LiDARs, 0: Pandar64, 1: PandarGT.
    #[serde(rename = "cuboids.sensor_id")]
    pub sensor_id: i32,
    /// uuid of the same object's box for the other LiDAR, or `-`.
    #[serde(rename = "cuboids.sibling_id", default)]
    pub sibling_id: Option<String>,
}

impl Cuboid {
    /// The box in the world frame (heading along the object's front).
    pub fn world_box(&self) -> OrientedBox3 {
        OrientedBox3 {
            center: Point3::new(self.x, self.y, self.z),
            length: self.length,
            width: self.width,
            height: self.height,
            yaw: self.yaw + std::f64::consts::FRAC_PI_2,
        }
    }

    /// The stack class of the label.
    pub fn class(&self) -> ObjectClass {
        class_of(&self.label)
    }

    fn sibling(&self) -> Option<&str> {
        self.sibling_id.as_deref().filter(|s| *s != "-")
    }

    fn is_finite(&self) -> bool {
        [
            self.yaw,
            self.x,
            self.y,
            self.z,
            self.width,
            self.length,
            self.height,
        ]
        .iter()
        .all(|v| v.is_finite())
            && self.width >= 0.0
            && self.length >= 0.0
            && self.height >= 0.0
    }
}

/// The stack class of a PandaSet label: cars and pickups -> car; trucks, construction and
/// uncommon vehicles, emergency vehicles -> truck; bus; towed objects -> trailer; motorcycles
/// and motorized scooters -> motorcycle; bicycles, pedicabs and personal mobility devices ->
/// bicycle; pedestrians (with or without object) -> pedestrian; everything else (cones, signs,
/// barriers, animals, trains, ...) -> unknown.
pub fn class_of(label: &str) -> ObjectClass {
    match label {
        "Car" | "Pickup Truck" => ObjectClass::Car,
        "Medium-sized Truck"
        | "Semi-truck"
        | "Other Vehicle - Construction Vehicle"
        | "Other Vehicle - Uncommon"
        | "Emergency Vehicle" => ObjectClass::Truck,
        "Bus" => ObjectClass::Bus,
        "Towed Object" => ObjectClass::Trailer,
        "Motorcycle" | "Motorized Scooter" => ObjectClass::Motorcycle,
        "Bicycle" | "Other Vehicle - Pedicab" | "Personal Mobility Device" => ObjectClass::Bicycle,
        "Pedestrian" | "Pedestrian with Object" => ObjectClass::Pedestrian,
        _ => ObjectClass::Unknown,
    }
}

/// Parses a cuboid file; `what` names it in errors (with the line number).
pub fn parse_cuboids(text: &str, what: &str) -> Result<Vec<Cuboid>, SensorError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let c: Cuboid = serde_json::from_str(line)
            .map_err(|e| SensorError::malformed(what, i + 1, format!("cuboid: {e}")))?;
        if !c.is_finite() {
            return Err(SensorError::malformed(
                what,
                i + 1,
                format!("cuboid {} has non-finite or negative values", c.uuid),
            ));
        }
        out.push(c);
    }
    Ok(out)
}

/// Reads a cuboid file.
pub fn load_cuboids(path: &Path) -> Result<Vec<Cuboid>, SensorError> {
    let text = std::fs::read_to_string(path).map_err(|e| SensorError::io(path, e))?;
    parse_cuboids(&text, &path.display().to_string())
}

/// Largest centre distance (metres) at which a PandarGT box without a linked Pandar64 box is
/// still taken as the same object as a Pandar64 box.
const SAME_OBJECT_M: f64 = 1.5;

/// One box per object: every Pandar64 box (sensor -1 or 0), and a PandarGT box (sensor 1) only
/// when no kept box is its sibling (either link direction) or lies within
/// `SAME_OBJECT_M` (1.5 m) of it. Order is kept.
pub fn dedup_siblings(cuboids: Vec<Cuboid>) -> Vec<Cuboid> {
    let primary: Vec<&Cuboid> = cuboids.iter().filter(|c| c.sensor_id != 1).collect();
    let duplicate = |c: &Cuboid| {
        primary.iter().any(|p| {
            p.sibling() == Some(c.uuid.as_str())
                || c.sibling() == Some(p.uuid.as_str())
                || (p.x - c.x).hypot(p.y - c.y) <= SAME_OBJECT_M
        })
    };
    let keep: Vec<bool> = cuboids
        .iter()
        .map(|c| c.sensor_id != 1 || !duplicate(c))
        .collect();
    cuboids
        .into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(uuid: &str, label: &str, sensor: i32, sibling: &str, x: f64) -> String {
        format!(
            r#"{{"uuid": "{uuid}", "label": "{label}", "yaw": 0.5, "stationary": false, "camera_used": 0, "position.x": {x}, "position.y": 2.0, "position.z": 0.5, "dimensions.x": 1.9, "dimensions.y": 4.7, "dimensions.z": 1.6, "attributes.object_motion": "Moving", "cuboids.sibling_id": "{sibling}", "cuboids.sensor_id": {sensor}, "attributes.rider_status": null}}"#
        )
    }

    #[test]
    fn parses_boxes_with_heading_along_local_y() {
        let c = parse_cuboids(&line("a", "Car", -1, "-", 7.0), "t").unwrap();
        let b = c[0].world_box();
        assert_eq!((b.length, b.width, b.height), (4.7, 1.9, 1.6));
        assert!((b.yaw - (0.5 + std::f64::consts::FRAC_PI_2)).abs() < 1e-15);
        assert_eq!(c[0].class(), ObjectClass::Car);
        assert!(parse_cuboids("{\"uuid\": 1}", "t").is_err());
        let nan = line("a", "Car", -1, "-", 7.0).replace("7", "NaN");
        assert!(parse_cuboids(&nan, "t").is_err());
    }

    #[test]
    fn keeps_one_box_per_object() {
        let text = [
            line("m", "Motorcycle", 0, "b", 15.0), // Pandar64 box of a motorcycle...
            line("b", "Bicycle", 1, "m", 14.9),    // ...labelled again for the PandarGT
            line("p", "Pedestrian", 1, "q", 30.0), // sibling missing in this frame: near box
            line("q2", "Pedestrian", 0, "-", 30.4),
            line("g", "Pedestrian", 1, "zz", 50.0), // PandarGT only: kept
            line("c", "Car", -1, "-", 5.0),
        ]
        .join("\n");
        let kept = dedup_siblings(parse_cuboids(&text, "t").unwrap());
        let ids: Vec<&str> = kept.iter().map(|c| c.uuid.as_str()).collect();
        assert_eq!(ids, ["m", "q2", "g", "c"]);
    }

    #[test]
    fn maps_labels_to_stack_classes() {
        assert_eq!(class_of("Pedestrian with Object"), ObjectClass::Pedestrian);
        assert_eq!(
            class_of("Other Vehicle - Construction Vehicle"),
            ObjectClass::Truck
        );
        assert_eq!(class_of("Towed Object"), ObjectClass::Trailer);
        assert_eq!(class_of("Cones"), ObjectClass::Unknown);
    }
}
