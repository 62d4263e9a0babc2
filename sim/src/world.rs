//! The simulated world: road, ego, actors and sensors, advanced in fixed steps.
//!
//! One cycle of a closed loop is [`World::observe`] (ground truth now, plus the messages of
//! the sensors that are due now) followed by [`World::advance`] with the ego's command.
//! Simulation time starts at 0 ns and advances by exactly `scenario.step` per cycle; sensor
//! periods are whole numbers of steps, with fixed phase offsets (LiDAR 0 ms, radar +10 ms,
//! camera +20 ms) so that messages arrive interleaved as on a real vehicle.

use crate::actor_motion::{Actor, Leader};
use crate::camera_model::CameraModel;
use crate::collision::boxes_overlap;
use crate::ego_dynamics::{EgoCommand, EgoParams, EgoVehicle, Lateral, Longitudinal};
use crate::error::SimError;
use crate::ground_truth::{ActorTruth, EgoTruth, GroundTruthFrame};
use crate::lidar_model::LidarModel;
use crate::radar_model::RadarModel;
use crate::rng::SimRng;
use crate::road::Road;
use crate::scenario::Scenario;
use crate::sim_rig::{self, CAMERA, LIDAR, RADAR};
use kestrel_sensors::{Rig, SensorMessage, Timestamp};
use nalgebra::{Point2, Point3};

/// A sensor model with its own random stream and schedule.
#[derive(Debug)]
struct Scheduled<M> {
    model: M,
    rng: SimRng,
    period_steps: u64,
    phase_steps: u64,
}

impl<M> Scheduled<M> {
    fn new(model: M, sc: &Scenario, name: &str, rate_hz: f64, phase_s: f64) -> Self {
        Self {
            model,
            rng: SimRng::for_stream(sc.seed, name),
            period_steps: ((1.0 / (rate_hz * sc.step)).round() as u64).max(1),
            phase_steps: (phase_s / sc.step).round() as u64,
        }
    }

    fn due(&self, step: u64) -> bool {
        step >= self.phase_steps && (step - self.phase_steps).is_multiple_of(self.period_steps)
    }
}

/// The first contact between the ego and an actor.
#[derive(Debug, Clone, PartialEq)]
pub struct Collision {
    /// Simulation time, seconds.
    pub time: f64,
    /// Name of the actor hit.
    pub actor: String,
    /// Ego speed at contact, m/s.
    pub ego_speed: f64,
}

/// What the world shows at one instant.
#[derive(Debug, Clone)]
pub struct Observation {
    /// Messages of the sensors due now (camera, LiDAR, radar order), sensor frames.
    pub messages: Vec<SensorMessage>,
    /// Ground truth now.
    pub truth: GroundTruthFrame,
}

/// Road, ego, actors and sensors of one run.
#[derive(Debug)]
pub struct World {
    scenario: Scenario,
    road: Road,
    rig: Rig,
    ego: EgoVehicle,
    ego_s: f64,
    actors: Vec<Actor>,
    step_index: u64,
    step_ns: u64,
    camera: Option<Scheduled<CameraModel>>,
    lidar: Option<Scheduled<LidarModel>>,
    radar: Option<Scheduled<RadarModel>>,
    collision: Option<Collision>,
}

