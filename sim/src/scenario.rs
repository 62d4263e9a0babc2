//! Scenario descriptions (TOML, serde): road, ego, actors and their behaviour, weather, sensor
//! switches, duration, seed and the pass/fail criteria of a closed-loop run.
//!
//! Times are seconds from the start of the run; distances metres; speeds m/s; positions on the
//! road are Frenet coordinates (see [`crate::road`]). Actor `s` is the arc length of the
//! actor's box centre; the ego's `s` is that of its rear axle.

use crate::error::SimError;
use crate::road::RoadSpec;
use kestrel_sensors::ObjectClass;
use serde::{Deserialize, Serialize};

/// A complete scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier (`lead_brake`).
    pub name: String,
    /// One or two sentences for people.
    #[serde(default)]
    pub description: String,
    /// Length of the run, seconds.
    pub duration: f64,
    /// Seed of every random stream of the run.
    pub seed: u64,
    /// Physics step, seconds (sensor periods are rounded to whole steps).
    #[serde(default = "default_step")]
    pub step: f64,
    /// The road.
    pub road: RoadSpec,
    /// The ego vehicle.
    pub ego: EgoSpec,
    /// Other road users.
    #[serde(default)]
    pub actors: Vec<ActorSpec>,
    /// Weather and noise.
    #[serde(default)]
    pub weather: WeatherSpec,
    /// Which sensors run.
    #[serde(default)]
    pub sensors: SensorSwitches,
    /// Pass/fail criteria of a closed-loop run.
    #[serde(default)]
    pub criteria: Criteria,
    /// The verdict the Kestrel stack is expected to get (default: pass).
    #[serde(default)]
    pub expect: Expectation,
}

fn default_step() -> f64 {
    0.01
}

/// The ego vehicle's start state and what the driver wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgoSpec {
    /// Lane index (0 = rightmost).
    pub lane: u32,
    /// Arc length of the rear axle at the start, metres.
    #[serde(default)]
    pub s: f64,
    /// Initial speed, m/s.
    pub speed: f64,
    /// Cruise (set) speed of the planner, m/s; the initial speed when absent.
    #[serde(default)]
    pub cruise_speed: Option<f64>,
}

impl EgoSpec {
    /// The set speed: `cruise_speed`, else the initial speed.
    pub fn set_speed(&self) -> f64 {
        self.cruise_speed.unwrap_or(self.speed)
    }
}

/// One scripted or reactive road user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    /// Unique name (used in criteria and reports).
    pub name: String,
    /// Class (also sets the default size, RCS and camera appearance).
    pub class: ObjectClass,
    /// Lane the actor starts in; ignored when `d` is given.
    #[serde(default)]
    pub lane: u32,
    /// Start lateral offset, metres (overrides `lane`; e.g. on the kerb for a pedestrian).
    #[serde(default)]
    pub d: Option<f64>,
    /// Arc length of the box centre at the start, metres.
    pub s: f64,
    /// Initial speed along the road, m/s.
    #[serde(default)]
    pub speed: f64,
    /// Box size `[length, width, height]`, metres; class default when absent.
    #[serde(default)]
    pub size: Option<[f64; 3]>,
    /// Longitudinal behaviour.
    #[serde(default)]
    pub behaviour: Behaviour,
    /// Timed manoeuvres, in any order.
    #[serde(default)]
    pub events: Vec<Event>,
}

impl ActorSpec {
    /// `[length, width, height]` in metres: the given size or the class default.
    pub fn dimensions(&self) -> [f64; 3] {
        self.size.unwrap_or(match self.class {
            ObjectClass::Car | ObjectClass::Unknown => [4.5, 1.8, 1.5],
            ObjectClass::Truck => [8.0, 2.5, 3.2],
            ObjectClass::Bus => [12.0, 2.5, 3.2],
            ObjectClass::Trailer => [10.0, 2.5, 3.5],
            ObjectClass::Motorcycle => [2.2, 0.8, 1.5],
            ObjectClass::Bicycle => [1.8, 0.6, 1.7],
            ObjectClass::Pedestrian => [0.5, 0.6, 1.75],
        })
    }
}

