//! A reference planning node: adaptive cruise control with a time gap, plus autonomous
//! emergency braking on time-to-collision. Consumes [`ObservedObject`]s in the ego's vehicle
//! frame and outputs a longitudinal acceleration (lateral control is left to the lane keeper).
//!
//! Lead selection: an object is "in path" when its lateral offset from the ego's predicted
//! path (a circular arc of the current curvature) is within the ego's half width plus the
//! object's class half width plus a margin — now, or after the time the ego needs to reach it
//! given the object's lateral velocity (so crossing pedestrians and cutting-in cars count
//! before they are fully in lane). The lead is the nearest in-path object ahead.

use crate::observed_object::ObservedObject;
use kestrel_sensors::ObjectClass;

/// Planner tuning. Distances metres, speeds m/s, accelerations m/s^2, times seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannerConfig {
    /// Set speed.
    pub cruise_speed: f64,
    /// Desired time gap to the lead.
    pub time_gap: f64,
    /// Desired standstill gap (bumper to bumper).
    pub standstill_gap: f64,
    /// Gain on the gap error, 1/s^2.
    pub gap_gain: f64,
    /// Gain on the speed difference to the lead, 1/s.
    pub speed_gain: f64,
    /// Largest ACC acceleration.
    pub max_accel: f64,
    /// Largest ACC deceleration (positive).
    pub max_acc_decel: f64,
    /// AEB triggers below this time-to-collision.
    pub aeb_ttc: f64,
    /// AEB also triggers when stopping needs more than this deceleration (positive).
    pub aeb_required_decel: f64,
    /// AEB deceleration (positive).
    pub aeb_decel: f64,
    /// Ego half width.
    pub ego_half_width: f64,
    /// Rear axle to front bumper.
    pub ego_front: f64,
    /// Lateral margin of the path corridor.
    pub corridor_margin: f64,
    /// Longest look-ahead time for lateral prediction.
    pub prediction_horizon: f64,
}

impl PlannerConfig {
    /// Defaults for a passenger car with set speed `cruise_speed`.
    pub fn new(cruise_speed: f64) -> Self {
        Self {
            cruise_speed,
            time_gap: 1.8,
            standstill_gap: 4.0,
            gap_gain: 0.25,
            speed_gain: 0.7,
            max_accel: 2.0,
            max_acc_decel: 3.5,
            aeb_ttc: 1.8,
            aeb_required_decel: 5.0,
            aeb_decel: 8.0,
            ego_half_width: 0.95,
            ego_front: 3.8,
            corridor_margin: 0.3,
            prediction_horizon: 3.0,
        }
    }
}

/// What the planner decided and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlannerMode {
    /// No lead: hold the set speed.
    Cruise,
    /// Following a lead with the time gap.
    Follow,
    /// Emergency braking.
    Aeb,
}

/// The selected lead object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lead {
    /// Its track id.
    pub track_id: u64,
    /// Bumper-to-bumper gap estimate, metres.
    pub gap: f64,
    /// Its speed along the ego's x axis, m/s.
    pub speed: f64,
    /// Time to collision at current speeds, seconds (infinite when not closing).
    pub ttc: f64,
}

/// One planner output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannerOutput {
    /// Acceleration command, m/s^2.
    pub acceleration: f64,
    /// Mode.
    pub mode: PlannerMode,
    /// Lead, if any.
    pub lead: Option<Lead>,
}

/// Half length and half width assumed for a class (the stack reports centres only).
fn class_half_extent(class: ObjectClass) -> (f64, f64) {
    match class {
        ObjectClass::Car | ObjectClass::Unknown => (2.25, 0.9),
        ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer => (5.0, 1.25),
        ObjectClass::Motorcycle | ObjectClass::Bicycle => (0.9, 0.4),
        ObjectClass::Pedestrian => (0.3, 0.3),
    }
}

/// ACC + AEB planner. AEB latches until the ego stops or the threat is gone.
#[derive(Debug, Clone)]
pub struct Planner {
    /// Tuning.
    pub config: PlannerConfig,
    aeb_latched: bool,
}

impl Planner {
    /// A planner with `config`.
    pub fn new(config: PlannerConfig) -> Self {
        Self {
            config,
            aeb_latched: false,
        }
    }

