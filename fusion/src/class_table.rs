//! One value per object class, with the classes as named fields so that a configuration file
//! reads `[...pedestrian] accel_std = 1.5` rather than an index.

use kestrel_sensors::ObjectClass;
use serde::{Deserialize, Serialize};

/// A value of type `T` for each [`ObjectClass`]. In a configuration file every class must be
/// given (partial overrides are merged into the built-in table before parsing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassTable<T> {
    /// [`ObjectClass::Unknown`].
    pub unknown: T,
    /// [`ObjectClass::Car`].
    pub car: T,
    /// [`ObjectClass::Truck`].
    pub truck: T,
    /// [`ObjectClass::Bus`].
    pub bus: T,
    /// [`ObjectClass::Trailer`].
    pub trailer: T,
    /// [`ObjectClass::Motorcycle`].
    pub motorcycle: T,
    /// [`ObjectClass::Bicycle`].
    pub bicycle: T,
    /// [`ObjectClass::Pedestrian`].
    pub pedestrian: T,
}

impl<T> ClassTable<T> {
    /// The value of `class`.
    pub fn get(&self, class: ObjectClass) -> &T {
        match class {
            ObjectClass::Unknown => &self.unknown,
            ObjectClass::Car => &self.car,
            ObjectClass::Truck => &self.truck,
            ObjectClass::Bus => &self.bus,
            ObjectClass::Trailer => &self.trailer,
            ObjectClass::Motorcycle => &self.motorcycle,
            ObjectClass::Bicycle => &self.bicycle,
            ObjectClass::Pedestrian => &self.pedestrian,
        }
    }

    /// Every class with its value, in label order.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectClass, &T)> {
        ObjectClass::ALL.into_iter().map(move |c| (c, self.get(c)))
    }

    /// A table built by calling `f` for each class.
    pub fn from_fn(mut f: impl FnMut(ObjectClass) -> T) -> Self {
        Self {
            unknown: f(ObjectClass::Unknown),
            car: f(ObjectClass::Car),
            truck: f(ObjectClass::Truck),
            bus: f(ObjectClass::Bus),
            trailer: f(ObjectClass::Trailer),
            motorcycle: f(ObjectClass::Motorcycle),
            bicycle: f(ObjectClass::Bicycle),
            pedestrian: f(ObjectClass::Pedestrian),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_slot() {
        let t = ClassTable::from_fn(|c| c.label());
        for (c, v) in t.iter() {
            assert_eq!(*v, c.label());
        }
        let parsed: Result<ClassTable<u8>, _> = serde_json::from_str(r#"{"car": 1}"#);
        assert!(parsed.is_err(), "every class must be given");
    }
}
