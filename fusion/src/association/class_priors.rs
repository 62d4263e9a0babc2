//! Typical sizes and speed limits per object class, used where a sensor does not measure them
//! (camera-only and radar-only objects) and to gate implausible radar velocities.

use kestrel_sensors::ObjectClass;

/// Typical dimensions (metres) and the highest plausible speed over ground (m/s) of a class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassPrior {
    /// Length along the heading, metres.
    pub length: f64,
    /// Width, metres.
    pub width: f64,
    /// Height, metres.
    pub height: f64,
    /// Highest plausible speed over ground, m/s.
    pub max_speed: f64,
}

/// The prior of `class` (road-user averages; Unknown: a 1 m cube-ish obstacle).
pub fn class_prior(class: ObjectClass) -> ClassPrior {
    let (length, width, height, max_speed) = match class {
        ObjectClass::Car => (4.5, 1.8, 1.5, 70.0),
        ObjectClass::Truck => (8.0, 2.5, 3.2, 50.0),
        ObjectClass::Bus => (11.0, 2.6, 3.2, 40.0),
        ObjectClass::Trailer => (8.0, 2.5, 3.0, 50.0),
        ObjectClass::Motorcycle => (2.0, 0.8, 1.5, 60.0),
        ObjectClass::Bicycle => (1.8, 0.6, 1.6, 20.0),
        ObjectClass::Pedestrian => (0.6, 0.6, 1.7, 8.0),
        ObjectClass::Unknown => (1.0, 1.0, 1.5, 70.0),
    };
    ClassPrior {
        length,
        width,
        height,
        max_speed,
    }
}
