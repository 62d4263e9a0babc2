//! Per-frame ground truth: the ego's state and every actor's box and velocity in the world
//! frame and in the ego's vehicle frame; and the "oracle" perception built from it.

use crate::observed_object::ObservedObject;
use kestrel_sensors::{ObjectClass, OrientedBox3, Timestamp};
use nalgebra::{Isometry3, Vector2, Vector3};

/// The ego at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EgoTruth {
    /// Vehicle frame -> world frame.
    pub pose: Isometry3<f64>,
    /// Heading in the world frame, radians.
    pub yaw: f64,
    /// Speed, m/s.
    pub speed: f64,
    /// Longitudinal acceleration, m/s^2.
    pub accel: f64,
    /// Yaw rate, rad/s.
    pub yaw_rate: f64,
    /// Arc length of the rear axle along the road, metres.
    pub s: f64,
    /// Lateral offset of the rear axle from the road's reference line, metres.
    pub d: f64,
    /// The ego's body box, world frame.
    pub body: OrientedBox3,
}

/// One actor at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorTruth {
    /// Stable id (1-based index in the scenario's actor list).
    pub id: u32,
    /// Name from the scenario.
    pub name: String,
    /// Class.
    pub class: ObjectClass,
    /// Box in the world frame.
    pub box_world: OrientedBox3,
    /// Velocity over ground in the world frame, m/s.
    pub velocity_world: Vector2<f64>,
    /// Box in the ego's vehicle frame.
    pub box_vehicle: OrientedBox3,
    /// Velocity over ground, expressed in the vehicle frame's axes, m/s.
    pub velocity_vehicle: Vector2<f64>,
}

impl ActorTruth {
    /// Horizontal distance from the vehicle-frame origin to the box centre, metres.
    pub fn range(&self) -> f64 {
        self.box_vehicle.center.x.hypot(self.box_vehicle.center.y)
    }
}

/// Everything true at one simulation instant.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruthFrame {
    /// Simulation time.
    pub timestamp: Timestamp,
    /// The ego.
    pub ego: EgoTruth,
    /// All actors, in scenario order.
    pub actors: Vec<ActorTruth>,
}

impl GroundTruthFrame {
    /// Builds the vehicle-frame views of world-frame actor states for an ego `pose`.
    pub fn actor_in_vehicle_frame(
        pose: &Isometry3<f64>,
        box_world: &OrientedBox3,
        velocity_world: &Vector2<f64>,
    ) -> (OrientedBox3, Vector2<f64>) {
        let inv = pose.inverse();
        let v = inv.rotation * Vector3::new(velocity_world.x, velocity_world.y, 0.0);
        (box_world.transformed(&inv), Vector2::new(v.x, v.y))
    }

    /// Perfect perception: every actor within `max_range` metres of the vehicle origin as an
    /// [`ObservedObject`] with its true position, velocity and class, track id = actor id.
    pub fn oracle(&self, max_range: f64) -> Vec<ObservedObject> {
        self.actors
            .iter()
            .filter(|a| a.range() <= max_range)
            .map(|a| ObservedObject {
                position: a.box_vehicle.center,
                velocity: a.velocity_vehicle,
                class: a.class,
                track_id: a.id as u64,
            })
            .collect()
    }
}
