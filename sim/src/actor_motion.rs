//! Motion of scripted and IDM actors along the road, in Frenet coordinates.

use crate::road::Road;
use crate::scenario::{ActorSpec, Behaviour, Event};
use kestrel_sensors::OrientedBox3;
use nalgebra::{Point3, Vector2};

/// Largest deceleration any actor uses, m/s^2.
const ACTOR_MAX_DECEL: f64 = 9.0;

/// A lane change in progress.
#[derive(Debug, Clone, Copy)]
struct LaneChange {
    start: f64,
    from_d: f64,
    to_d: f64,
    duration: f64,
}

/// One road user during a run.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Stable id (1-based scenario index).
    pub id: u32,
    /// The scenario's description.
    pub spec: ActorSpec,
    /// Arc length of the box centre, metres.
    pub s: f64,
    /// Lateral offset of the box centre, metres.
    pub d: f64,
    /// Speed along its lane, m/s.
    pub speed: f64,
    /// Lateral speed, m/s, positive left.
    pub lateral_speed: f64,
    /// Heading relative to the road, radians.
    pub relative_heading: f64,
    target_speed: f64,
    accel_limit: f64,
    braking: bool,
    lane_change: Option<LaneChange>,
    crossing: Option<(f64, f64)>,
    fired: Vec<bool>,
}

/// A road user ahead in the same lane, as IDM needs it: bumper-to-bumper gap and speed.
#[derive(Debug, Clone, Copy)]
pub struct Leader {
    /// Gap, metres.
    pub gap: f64,
    /// Its speed along the road, m/s.
    pub speed: f64,
}

impl Actor {
    /// The actor at its start state.
    pub fn new(id: u32, spec: &ActorSpec, road: &Road) -> Self {
        let d = spec.d.unwrap_or_else(|| road.lane_centre(spec.lane));
        Self {
            id,
            s: spec.s,
            d,
            speed: spec.speed,
            lateral_speed: 0.0,
            relative_heading: 0.0,
            target_speed: match spec.behaviour {
                Behaviour::Idm { desired_speed, .. } => desired_speed,
                Behaviour::Scripted => spec.speed,
            },
            accel_limit: 0.0,
            braking: false,
            lane_change: None,
            crossing: None,
            fired: vec![false; spec.events.len()],
            spec: spec.clone(),
        }
    }

    /// Box length along the road, metres.
    pub fn length(&self) -> f64 {
        self.spec.dimensions()[0]
    }

    /// Fires the events due at time `t` (seconds).
    fn fire_events(&mut self, t: f64, road: &Road) {
        for i in 0..self.spec.events.len() {
            let e = self.spec.events[i];
            if self.fired[i] || e.at() > t + 1e-9 {
                continue;
            }
            self.fired[i] = true;
            match e {
                Event::Brake {
                    decel,
                    target_speed,
                    ..
                } => {
                    self.target_speed = target_speed;
                    self.accel_limit = decel;
                    self.braking = true;
                }
                Event::Speed {
                    target_speed,
                    accel,
                    ..
                } => {
                    self.target_speed = target_speed;
                    self.accel_limit = accel;
                    self.braking = false;
                }
                Event::LaneChange {
                    to_lane, duration, ..
                } => {
                    self.crossing = None;
                    self.lane_change = Some(LaneChange {
                        start: t,
                        from_d: self.d,
                        to_d: road.lane_centre(to_lane),
                        duration,
                    });
                }
                Event::Cross { speed, to_d, .. } => {
                    self.lane_change = None;
                    self.crossing = Some((speed, to_d));
                }
            }
        }
    }

    /// Longitudinal acceleration for this step, m/s^2.
    fn acceleration(&self, leader: Option<Leader>, dt: f64) -> f64 {
        let scripted =
            ((self.target_speed - self.speed) / dt).clamp(-self.accel_limit, self.accel_limit);
        match self.spec.behaviour {
            Behaviour::Scripted => scripted,
            Behaviour::Idm {
                time_gap,
                min_gap,
                max_accel,
                comfort_decel,
                ..
            } => {
                let v = self.speed;
                let v0 = self.target_speed.max(0.1);
                let mut a = max_accel * (1.0 - (v / v0).powi(4));
                if let Some(l) = leader {
                    let dv = v - l.speed;
                    let s_star = min_gap
                        + (v * time_gap + v * dv / (2.0 * (max_accel * comfort_decel).sqrt()))
                            .max(0.0);
                    a -= max_accel * (s_star / l.gap.max(0.1)).powi(2);
                }
                let a = if self.braking { a.min(scripted) } else { a };
                a.clamp(-ACTOR_MAX_DECEL, max_accel)
            }
        }
    }

