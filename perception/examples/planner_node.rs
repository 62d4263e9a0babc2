//! A minimal planning node: subscribes to Kestrel's tracked objects over zenoh (the same bytes a
//! ROS 2 node with rmw_zenoh receives), decodes them, and acts on them — here, it reports the
//! closest object ahead in the ego lane and a time to collision.
//!
//! Start the stack, then this node:
//! ```sh
//! cargo run -p kestrel-perception -- run                       # listens on tcp/127.0.0.1:7450
//! cargo run -p kestrel-perception --example planner_node       # connects to it
//! cargo run -p kestrel-perception --example planner_node -- tcp/127.0.0.1:7447   # via rmw_zenohd
//! ```
//! Copy this file to start a planner: replace `act_on` with your logic.

use kestrel_perception::object_messages::ObjectRecord;
use kestrel_perception::planner_client::{ObjectTopic, PlannerClient, ReceivedObjects};
use kestrel_perception::zenoh_output::RosOutputSettings;
use kestrel_perception::zenoh_session::{DEFAULT_ENDPOINT, ZenohSettings};
use std::time::Duration;

/// Half width of the ego lane, metres (vehicle frame y).
const LANE_HALF_WIDTH_M: f64 = 1.8;

/// The planner's decision for one message: the nearest object in the lane ahead and the time
/// to reach it at the current closing speed.
fn act_on(msg: &ReceivedObjects) {
    let objects = msg.records();
    let in_lane =
        |o: &&ObjectRecord| o.position[0] > 0.0 && o.position[1].abs() < LANE_HALF_WIDTH_M;
    let nearest = objects
        .iter()
        .filter(in_lane)
        .min_by(|a, b| a.position[0].total_cmp(&b.position[0]));
    match nearest {
        Some(o) => {
            // Closing speed: the object's own velocity along x (ego-relative in this frame).
            let closing = -o.velocity.map_or(0.0, |v| v[0]);
            let ttc = if closing > 0.1 {
                format!("{:.1} s", o.position[0] / closing)
            } else {
                "none (not closing)".to_string()
            };
            println!(
                "t={} {} objects; lead: track {:?} {} at {:.1} m, TTC {ttc}",
                msg.stamp(),
                objects.len(),
                o.track_id,
                o.class,
                o.position[0]
            );
        }
        None => println!("t={} {} objects; lane clear", msg.stamp(), objects.len()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
    let session = ZenohSettings {
        listen: vec![],
        connect: vec![endpoint.clone()],
        ..ZenohSettings::default()
    }
    .open()?;
    let ros = RosOutputSettings::default();
    let client = PlannerClient::subscribe(
        &session,
        ros.domain_id,
        &ros.tracked_topic,
        ObjectTopic::Tracked,
    )?;
    println!(
        "planner_node: {endpoint}, subscribed to {}",
        client.key_expr()
    );
    let n = client.run(Duration::from_secs(30), |item| {
        match item {
            Ok(msg) => act_on(&msg),
            Err(e) => eprintln!("skipping undecodable message: {e}"),
        }
        true
    })?;
    println!("planner_node: {n} messages, idle for 30 s, exiting");
    Ok(())
}