/// How an actor chooses its longitudinal acceleration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Behaviour {
    /// Follows its speed events only.
    #[default]
    Scripted,
    /// Intelligent Driver Model (Treiber et al. 2000) car-following on the nearest road user
    /// ahead in its lane (actors and the ego); speed events change its desired speed.
    Idm {
        /// Desired speed, m/s.
        desired_speed: f64,
        /// Desired time gap, seconds.
        #[serde(default = "default_time_gap")]
        time_gap: f64,
        /// Standstill gap, metres.
        #[serde(default = "default_min_gap")]
        min_gap: f64,
        /// Maximum acceleration, m/s^2.
        #[serde(default = "default_idm_accel")]
        max_accel: f64,
        /// Comfortable deceleration, m/s^2 (positive).
        #[serde(default = "default_idm_decel")]
        comfort_decel: f64,
    },
}

fn default_time_gap() -> f64 {
    1.5
}
fn default_min_gap() -> f64 {
    2.0
}
fn default_idm_accel() -> f64 {
    1.5
}
fn default_idm_decel() -> f64 {
    2.0
}

/// A timed manoeuvre.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// From time `at`, brake at `decel` (m/s^2, positive) down to `target_speed`.
    Brake {
        /// Start time, seconds.
        at: f64,
        /// Deceleration, m/s^2 (positive).
        decel: f64,
        /// Speed to brake down to, m/s.
        #[serde(default)]
        target_speed: f64,
    },
    /// From time `at`, change speed towards `target_speed` at `accel` (m/s^2, positive).
    Speed {
        /// Start time, seconds.
        at: f64,
        /// New target speed, m/s.
        target_speed: f64,
        /// Acceleration magnitude, m/s^2.
        accel: f64,
    },
    /// From time `at`, move to the centre of `to_lane` over `duration` seconds (a cut-in when
    /// that is the ego's lane), on a half-cosine lateral profile.
    LaneChange {
        /// Start time, seconds.
        at: f64,
        /// Target lane.
        to_lane: u32,
        /// Manoeuvre time, seconds.
        duration: f64,
    },
    /// From time `at`, walk or ride across the road at `speed` (m/s) until the lateral offset
    /// `to_d` (metres) is reached.
    Cross {
        /// Start time, seconds.
        at: f64,
        /// Lateral speed, m/s (positive).
        speed: f64,
        /// Final lateral offset, metres.
        to_d: f64,
    },
}

impl Event {
    /// Start time, seconds.
    pub fn at(&self) -> f64 {
        match *self {
            Event::Brake { at, .. }
            | Event::Speed { at, .. }
            | Event::LaneChange { at, .. }
            | Event::Cross { at, .. } => at,
        }
    }
}

/// Weather and sensor noise. Night and rain scale the base noise (see each sensor model).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WeatherSpec {
    /// Night: camera gain drops and image noise rises; LiDAR and radar are unaffected.
    pub night: bool,
    /// Rain intensity 0 (dry) ..= 1 (heavy): LiDAR dropouts and shorter range, radar clutter,
    /// camera contrast loss.
    pub rain: f64,
    /// Camera pixel noise standard deviation by day, digital numbers (0..255 scale).
    pub camera_noise_std: f64,
    /// LiDAR range noise standard deviation, metres.
    pub lidar_range_noise_std: f64,
    /// Probability that a LiDAR ray returns nothing, before rain.
    pub lidar_dropout: f64,
    /// Radar range noise, metres (1 sigma).
    pub radar_range_noise_std: f64,
    /// Radar azimuth noise, radians (1 sigma).
    pub radar_azimuth_noise_std: f64,
    /// Radar Doppler noise, m/s (1 sigma).
    pub radar_velocity_noise_std: f64,
    /// Probability that a radar reflection point is detected.
    pub radar_detection_probability: f64,
    /// Mean number of false alarms per radar cycle (Poisson), before rain.
    pub radar_clutter_rate: f64,
}

impl Default for WeatherSpec {
    fn default() -> Self {
        Self {
            night: false,
            rain: 0.0,
            camera_noise_std: 2.0,
            lidar_range_noise_std: 0.02,
            lidar_dropout: 0.01,
            radar_range_noise_std: 0.15,
            radar_azimuth_noise_std: 0.005,
            radar_velocity_noise_std: 0.1,
            radar_detection_probability: 0.9,
            radar_clutter_rate: 2.0,
        }
    }
}

/// The LiDAR beam layout to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LidarPattern {
    /// Ouster OS-1-32-like: 32 beams uniform over ±22.5°, 1024 columns.
    #[default]
    Os1_32,
    /// Velodyne HDL-64E-like: 64 beams from +2° to -24.8° in two blocks, 2048 columns.
    Hdl64,
}

/// Sensor enable flags.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SensorSwitches {
    /// Front camera on.
    pub camera: bool,
    /// Roof LiDAR on.
    pub lidar: bool,
    /// Front radar on.
    pub radar: bool,
    /// LiDAR beam layout.
    pub lidar_pattern: LidarPattern,
}

