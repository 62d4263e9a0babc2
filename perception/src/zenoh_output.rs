//! The zenoh output sink: fused objects as ROS 2 `TrackedObjects` / `DetectedObjects` on their
//! rmw_zenoh topics, health reports as `diagnostic_msgs/DiagnosticArray` on `/diagnostics`
//! ([`crate::diagnostics`]) and as JSON on a plain zenoh key.

use crate::diagnostics::diagnostic_array;
use crate::error::PerceptionError;
use crate::health::HealthReport;
use crate::object_messages::VEHICLE_FRAME_ID;
use crate::output::{EncodedFrame, OutputSink};
use crate::rmw_zenoh::{RosMessageType, RosNode, RosNodeName, RosPublisher};
use crate::ros_qos::{Durability, History, Reliability, RosQos};
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::diagnostic_msgs::DiagnosticArray;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use zenoh::Wait;

/// Pause between a subscriber becoming known and the first publication.
pub const SUBSCRIBER_SETTLE: Duration = Duration::from_millis(300);

/// ROS 2 side of the output (the `[ros]` table of the configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosOutputSettings {
    /// ROS domain id.
    pub domain_id: u32,
    /// Node namespace (`/` for none).
    pub namespace: String,
    /// Node name.
    pub node_name: String,
    /// Topic of `autoware_perception_msgs/msg/TrackedObjects`.
    pub tracked_topic: String,
    /// Topic of `autoware_perception_msgs/msg/DetectedObjects`.
    pub detected_topic: String,
    /// Plain zenoh key of the JSON health reports (not a ROS topic); empty: none.
    pub health_key: String,
    /// ROS topic of the health reports as `diagnostic_msgs/msg/DiagnosticArray`; empty: none.
    pub diagnostics_topic: String,
    /// Publisher reliability.
    pub reliability: Reliability,
    /// Publisher durability (announced; Kestrel keeps no history).
    pub durability: Durability,
    /// Publisher history: `keep_last` (the default, as Autoware's perception publishers) drops
    /// a frame whose link is congested rather than delay the next one; `keep_all` (with
    /// `reliable`) waits, so every frame reaches every matched subscriber.
    #[serde(default = "keep_last")]
    pub history: History,
    /// KEEP_LAST depth announced.
    pub depth: u32,
    /// Before publishing, wait up to this long for a subscriber to either object topic
    /// (zenoh drops samples nobody is known to want yet), seconds.
    pub wait_for_subscribers_s: f64,
    /// `header.frame_id` of the object messages, and so the frame their poses are in:
    /// `base_link` (the default) is the vehicle frame; any other name (Autoware: `map`) is
    /// the fixed frame of the input's odometry poses (see `world_frame`).
    #[serde(default = "vehicle_frame_id")]
    pub frame_id: String,
}

fn keep_last() -> History {
    History::KeepLast
}

fn vehicle_frame_id() -> String {
    VEHICLE_FRAME_ID.into()
}

impl Default for RosOutputSettings {
    fn default() -> Self {
        let qos = RosQos::default();
        Self {
            domain_id: 0,
            namespace: "/".into(),
            node_name: "kestrel_perception".into(),
            tracked_topic: "/perception/object_recognition/tracking/objects".into(),
            detected_topic: "/perception/object_recognition/detection/objects".into(),
            health_key: "kestrel/health".into(),
            diagnostics_topic: "/diagnostics".into(),
            reliability: qos.reliability,
            durability: qos.durability,
            history: qos.history,
            depth: qos.depth,
            wait_for_subscribers_s: 0.0,
            frame_id: vehicle_frame_id(),
        }
    }
}

impl RosOutputSettings {
    /// The QoS announced by the publishers.
    pub fn qos(&self) -> RosQos {
        RosQos {
            reliability: self.reliability,
            durability: self.durability,
            history: self.history,
            depth: self.depth,
        }
    }

    /// The node identity.
    pub fn node(&self) -> RosNodeName {
        RosNodeName {
            domain_id: self.domain_id,
            namespace: self.namespace.clone(),
            name: self.node_name.clone(),
            enclave: "/".into(),
        }
    }
}

/// Publishes every frame on zenoh following rmw_zenoh.
pub struct ZenohOutput {
    session: zenoh::Session,
    _node: RosNode,
    tracked: RosPublisher,
    detected: RosPublisher,
    diagnostics: Option<RosPublisher>,
    node_name: String,
    health_key: String,
}

impl ZenohOutput {
    /// Declares the node, its two publishers and the health key on `session`; with
    /// `wait_for_subscribers_s` > 0, waits up to that long for a subscriber to either topic.
    pub fn new(
        session: &zenoh::Session,
        settings: &RosOutputSettings,
    ) -> Result<Self, PerceptionError> {
        let mut node = RosNode::declare(session, settings.node())?;
        let tracked = node.publisher(
            &settings.tracked_topic,
            RosMessageType::tracked_objects(),
            settings.qos(),
        )?;
        let detected = node.publisher(
            &settings.detected_topic,
            RosMessageType::detected_objects(),
            settings.qos(),
        )?;
        let diagnostics = if settings.diagnostics_topic.is_empty() {
            None
        } else {
            Some(node.publisher(
                &settings.diagnostics_topic,
                RosMessageType::of::<DiagnosticArray>()?,
                settings.qos(),
            )?)
        };
        let wait = settings.wait_for_subscribers_s;
        if !(wait.is_finite() && wait >= 0.0) {
            return Err(PerceptionError::Config(format!(
                "ros.wait_for_subscribers_s = {wait} must be >= 0"
            )));
        }
        if wait > 0.0 {
            let start = Instant::now();
            loop {
                if tracked.has_subscriber() || detected.has_subscriber() {
                    // Matching is known before the route to the new subscriber is settled on
                    // every link; give it a moment so the first sample is not lost.
                    std::thread::sleep(SUBSCRIBER_SETTLE);
                    break;
                }
                if start.elapsed().as_secs_f64() >= wait {
                    tracing::warn!("no subscriber after {wait} s; publishing anyway");
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Ok(Self {
            session: session.clone(),
            _node: node,
            tracked,
            detected,
            diagnostics,
            node_name: settings.node_name.clone(),
            health_key: settings.health_key.clone(),
        })
    }

    /// Key expression of the tracked-objects topic.
    pub fn tracked_key_expr(&self) -> &str {
        self.tracked.key_expr()
    }

    /// Whether a subscriber is known for (tracked, detected) objects.
    pub fn has_subscribers(&self) -> (bool, bool) {
        (
            self.tracked.has_subscriber(),
            self.detected.has_subscriber(),
        )
    }

    /// Key expression of the detected-objects topic.
    pub fn detected_key_expr(&self) -> &str {
        self.detected.key_expr()
    }
}

impl OutputSink for ZenohOutput {
    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        self.tracked.publish(&frame.tracked_cdr, frame.stamp)?;
        self.detected.publish(&frame.detected_cdr, frame.stamp)?;
        Ok(())
    }

    fn on_health(&mut self, report: &HealthReport) -> Result<(), PerceptionError> {
        if let Some(p) = &mut self.diagnostics {
            let cdr = diagnostic_array(report, &self.node_name).to_cdr()?;
            p.publish(&cdr, report.stamp)?;
        }
        if self.health_key.is_empty() {
            return Ok(());
        }
        let json = serde_json::to_vec(report)
            .map_err(|e| PerceptionError::Wire(format!("health report as JSON: {e}")))?;
        self.session
            .put(self.health_key.as_str(), json)
            .wait()
            .map_err(PerceptionError::zenoh("publish health"))
    }
}
