//! The canonical scenarios, compiled into the binary from `sim/scenarios/*.toml`.

use crate::error::SimError;
use crate::scenario::Scenario;

/// `(name, TOML text)` of every canonical scenario.
const LIBRARY: [(&str, &str); 7] = [
    ("lead_brake", include_str!("../scenarios/lead_brake.toml")),
    ("cut_in", include_str!("../scenarios/cut_in.toml")),
    (
        "pedestrian_crossing",
        include_str!("../scenarios/pedestrian_crossing.toml"),
    ),
    (
        "stationary_obstacle",
        include_str!("../scenarios/stationary_obstacle.toml"),
    ),
    (
        "crossing_cyclist",
        include_str!("../scenarios/crossing_cyclist.toml"),
    ),
    (
        "dense_traffic",
        include_str!("../scenarios/dense_traffic.toml"),
    ),
    (
        "night_no_lidar_radar",
        include_str!("../scenarios/night_no_lidar_radar.toml"),
    ),
];

/// Names of the canonical scenarios, in library order.
pub fn list() -> Vec<&'static str> {
    LIBRARY.iter().map(|(n, _)| *n).collect()
}

/// The TOML text of a canonical scenario.
pub fn source(name: &str) -> Result<&'static str, SimError> {
    LIBRARY
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| SimError::UnknownScenario(name.to_owned()))
}

/// Parses and checks a canonical scenario.
pub fn load(name: &str) -> Result<Scenario, SimError> {
    let sc = Scenario::from_toml_str(source(name)?, name)?;
    if sc.name != name {
        return Err(SimError::InvalidScenario {
            scenario: name.to_owned(),
            reason: format!("file declares name `{}`", sc.name),
        });
    }
    Ok(sc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canonical_scenario_parses() {
        for name in list() {
            load(name).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(matches!(load("nope"), Err(SimError::UnknownScenario(_))));
    }
}