    /// The in-path lead among `objects` (vehicle frame) for an ego at `ego_speed` m/s driving
    /// a path of curvature `curvature` 1/m.
    pub fn select_lead(
        &self,
        objects: &[ObservedObject],
        ego_speed: f64,
        curvature: f64,
    ) -> Option<Lead> {
        let c = &self.config;
        objects
            .iter()
            .filter_map(|o| {
                let (half_len, half_w) = class_half_extent(o.class);
                let x = o.position.x;
                let gap = x - half_len - c.ego_front;
                if x <= 0.0 || gap < -half_len {
                    return None;
                }
                let offset = o.position.y - curvature * x * x / 2.0;
                let corridor = c.ego_half_width + half_w + c.corridor_margin;
                let closing = ego_speed - o.velocity.x;
                let t_reach = if closing > 0.1 {
                    (gap.max(0.0) / closing).min(c.prediction_horizon)
                } else {
                    0.0
                };
                let later = offset + o.velocity.y * t_reach;
                let crosses = offset.signum() != later.signum();
                let in_path = offset.abs() < corridor || later.abs() < corridor || crosses;
                in_path.then(|| Lead {
                    track_id: o.track_id,
                    gap,
                    speed: o.velocity.x,
                    ttc: if closing > 0.0 {
                        gap.max(0.0) / closing
                    } else {
                        f64::INFINITY
                    },
                })
            })
            .min_by(|a, b| a.gap.total_cmp(&b.gap).then(a.track_id.cmp(&b.track_id)))
    }

    /// One planning cycle.
    pub fn plan(
        &mut self,
        objects: &[ObservedObject],
        ego_speed: f64,
        curvature: f64,
    ) -> PlannerOutput {
        let c = self.config;
        let lead = self.select_lead(objects, ego_speed, curvature);
        let cruise =
            (c.speed_gain * (c.cruise_speed - ego_speed)).clamp(-c.max_acc_decel, c.max_accel);
        let Some(l) = lead else {
            self.aeb_latched = false;
            return PlannerOutput {
                acceleration: cruise,
                mode: PlannerMode::Cruise,
                lead: None,
            };
        };
        let closing = ego_speed - l.speed;
        let required = if closing > 0.0 {
            closing * closing / (2.0 * (l.gap - 0.5).max(0.1))
        } else {
            0.0
        };
        let threat = l.ttc < c.aeb_ttc || required > c.aeb_required_decel;
        if threat {
            self.aeb_latched = true;
        } else if ego_speed < 0.1 || closing <= 0.0 {
            self.aeb_latched = false;
        }
        if self.aeb_latched {
            return PlannerOutput {
                acceleration: -c.aeb_decel,
                mode: PlannerMode::Aeb,
                lead,
            };
        }
        let desired = c.standstill_gap + c.time_gap * ego_speed;
        let follow = c.gap_gain * (l.gap - desired) + c.speed_gain * (l.speed - ego_speed);
        let acceleration = follow.min(cruise).clamp(-c.max_acc_decel, c.max_accel);
        PlannerOutput {
            acceleration,
            mode: PlannerMode::Follow,
            lead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Point3, Vector2};

    fn obj(x: f64, y: f64, vx: f64, vy: f64, class: ObjectClass, id: u64) -> ObservedObject {
        ObservedObject {
            position: Point3::new(x, y, 0.7),
            velocity: Vector2::new(vx, vy),
            class,
            track_id: id,
        }
    }

    #[test]
    fn picks_nearest_in_lane_and_ignores_next_lane() {
        let p = Planner::new(PlannerConfig::new(20.0));
        let objs = [
            obj(40.0, 0.2, 15.0, 0.0, ObjectClass::Car, 1),
            obj(20.0, 3.5, 15.0, 0.0, ObjectClass::Car, 2),
        ];
        let lead = p.select_lead(&objs, 20.0, 0.0).unwrap();
        assert_eq!(lead.track_id, 1);
        assert!((lead.gap - (40.0 - 2.25 - 3.8)).abs() < 1e-9);
        // A pedestrian walking into the path counts before it is there.
        let ped = [obj(30.0, -3.0, 0.0, 1.5, ObjectClass::Pedestrian, 3)];
        assert_eq!(p.select_lead(&ped, 15.0, 0.0).unwrap().track_id, 3);
        let ped_away = [obj(30.0, -3.0, 0.0, -1.5, ObjectClass::Pedestrian, 3)];
        assert!(p.select_lead(&ped_away, 15.0, 0.0).is_none());
    }

    #[test]
    fn brakes_hard_for_a_close_stopped_object_and_cruises_otherwise() {
        let mut p = Planner::new(PlannerConfig::new(20.0));
        let out = p.plan(&[obj(25.0, 0.0, 0.0, 0.0, ObjectClass::Car, 1)], 20.0, 0.0);
        assert_eq!(out.mode, PlannerMode::Aeb);
        assert_eq!(out.acceleration, -8.0);
        let mut p = Planner::new(PlannerConfig::new(20.0));
        let out = p.plan(&[], 15.0, 0.0);
        assert_eq!(out.mode, PlannerMode::Cruise);
        assert!(out.acceleration > 0.0);
    }
}