impl Default for SensorSwitches {
    fn default() -> Self {
        Self {
            camera: true,
            lidar: true,
            radar: true,
            lidar_pattern: LidarPattern::Os1_32,
        }
    }
}

/// Pass/fail criteria of a closed-loop run. A run passes when all hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Criteria {
    /// The ego must not touch any actor.
    pub no_collision: bool,
    /// Smallest allowed time-to-collision between the ego and any actor, seconds.
    pub min_ttc: Option<f64>,
    /// Actors the stack must report (matched within 2.5 m) by a given time.
    pub first_track: Vec<FirstTrack>,
}

impl Default for Criteria {
    fn default() -> Self {
        Self {
            no_collision: true,
            min_ttc: None,
            first_track: Vec::new(),
        }
    }
}

/// "Actor `actor` must be reported by the stack at or before time `by`."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstTrack {
    /// Actor name.
    pub actor: String,
    /// Deadline, seconds from the start.
    pub by: f64,
}

/// A closed-loop verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every criterion holds.
    #[default]
    Pass,
    /// At least one criterion fails.
    Fail,
}

/// The verdict the real Kestrel stack is expected to get on a scenario, declared in its TOML
/// (`[expect] verdict = "fail"`, `reason = "..."`). A stress case built to break the stack
/// declares `fail` with the reason; `kestrel sim --all` then reports its failure as expected
/// and fails only on verdicts that differ from the expectation. The ground-truth oracle is
/// expected to pass every scenario whatever this says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Expectation {
    /// Expected verdict.
    pub verdict: Verdict,
    /// Why (required when the expected verdict is `fail`).
    pub reason: String,
}

