//! Class groups of the evaluation (vehicle, pedestrian, cyclist, other) and what it means for
//! an output to *name* a label's group.
//!
//! A label's group follows the stack class its dataset adapter maps it to
//! ([`kestrel_sensors::ObjectClass`]), so every label source — dataset folders and labels read
//! back from an MCAP, which carry only the class — groups the same way:
//!
//! | group | label classes | dataset labels (through the adapters) |
//! |---|---|---|
//! | vehicle | car, truck, bus, trailer | KITTI Car, Van, Truck; nuScenes car, truck, construction_vehicle, bus, trailer; PandaSet Car, Pickup Truck, Medium-sized Truck, Semi-truck, Other Vehicle - Construction Vehicle / Uncommon, Emergency Vehicle, Bus, Towed Object |
//! | pedestrian | pedestrian | KITTI Pedestrian, Person_sitting; nuScenes pedestrian; PandaSet Pedestrian, Pedestrian with Object |
//! | cyclist | bicycle, motorcycle | KITTI Cyclist; nuScenes bicycle, motorcycle (parked ones too: the shipped nuScenes info carries no rider attribute); PandaSet Motorcycle, Motorized Scooter, Bicycle, Other Vehicle - Pedicab, Personal Mobility Device (with or without rider: the adapter keeps no rider attribute) |
//! | other | unknown | KITTI Tram, Misc; nuScenes traffic_cone, barrier; PandaSet Cones, Signs, barriers, animals, ... |
//!
//! An output **names** a label's group when its class is, for vehicle: car, truck, bus or
//! trailer; pedestrian: pedestrian; cyclist: bicycle, motorcycle or pedestrian (a pedestrian
//! on a bike); other: unknown. An output **claims** a group by its own class (car, truck, bus,
//! trailer -> vehicle; pedestrian -> pedestrian; bicycle, motorcycle -> cyclist); `unknown`
//! claims none.

use kestrel_sensors::ObjectClass;
use serde::Serialize;

/// A group of label classes scored together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassGroup {
    /// Road vehicles with four or more wheels, and trailers.
    Vehicle,
    /// People on foot.
    Pedestrian,
    /// Bicycles and motorcycles (with their riders).
    Cyclist,
    /// Everything else labelled (cones, barriers, unclassified objects).
    Other,
}

impl ClassGroup {
    /// All groups, in report order.
    pub const ALL: [ClassGroup; 4] = [
        ClassGroup::Vehicle,
        ClassGroup::Pedestrian,
        ClassGroup::Cyclist,
        ClassGroup::Other,
    ];

    /// The group of a label of stack class `class`.
    pub fn of_label(class: ObjectClass) -> ClassGroup {
        match class {
            ObjectClass::Car | ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer => {
                ClassGroup::Vehicle
            }
            ObjectClass::Pedestrian => ClassGroup::Pedestrian,
            ObjectClass::Bicycle | ObjectClass::Motorcycle => ClassGroup::Cyclist,
            ObjectClass::Unknown => ClassGroup::Other,
        }
    }

    /// The group an output of class `class` claims (`None` for `unknown`).
    pub fn claimed_by(class: ObjectClass) -> Option<ClassGroup> {
        match ClassGroup::of_label(class) {
            ClassGroup::Other => None,
            g => Some(g),
        }
    }

    /// True when an output of class `output` names a label of this group (module docs).
    pub fn is_named_by(self, output: ObjectClass) -> bool {
        match self {
            ClassGroup::Vehicle => output.is_vehicle(),
            ClassGroup::Pedestrian => output == ObjectClass::Pedestrian,
            ClassGroup::Cyclist => matches!(
                output,
                ObjectClass::Bicycle | ObjectClass::Motorcycle | ObjectClass::Pedestrian
            ),
            ClassGroup::Other => output == ObjectClass::Unknown,
        }
    }

    /// Largest ground-plane centre distance at which an output can match a label of this
    /// group, metres: 2 m for vehicles, 1 m otherwise (as the first measurements).
    pub fn match_gate(self) -> f64 {
        match self {
            ClassGroup::Vehicle => 2.0,
            _ => 1.0,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            ClassGroup::Vehicle => "vehicle",
            ClassGroup::Pedestrian => "pedestrian",
            ClassGroup::Cyclist => "cyclist",
            ClassGroup::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_naming() {
        assert_eq!(
            ClassGroup::of_label(ObjectClass::Trailer),
            ClassGroup::Vehicle
        );
        assert_eq!(
            ClassGroup::of_label(ObjectClass::Unknown),
            ClassGroup::Other
        );
        assert_eq!(ClassGroup::claimed_by(ObjectClass::Unknown), None);
        assert!(ClassGroup::Cyclist.is_named_by(ObjectClass::Pedestrian));
        assert!(!ClassGroup::Pedestrian.is_named_by(ObjectClass::Bicycle));
        assert!(ClassGroup::Vehicle.is_named_by(ObjectClass::Bus));
        assert!(!ClassGroup::Vehicle.is_named_by(ObjectClass::Unknown));
        assert_eq!(ClassGroup::Vehicle.match_gate(), 2.0);
        assert_eq!(ClassGroup::Cyclist.match_gate(), 1.0);
    }
}