impl World {
    /// Builds the world at time 0 (checks the scenario first).
    pub fn new(scenario: &Scenario) -> Result<Self, SimError> {
        scenario.check()?;
        let road = Road::new(scenario.road.clone(), &scenario.name)?;
        let rig = sim_rig::sim_rig(scenario.sensors.lidar_pattern);
        let (p, h) = road.to_world(scenario.ego.s, road.lane_centre(scenario.ego.lane));
        let ego = EgoVehicle::new(EgoParams::default(), p.x, p.y, h, scenario.ego.speed);
        let actors = scenario
            .actors
            .iter()
            .enumerate()
            .map(|(i, a)| Actor::new(i as u32 + 1, a, &road))
            .collect();
        let ext = |name: &str| {
            rig.sensor(name).map(|s| s.extrinsics).ok_or_else(|| {
                SimError::Sensor(kestrel_sensors::SensorError::UnknownSensor(name.into()))
            })
        };
        let sw = scenario.sensors;
        let camera = if sw.camera {
            let model = CameraModel::new(
                CAMERA,
                sim_rig::camera_intrinsics(),
                ext(CAMERA)?,
                &scenario.weather,
            )?;
            Some(Scheduled::new(
                model,
                scenario,
                CAMERA,
                sim_rig::CAMERA_RATE_HZ,
                0.02,
            ))
        } else {
            None
        };
        let lidar = sw
            .lidar
            .then(|| -> Result<_, SimError> {
                let model = LidarModel::for_pattern(
                    LIDAR,
                    sw.lidar_pattern,
                    ext(LIDAR)?,
                    &scenario.weather,
                    sim_rig::LIDAR_RATE_HZ,
                );
                Ok(Scheduled::new(
                    model,
                    scenario,
                    LIDAR,
                    sim_rig::LIDAR_RATE_HZ,
                    0.0,
                ))
            })
            .transpose()?;
        let radar = sw
            .radar
            .then(|| -> Result<_, SimError> {
                let model = RadarModel::new(
                    RADAR,
                    ext(RADAR)?,
                    sim_rig::RADAR_FOV,
                    sim_rig::RADAR_MAX_RANGE,
                    &scenario.weather,
                );
                Ok(Scheduled::new(
                    model,
                    scenario,
                    RADAR,
                    sim_rig::RADAR_RATE_HZ,
                    0.01,
                ))
            })
            .transpose()?;
        Ok(Self {
            scenario: scenario.clone(),
            road,
            rig,
            ego,
            ego_s: scenario.ego.s,
            actors,
            step_index: 0,
            step_ns: (scenario.step * 1e9).round() as u64,
            camera,
            lidar,
            radar,
            collision: None,
        })
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The road.
    pub fn road(&self) -> &Road {
        &self.road
    }

    /// The simulated vehicle's rig (extrinsics of every emitted message's sensor frame).
    pub fn rig(&self) -> &Rig {
        &self.rig
    }

    /// The ego vehicle.
    pub fn ego(&self) -> &EgoVehicle {
        &self.ego
    }

    /// Simulation time of the current instant.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::from_nanos(self.step_index * self.step_ns)
    }

    /// Simulation time of the current instant, seconds.
    pub fn time(&self) -> f64 {
        self.step_index as f64 * self.scenario.step
    }

    /// True once the scenario's duration has elapsed.
    pub fn finished(&self) -> bool {
        self.time() >= self.scenario.duration - 1e-9
    }

    /// The first ego-actor contact so far, if any.
    pub fn collision(&self) -> Option<&Collision> {
        self.collision.as_ref()
    }

    /// Ground truth of the current instant.
    pub fn truth(&self) -> GroundTruthFrame {
        let pose = self.ego.pose();
        let st = self.ego.state;
        let (_, d) = self.road.project(&Point2::new(st.x, st.y), self.ego_s);
        let actors = self
            .actors
            .iter()
            .map(|a| {
                let (box_world, velocity_world) = a.world_state(&self.road);
                let (box_vehicle, velocity_vehicle) =
                    GroundTruthFrame::actor_in_vehicle_frame(&pose, &box_world, &velocity_world);
                ActorTruth {
                    id: a.id,
                    name: a.spec.name.clone(),
                    class: a.spec.class,
                    box_world,
                    velocity_world,
                    box_vehicle,
                    velocity_vehicle,
                }
            })
            .collect();
        GroundTruthFrame {
            timestamp: self.timestamp(),
            ego: EgoTruth {
                pose,
                yaw: st.yaw,
                speed: st.speed,
                accel: st.accel,
                yaw_rate: st.yaw_rate,
                s: self.ego_s,
                d,
                body: self.ego.body(),
            },
            actors,
        }
    }

    /// Ground truth now and the messages of every sensor due now.
    pub fn observe(&mut self) -> Result<Observation, SimError> {
        let truth = self.truth();
        let step = self.step_index;
        let mut messages = Vec::new();
        if let Some(c) = self.camera.as_mut().filter(|c| c.due(step)) {
            messages.push(SensorMessage::Camera(
                c.model.render(&truth, &self.road, &mut c.rng)?,
            ));
        }
        if let Some(l) = self.lidar.as_mut().filter(|l| l.due(step)) {
            messages.push(SensorMessage::Lidar(l.model.scan(&truth, &mut l.rng)));
        }
        if let Some(r) = self.radar.as_mut().filter(|r| r.due(step)) {
            messages.push(SensorMessage::Radar(r.model.scan(&truth, &mut r.rng)));
        }
        Ok(Observation { messages, truth })
    }