impl Scenario {
    /// Parses and checks a scenario from TOML text; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, SimError> {
        let sc: Scenario = toml::from_str(text).map_err(|e| SimError::ScenarioToml {
            scenario: origin.to_owned(),
            message: e.to_string(),
        })?;
        sc.check()?;
        Ok(sc)
    }

    /// Reads a scenario TOML file.
    pub fn load(path: &std::path::Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::ScenarioToml {
            scenario: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// The same scenario with another seed.
    pub fn with_seed(&self, seed: u64) -> Self {
        Self {
            seed,
            ..self.clone()
        }
    }

    /// Checks ranges and cross-references that serde cannot.
    pub fn check(&self) -> Result<(), SimError> {
        let bad = |reason: String| {
            Err(SimError::InvalidScenario {
                scenario: self.name.clone(),
                reason,
            })
        };
        if !(self.duration > 0.0 && self.duration <= 600.0) {
            return bad(format!("duration {} s not in (0, 600]", self.duration));
        }
        if !(self.step >= 0.001 && self.step <= 0.05) {
            return bad(format!("step {} s not in [0.001, 0.05]", self.step));
        }
        if self.ego.lane >= self.road.lanes {
            return bad(format!(
                "ego lane {} but the road has {} lanes",
                self.ego.lane, self.road.lanes
            ));
        }
        if !(self.ego.speed >= 0.0 && self.ego.set_speed() >= 0.0 && self.ego.set_speed() < 70.0) {
            return bad("ego speeds must be in [0, 70) m/s".into());
        }
        let w = &self.weather;
        let probs = [
            ("weather.rain", w.rain),
            ("weather.lidar_dropout", w.lidar_dropout),
            (
                "weather.radar_detection_probability",
                w.radar_detection_probability,
            ),
        ];
        for (name, p) in probs {
            if !(0.0..=1.0).contains(&p) {
                return bad(format!("{name} = {p} not in [0, 1]"));
            }
        }
        let sigmas = [
            w.camera_noise_std,
            w.lidar_range_noise_std,
            w.radar_range_noise_std,
            w.radar_azimuth_noise_std,
            w.radar_velocity_noise_std,
            w.radar_clutter_rate,
        ];
        if sigmas.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return bad("weather noise levels must be finite and >= 0".into());
        }
        for (i, a) in self.actors.iter().enumerate() {
            if self.actors[..i].iter().any(|o| o.name == a.name) {
                return bad(format!("duplicate actor name `{}`", a.name));
            }
            if a.d.is_none() && a.lane >= self.road.lanes {
                return bad(format!(
                    "actor `{}` in lane {} of {}",
                    a.name, a.lane, self.road.lanes
                ));
            }
            if a.speed.is_nan()
                || a.speed < 0.0
                || a.dimensions().iter().any(|v| v.is_nan() || *v <= 0.0)
            {
                return bad(format!(
                    "actor `{}`: speed and size must be positive",
                    a.name
                ));
            }
            for e in &a.events {
                let ok = match *e {
                    Event::Brake {
                        at,
                        decel,
                        target_speed,
                    } => at >= 0.0 && decel > 0.0 && target_speed >= 0.0,
                    Event::Speed {
                        at,
                        target_speed,
                        accel,
                    } => at >= 0.0 && accel > 0.0 && target_speed >= 0.0,
                    Event::LaneChange {
                        at,
                        to_lane,
                        duration,
                    } => at >= 0.0 && duration > 0.0 && to_lane < self.road.lanes,
                    Event::Cross { at, speed, to_d } => {
                        at >= 0.0 && speed > 0.0 && to_d.is_finite()
                    }
                };
                if !ok {
                    return bad(format!("actor `{}`: invalid event {e:?}", a.name));
                }
            }
            if let Behaviour::Idm {
                desired_speed,
                time_gap,
                min_gap,
                max_accel,
                comfort_decel,
            } = a.behaviour
                && !(desired_speed >= 0.0
                    && time_gap > 0.0
                    && min_gap >= 0.0
                    && max_accel > 0.0
                    && comfort_decel > 0.0)
            {
                return bad(format!("actor `{}`: invalid IDM parameters", a.name));
            }
        }
        if self.expect.verdict == Verdict::Fail && self.expect.reason.trim().is_empty() {
            return bad("expect.verdict = \"fail\" needs an expect.reason".into());
        }
        for f in &self.criteria.first_track {
            if !self.actors.iter().any(|a| a.name == f.actor) {
                return bad(format!(
                    "criteria.first_track names unknown actor `{}`",
                    f.actor
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = 'm'\nduration = 5.0\nseed = 1\n[road]\nlanes = 2\nsegments = [{ length = 100.0 }]\n[ego]\nlane = 0\nspeed = 10.0\n";

    #[test]
    fn minimal_scenario_takes_defaults() {
        let sc = Scenario::from_toml_str(MINIMAL, "m").unwrap();
        assert_eq!(sc.step, 0.01);
        assert!(sc.sensors.camera && sc.sensors.lidar && sc.sensors.radar);
        assert!(sc.criteria.no_collision);
        assert_eq!(sc.ego.set_speed(), 10.0);
        assert_eq!(sc.expect.verdict, Verdict::Pass);
    }

    #[test]
    fn an_expected_failure_needs_a_reason() {
        let silent = format!("{MINIMAL}[expect]\nverdict = 'fail'\n");
        let e = Scenario::from_toml_str(&silent, "f").unwrap_err();
        assert!(e.to_string().contains("expect.reason"), "{e}");
        let explained = format!("{silent}reason = 'camera only'\n");
        let sc = Scenario::from_toml_str(&explained, "f").unwrap();
        assert_eq!(sc.expect.verdict, Verdict::Fail);
        assert_eq!(sc.expect.reason, "camera only");
    }

    #[test]
    fn bad_scenarios_are_typed_errors_naming_the_problem() {
        let truncated = &MINIMAL[..MINIMAL.len() - 12];
        assert!(matches!(
            Scenario::from_toml_str(truncated, "t"),
            Err(SimError::ScenarioToml { .. })
        ));
        let unknown_field = format!("{MINIMAL}colour = 'red'\n");
        assert!(matches!(
            Scenario::from_toml_str(&unknown_field, "u"),
            Err(SimError::ScenarioToml { .. })
        ));
        let negative = MINIMAL.replace("duration = 5.0", "duration = -1.0");
        let e = Scenario::from_toml_str(&negative, "n").unwrap_err();
        assert!(e.to_string().contains("duration"), "{e}");
        let bad_lane = MINIMAL.replace("lane = 0", "lane = 5");
        assert!(
            Scenario::from_toml_str(&bad_lane, "l")
                .unwrap_err()
                .to_string()
                .contains("ego lane 5")
        );
        let ghost =
            format!("{MINIMAL}[criteria]\nfirst_track = [{{ actor = 'ghost', by = 1.0 }}]\n");
        assert!(
            Scenario::from_toml_str(&ghost, "g")
                .unwrap_err()
                .to_string()
                .contains("ghost")
        );
        let nan_speed =
            format!("{MINIMAL}[[actors]]\nname = 'a'\nclass = 'car'\ns = 10.0\nspeed = nan\n");
        assert!(Scenario::from_toml_str(&nan_speed, "s").is_err());
    }
}