    /// Advances to time `t + dt`: fires due events at `t`, then integrates.
    pub fn step(&mut self, t: f64, dt: f64, road: &Road, leader: Option<Leader>) {
        self.fire_events(t, road);
        let a = self.acceleration(leader, dt).max(-ACTOR_MAX_DECEL);
        self.speed = (self.speed + a * dt).max(0.0);
        if let Some(lc) = self.lane_change {
            let tau = ((t + dt - lc.start) / lc.duration).clamp(0.0, 1.0);
            let pi = std::f64::consts::PI;
            let d_new = lc.from_d + (lc.to_d - lc.from_d) * (1.0 - (pi * tau).cos()) / 2.0;
            self.lateral_speed = (d_new - self.d) / dt;
            self.d = d_new;
            if tau >= 1.0 {
                self.lane_change = None;
                self.lateral_speed = 0.0;
            }
        } else if let Some((speed, to_d)) = self.crossing {
            let remaining = to_d - self.d;
            let step = remaining.clamp(-speed * dt, speed * dt);
            self.d += step;
            self.lateral_speed = step / dt;
            if (to_d - self.d).abs() < 1e-9 {
                self.crossing = None;
                self.lateral_speed = 0.0;
            }
        } else {
            self.lateral_speed = 0.0;
        }
        let k = road.curvature(self.s);
        self.s += self.speed / (1.0 - k * self.d).max(0.2) * dt;
        if self.speed.hypot(self.lateral_speed) > 0.05 {
            self.relative_heading = self.lateral_speed.atan2(self.speed);
        }
    }

    /// Box and velocity over ground in the world frame.
    pub fn world_state(&self, road: &Road) -> (OrientedBox3, Vector2<f64>) {
        let [l, w, h] = self.spec.dimensions();
        let (p, heading) = road.to_world(self.s, self.d);
        let t = Vector2::new(heading.cos(), heading.sin());
        let n = Vector2::new(-heading.sin(), heading.cos());
        (
            OrientedBox3 {
                center: Point3::new(p.x, p.y, h / 2.0),
                length: l,
                width: w,
                height: h,
                yaw: heading + self.relative_heading,
            },
            t * self.speed + n * self.lateral_speed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::road::{RoadSpec, SegmentSpec};
    use kestrel_sensors::ObjectClass;

    fn road() -> Road {
        Road::new(
            RoadSpec {
                lanes: 2,
                lane_width: 3.5,
                segments: vec![SegmentSpec {
                    length: 500.0,
                    curvature: 0.0,
                }],
            },
            "t",
        )
        .unwrap()
    }

    fn spec(events: Vec<Event>, behaviour: Behaviour) -> ActorSpec {
        ActorSpec {
            name: "a".into(),
            class: ObjectClass::Car,
            lane: 0,
            d: None,
            s: 10.0,
            speed: 20.0,
            size: None,
            behaviour,
            events,
        }
    }

    #[test]
    fn braking_event_stops_at_the_right_place() {
        let r = road();
        let mut a = Actor::new(
            1,
            &spec(
                vec![Event::Brake {
                    at: 1.0,
                    decel: 5.0,
                    target_speed: 0.0,
                }],
                Behaviour::Scripted,
            ),
            &r,
        );
        let dt = 0.01;
        for i in 0..800 {
            a.step(i as f64 * dt, dt, &r, None);
        }
        // 1 s at 20 m/s, then 400 / 10 = 40 m of braking.
        assert_eq!(a.speed, 0.0);
        assert!((a.s - 70.0).abs() < 0.3, "{}", a.s);
    }

    #[test]
    fn lane_change_reaches_the_target_lane() {
        let r = road();
        let mut a = Actor::new(
            1,
            &spec(
                vec![Event::LaneChange {
                    at: 0.5,
                    to_lane: 1,
                    duration: 2.0,
                }],
                Behaviour::Scripted,
            ),
            &r,
        );
        for i in 0..300 {
            a.step(i as f64 * 0.01, 0.01, &r, None);
        }
        assert!((a.d - 3.5).abs() < 1e-9 && a.lateral_speed == 0.0);
    }

    #[test]
    fn idm_does_not_hit_a_stopped_leader() {
        let r = road();
        let idm = Behaviour::Idm {
            desired_speed: 20.0,
            time_gap: 1.5,
            min_gap: 2.0,
            max_accel: 1.5,
            comfort_decel: 2.0,
        };
        let mut a = Actor::new(1, &spec(vec![], idm), &r);
        let leader_rear = 150.0;
        for i in 0..3000 {
            let gap = leader_rear - (a.s + a.length() / 2.0);
            a.step(i as f64 * 0.01, 0.01, &r, Some(Leader { gap, speed: 0.0 }));
        }
        let gap = leader_rear - (a.s + a.length() / 2.0);
        assert!(
            a.speed < 0.1 && gap > 0.5 && gap < 4.0,
            "gap {gap} speed {}",
            a.speed
        );
    }
}
