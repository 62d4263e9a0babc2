//! What a planning node needs to consume Kestrel's objects: subscribe to the rmw_zenoh topic,
//! check the attachment, decode the CDR and get typed objects — by iterator or callback.
//!
//! ```no_run
//! use kestrel_perception::planner_client::{ObjectTopic, PlannerClient};
//! use kestrel_perception::zenoh_session::ZenohSettings;
//! use std::time::Duration;
//!
//! let session = ZenohSettings {
//!     listen: vec![],
//!     connect: vec!["tcp/127.0.0.1:7450".into()],
//!     ..ZenohSettings::default()
//! }
//! .open()?;
//! let client = PlannerClient::subscribe(
//!     &session,
//!     0,
//!     "/perception/object_recognition/tracking/objects",
//!     ObjectTopic::Tracked,
//! )?;
//! while let Some(msg) = client.recv_timeout(Duration::from_secs(5))? {
//!     for o in msg.records() {
//!         println!("track {:?} {} at {:?}", o.track_id, o.class, o.position);
//!     }
//! }
//! # Ok::<(), kestrel_perception::PerceptionError>(())
//! ```

use crate::error::PerceptionError;
use crate::object_messages::{ObjectRecord, detected_records, tracked_records};
use crate::rmw_zenoh::{Attachment, RosMessageType, topic_key_expr};
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::autoware_perception_msgs::{DetectedObjects, TrackedObjects};
use kestrel_sensors::Timestamp;
use std::time::Duration;
use zenoh::Wait;
use zenoh::handlers::FifoChannelHandler;
use zenoh::pubsub::Subscriber;
use zenoh::sample::Sample;

/// Which object message a topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectTopic {
    /// `autoware_perception_msgs/msg/TrackedObjects`.
    Tracked,
    /// `autoware_perception_msgs/msg/DetectedObjects`.
    Detected,
}

impl ObjectTopic {
    /// The ROS message type of the topic.
    pub fn message_type(self) -> RosMessageType {
        match self {
            ObjectTopic::Tracked => RosMessageType::tracked_objects(),
            ObjectTopic::Detected => RosMessageType::detected_objects(),
        }
    }
}

/// A decoded object message.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectsMessage {
    /// Tracks.
    Tracked(TrackedObjects),
    /// Single-frame detections.
    Detected(DetectedObjects),
}

/// One received sample, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedObjects {
    /// Key expression it arrived on.
    pub key_expr: String,
    /// rmw_zenoh attachment (sequence number, source timestamp, publisher GID).
    pub attachment: Attachment,
    /// The message.
    pub message: ObjectsMessage,
    /// Its CDR bytes as received.
    pub cdr: Vec<u8>,
}

impl ReceivedObjects {
    /// `header.stamp` of the message (sensor clock), ns.
    pub fn stamp(&self) -> Timestamp {
        match &self.message {
            ObjectsMessage::Tracked(m) => m.header.stamp.to_timestamp(),
            ObjectsMessage::Detected(m) => m.header.stamp.to_timestamp(),
        }
    }

    /// The objects as plain records (vehicle frame).
    pub fn records(&self) -> Vec<ObjectRecord> {
        match &self.message {
            ObjectsMessage::Tracked(m) => tracked_records(m),
            ObjectsMessage::Detected(m) => detected_records(m),
        }
    }
}

/// A subscription to one object topic.
pub struct PlannerClient {
    topic: ObjectTopic,
    key_expr: String,
    subscriber: Subscriber<FifoChannelHandler<Sample>>,
}

impl PlannerClient {
    /// Subscribes on `session` to `topic` (fully qualified ROS name) in `domain_id`.
    pub fn subscribe(
        session: &zenoh::Session,
        domain_id: u32,
        topic: &str,
        kind: ObjectTopic,
    ) -> Result<Self, PerceptionError> {
        let key_expr = topic_key_expr(domain_id, topic, &kind.message_type());
        let subscriber = session
            .declare_subscriber(key_expr.clone())
            .wait()
            .map_err(PerceptionError::zenoh("declare subscriber"))?;
        Ok(Self {
            topic: kind,
            key_expr,
            subscriber,
        })
    }

    /// The key expression subscribed to.
    pub fn key_expr(&self) -> &str {
        &self.key_expr
    }

    /// Decodes one sample (attachment and CDR).
    pub fn decode(&self, sample: &Sample) -> Result<ReceivedObjects, PerceptionError> {
        let key_expr = sample.key_expr().as_str().to_owned();
        let attachment = sample
            .attachment()
            .map(|a| Attachment::from_bytes(&a.to_bytes()))
            .ok_or_else(|| {
                PerceptionError::Wire(format!("sample on {key_expr} has no rmw_zenoh attachment"))
            })??;
        let cdr = sample.payload().to_bytes().into_owned();
        let message = match self.topic {
            ObjectTopic::Tracked => ObjectsMessage::Tracked(TrackedObjects::from_cdr(&cdr)?),
            ObjectTopic::Detected => ObjectsMessage::Detected(DetectedObjects::from_cdr(&cdr)?),
        };
        Ok(ReceivedObjects {
            key_expr,
            attachment,
            message,
            cdr,
        })
    }

    /// Waits up to `timeout` for the next message; `Ok(None)` on timeout. A sample that does
    /// not decode is an error for that sample; the subscription stays usable.
    pub fn recv_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Option<ReceivedObjects>, PerceptionError> {
        match self.subscriber.recv_timeout(timeout) {
            Ok(Some(sample)) => self.decode(&sample).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(PerceptionError::zenoh("receive")(e)),
        }
    }

    /// Calls `on_message` for every message until it returns false or nothing arrives for
    /// `idle_timeout`. Returns the number of messages handled.
    pub fn run(
        &self,
        idle_timeout: Duration,
        mut on_message: impl FnMut(Result<ReceivedObjects, PerceptionError>) -> bool,
    ) -> Result<u64, PerceptionError> {
        let mut n = 0;
        loop {
            let item = match self.subscriber.recv_timeout(idle_timeout) {
                Ok(Some(sample)) => self.decode(&sample),
                Ok(None) => return Ok(n),
                Err(e) => return Err(PerceptionError::zenoh("receive")(e)),
            };
            n += 1;
            if !on_message(item) {
                return Ok(n);
            }
        }
    }
}
