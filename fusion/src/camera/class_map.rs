//! Mapping detector class names (COCO, as the shipped models use) to the stack's taxonomy.

use kestrel_sensors::ObjectClass;

/// The stack class for a detector label: COCO `car` -> Car, `truck` -> Truck, `bus` -> Bus,
/// `person` -> Pedestrian, `bicycle` -> Bicycle, `motorcycle` -> Motorcycle. Every other
/// label (traffic lights, animals, ...) is not a road user the stack tracks: `None`.
pub fn coco_to_class(label: &str) -> Option<ObjectClass> {
    match label {
        "car" => Some(ObjectClass::Car),
        "truck" => Some(ObjectClass::Truck),
        "bus" => Some(ObjectClass::Bus),
        "person" => Some(ObjectClass::Pedestrian),
        "bicycle" => Some(ObjectClass::Bicycle),
        "motorcycle" => Some(ObjectClass::Motorcycle),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_road_users_and_drops_the_rest() {
        assert_eq!(coco_to_class("person"), Some(ObjectClass::Pedestrian));
        assert_eq!(coco_to_class("motorcycle"), Some(ObjectClass::Motorcycle));
        assert_eq!(coco_to_class("traffic light"), None);
        assert_eq!(coco_to_class("Car"), None); // labels are lower-case COCO names
    }
}