    /// Curvature (1/m) that the built-in lane keeper asks for: pure pursuit on the centre of
    /// the ego's lane, look-ahead max(6 m, 0.8 s of travel).
    pub fn lane_keeping_curvature(&self) -> f64 {
        let st = self.ego.state;
        let look = (0.8 * st.speed).max(6.0);
        let (target, _) = self.road.to_world(
            self.ego_s + look,
            self.road.lane_centre(self.scenario.ego.lane),
        );
        let local = self.ego.pose().inverse() * Point3::new(target.x, target.y, 0.0);
        2.0 * local.y / (local.x * local.x + local.y * local.y)
    }

    /// Applies `command` for one step: actors move, the ego moves, contacts are checked.
    pub fn advance(&mut self, command: EgoCommand) {
        let dt = self.scenario.step;
        let t = self.time();
        let ego_d = self.truth_ego_d();
        let leaders: Vec<Option<Leader>> = (0..self.actors.len())
            .map(|i| self.leader_of(i, ego_d))
            .collect();
        for (a, leader) in self.actors.iter_mut().zip(leaders) {
            a.step(t, dt, &self.road, leader);
        }
        let accel = match command.longitudinal {
            Longitudinal::Acceleration(a) => a,
            Longitudinal::TargetSpeed(v) => 1.0 * (v - self.ego.state.speed),
        };
        let curvature = match command.lateral {
            Lateral::Curvature(k) => k,
            Lateral::SteeringAngle(delta) => delta.tan() / self.ego.params.wheelbase,
            Lateral::KeepLane => self.lane_keeping_curvature(),
        };
        self.ego.step(accel, curvature, dt);
        let st = self.ego.state;
        self.ego_s = self.road.project(&Point2::new(st.x, st.y), self.ego_s).0;
        self.step_index += 1;
        if self.collision.is_none() {
            let body = self.ego.body();
            if let Some(a) = self
                .actors
                .iter()
                .find(|a| boxes_overlap(&body, &a.world_state(&self.road).0))
            {
                self.collision = Some(Collision {
                    time: self.time(),
                    actor: a.spec.name.clone(),
                    ego_speed: st.speed,
                });
            }
        }
    }

    /// The nearest road user ahead of actor `i` in its lane (other actors and the ego).
    fn leader_of(&self, i: usize, ego_d: f64) -> Option<Leader> {
        let me = &self.actors[i];
        let half_lane = self.road.lane_width() / 2.0;
        let ego_centre_s = self.ego_s + self.ego.params.centre_offset();
        let others = self
            .actors
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, o)| (o.s, o.d, o.length(), o.speed))
            .chain(std::iter::once((
                ego_centre_s,
                ego_d,
                self.ego.params.length,
                self.ego.state.speed,
            )));
        others
            .filter(|&(s, d, _, _)| s > me.s && (d - me.d).abs() < half_lane)
            .map(|(s, _, len, speed)| Leader {
                gap: s - me.s - (len + me.length()) / 2.0,
                speed,
            })
            .min_by(|a, b| a.gap.total_cmp(&b.gap))
    }

    fn truth_ego_d(&self) -> f64 {
        let st = self.ego.state;
        self.road.project(&Point2::new(st.x, st.y), self.ego_s).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_keeper_follows_a_curve_while_speed_changes() {
        let sc = crate::scenario_library::load("cut_in").unwrap();
        let sc = Scenario {
            actors: Vec::new(),
            criteria: Default::default(),
            ..sc
        };
        let mut w = World::new(&sc).unwrap();
        let mut worst: f64 = 0.0;
        for i in 0..1000 {
            worst = worst.max(w.truth().ego.d.abs());
            let a = if (300..500).contains(&i) { -3.0 } else { 0.5 };
            w.advance(EgoCommand::accelerate_in_lane(a));
        }
        assert!(w.truth().ego.s > 150.0, "did not reach the curve");
        assert!(worst < 0.1, "left the lane centre by {worst} m");
    }
}
