//! Typical and largest sizes and speed limits per object class: used where a sensor does not
//! measure them (camera-only and radar-only objects), to tell whether a LiDAR cluster can be
//! one road user of a class, and to gate implausible radar velocities.

use crate::FusionError;
use crate::class_table::ClassTable;
use kestrel_sensors::ObjectClass;
use serde::{Deserialize, Serialize};

/// Sizes (metres) and the highest plausible speed over ground (m/s) of a class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassPrior {
    /// Typical length along the heading, metres.
    pub length: f64,
    /// Typical width, metres.
    pub width: f64,
    /// Typical height, metres.
    pub height: f64,
    /// Longest footprint one object of the class has, metres (a LiDAR cluster longer than
    /// this is more than one object, or not of this class).
    pub max_length: f64,
    /// Widest footprint one object of the class has, metres.
    pub max_width: f64,
    /// Highest plausible speed over ground, m/s.
    pub max_speed: f64,
}

impl ClassPrior {
    /// True when a footprint of `length` x `width` metres (length >= width) fits one object
    /// of the class.
    pub fn fits(&self, length: f64, width: f64) -> bool {
        length <= self.max_length && width <= self.max_width
    }
}

/// The built-in priors: road-user averages; Unknown is a 1 m cube-ish obstacle of any size.
pub fn default_class_priors() -> ClassTable<ClassPrior> {
    let p = |length, width, height, max_length, max_width, max_speed| ClassPrior {
        length,
        width,
        height,
        max_length,
        max_width,
        max_speed,
    };
    ClassTable {
        unknown: p(1.0, 1.0, 1.5, 20.0, 4.0, 70.0),
        car: p(4.5, 1.8, 1.5, 6.5, 2.6, 70.0),
        truck: p(8.0, 2.5, 3.2, 20.0, 3.5, 50.0),
        bus: p(11.0, 2.6, 3.2, 20.0, 3.5, 40.0),
        trailer: p(8.0, 2.5, 3.0, 18.0, 3.5, 50.0),
        motorcycle: p(2.0, 0.8, 1.5, 3.0, 1.5, 60.0),
        bicycle: p(1.8, 0.6, 1.6, 2.6, 1.5, 20.0),
        pedestrian: p(0.6, 0.6, 1.7, 1.6, 1.6, 8.0),
    }
}

/// Checks every prior: sizes positive and finite, the largest footprint at least the typical
/// one, speeds positive.
pub fn validate_class_priors(priors: &ClassTable<ClassPrior>) -> Result<(), FusionError> {
    for (class, p) in priors.iter() {
        let ok = [p.length, p.width, p.height, p.max_speed]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
            && p.max_length.is_finite()
            && p.max_width.is_finite()
            && p.max_length >= p.length
            && p.max_width >= p.width;
        if !ok {
            return Err(FusionError::InvalidConfig {
                field: prior_field(class),
                value: p.length,
                reason: "sizes and speed must be positive and finite, max_length >= length, \
                         max_width >= width",
            });
        }
    }
    Ok(())
}

fn prior_field(class: ObjectClass) -> &'static str {
    match class {
        ObjectClass::Unknown => "association.class_priors.unknown",
        ObjectClass::Car => "association.class_priors.car",
        ObjectClass::Truck => "association.class_priors.truck",
        ObjectClass::Bus => "association.class_priors.bus",
        ObjectClass::Trailer => "association.class_priors.trailer",
        ObjectClass::Motorcycle => "association.class_priors.motorcycle",
        ObjectClass::Bicycle => "association.class_priors.bicycle",
        ObjectClass::Pedestrian => "association.class_priors.pedestrian",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_a_bad_prior_is_named() {
        let mut p = default_class_priors();
        validate_class_priors(&p).unwrap();
        assert!(p.car.fits(4.8, 1.9) && !p.car.fits(8.2, 4.3) && !p.pedestrian.fits(3.0, 0.5));
        p.bicycle.max_length = 1.0;
        let e = validate_class_priors(&p).unwrap_err().to_string();
        assert!(e.contains("association.class_priors.bicycle"), "{e}");
    }
}
