//! The object taxonomy shared by ground truth, detectors, tracks and the wire format.

use serde::{Deserialize, Serialize};

/// Object classes of the stack. The discriminants are the
/// `autoware_perception_msgs/ObjectClassification` label values, so the wire mapping is the
/// identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum ObjectClass {
    /// Anything not covered below (also: "object seen by LiDAR/radar, class not known").
    Unknown = 0,
    /// Passenger car, van.
    Car = 1,
    /// Truck, lorry.
    Truck = 2,
    /// Bus.
    Bus = 3,
    /// Trailer.
    Trailer = 4,
    /// Motorcycle or moped, with its rider.
    Motorcycle = 5,
    /// Bicycle, with its rider (a "cyclist").
    Bicycle = 6,
    /// Pedestrian.
    Pedestrian = 7,
}

impl ObjectClass {
    /// All classes, in label order.
    pub const ALL: [ObjectClass; 8] = [
        ObjectClass::Unknown,
        ObjectClass::Car,
        ObjectClass::Truck,
        ObjectClass::Bus,
        ObjectClass::Trailer,
        ObjectClass::Motorcycle,
        ObjectClass::Bicycle,
        ObjectClass::Pedestrian,
    ];

    /// The autoware label value.
    pub const fn label(self) -> u8 {
        self as u8
    }

    /// The class for an autoware label value; unknown values map to [`ObjectClass::Unknown`].
    pub fn from_label(label: u8) -> Self {
        Self::ALL
            .get(label as usize)
            .copied()
            .unwrap_or(ObjectClass::Unknown)
    }

    /// Lower-case name, as used in JSON output and configuration.
    pub const fn name(self) -> &'static str {
        match self {
            ObjectClass::Unknown => "unknown",
            ObjectClass::Car => "car",
            ObjectClass::Truck => "truck",
            ObjectClass::Bus => "bus",
            ObjectClass::Trailer => "trailer",
            ObjectClass::Motorcycle => "motorcycle",
            ObjectClass::Bicycle => "bicycle",
            ObjectClass::Pedestrian => "pedestrian",
        }
    }

    /// True for road vehicles with four or more wheels.
    pub const fn is_vehicle(self) -> bool {
        matches!(
            self,
            ObjectClass::Car | ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer
        )
    }
}

impl std::fmt::Display for ObjectClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for c in ObjectClass::ALL {
            assert_eq!(ObjectClass::from_label(c.label()), c);
        }
        assert_eq!(ObjectClass::from_label(200), ObjectClass::Unknown);
    }
}
