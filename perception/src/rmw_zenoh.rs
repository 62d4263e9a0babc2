//! The whole ROS 2 / rmw_zenoh mapping of the runtime, in one place: how a ROS 2 topic becomes a
//! zenoh key expression, what the per-sample attachment holds, how publishers and nodes announce
//! themselves (liveliness tokens) and how their GIDs are derived — so that an unmodified ROS 2
//! node running `rmw_zenoh_cpp` (Jazzy or newer) subscribes to Kestrel's objects like to any
//! other ROS 2 publisher, and a plain Rust subscriber decodes the same bytes.
//!
//! Source of truth: `ros2/rmw_zenoh`, `rmw_zenoh_cpp/src/detail/liveliness_utils.cpp`
//! (`TopicInfo`, `Entity`, `qos_to_keyexpr`, `mangle_name`), `attachment_helpers.cpp`
//! (`AttachmentData::serialize_to_zbytes`), `rmw_publisher_data.cpp` (sequence numbers start at
//! 1, one per `publish`), `qos.cpp` (default QoS); the attachment uses the zenoh-ext
//! serialization format (little-endian integers, LEB128 sequence lengths).
//!
//! - topic key: `<domain>/<topic without leading/trailing '/'>/<dds type>/<RIHS01 hash>`, e.g.
//!   `0/perception/objects/autoware_perception_msgs::msg::dds_::TrackedObjects_/RIHS01_…`;
//! - payload: CDR with its 4-byte encapsulation header (`00 01 00 00`, little-endian);
//! - attachment (33 bytes): sequence number `i64` LE, source timestamp `i64` LE (ns),
//!   `0x10` (sequence length 16), 16-byte GID;
//! - liveliness token: `@ros2_lv/<domain>/<zid>/<node id>/<entity id>/<MP|NN>/<enclave>/
//!   <namespace>/<node name>[/<topic>/<dds type>/<hash>/<qos>]` with '/' mangled to '%';
//! - GID: XXH3-128 of the liveliness key expression, low 64 bits then high 64 bits, each LE.

use crate::error::PerceptionError;
use crate::ros_qos::RosQos;
use kestrel_log::msg_schema::Schema;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::autoware_perception_msgs::{DetectedObjects, TrackedObjects};
use kestrel_log::type_hash::rihs01;
use kestrel_sensors::Timestamp;
use zenoh::Wait;

/// Size of a ROS 2 GID in rmw_zenoh (`RMW_GID_STORAGE_SIZE`, Jazzy and newer).
pub const GID_SIZE: usize = 16;

/// Size of the serialized attachment in bytes: two `i64`, a length byte and the GID.
pub const ATTACHMENT_SIZE: usize = 8 + 8 + 1 + GID_SIZE;

/// Liveliness admin space of rmw_zenoh.
pub(crate) const ADMIN_SPACE: &str = "@ros2_lv";

/// A ROS 2 message type: its full name and the type hash that goes into key expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosMessageType {
    /// Full ROS name, `package/msg/Type`.
    pub name: String,
    /// `RIHS01_<hex>` type description hash (REP-2011).
    pub hash: String,
}

impl RosMessageType {
    /// The type of a wire message, with its REP-2011 hash computed (by `kestrel_log`) from the
    /// same ros2msg definition the CDR codec and MCAP schemas use.
    pub fn of<M: RosMessage>() -> Result<Self, PerceptionError> {
        Self::from_definition(M::type_name(), &M::schema_text())
    }

    /// The type `name` (`pkg/msg/Type`) with the rosbag2-style definition text `schema`.
    pub fn from_definition(name: &str, schema: &str) -> Result<Self, PerceptionError> {
        let parsed = Schema::parse(name, schema)
            .map_err(|e| PerceptionError::Config(format!("definition of `{name}`: {e}")))?;
        Ok(Self {
            name: name.to_owned(),
            hash: rihs01(&parsed),
        })
    }

    /// `autoware_perception_msgs/msg/TrackedObjects`.
    pub fn tracked_objects() -> Self {
        Self::of::<TrackedObjects>().expect("compiled-in definition parses")
    }

    /// `autoware_perception_msgs/msg/DetectedObjects`.
    pub fn detected_objects() -> Self {
        Self::of::<DetectedObjects>().expect("compiled-in definition parses")
    }

    /// The DDS-mangled type name rmw_zenoh uses: `pkg/msg/T` -> `pkg::msg::dds_::T_`.
    pub fn dds_name(&self) -> String {
        match self.name.rsplit_once('/') {
            Some((prefix, ty)) => format!("{}::dds_::{ty}_", prefix.replace('/', "::")),
            None => format!("{}_", self.name),
        }
    }
}

/// Replaces every '/' by '%' (rmw_zenoh `mangle_name`), so names fit in one key chunk.
pub fn mangle(name: &str) -> String {
    name.replace('/', "%")
}

/// The zenoh key expression of a ROS 2 topic in rmw_zenoh: `<domain>/<topic>/<dds type>/<hash>`.
/// `topic` is the fully qualified ROS name (`/perception/objects`).
pub fn topic_key_expr(domain_id: u32, topic: &str, ty: &RosMessageType) -> String {
    format!(
        "{domain_id}/{}/{}/{}",
        topic.trim_matches('/'),
        ty.dds_name(),
        ty.hash
    )
}

/// The ROS 2 node that owns Kestrel's publishers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosNodeName {
    /// ROS domain id (`ROS_DOMAIN_ID`).
    pub domain_id: u32,
    /// Namespace, `/` for none.
    pub namespace: String,
    /// Node name.
    pub name: String,
    /// Security enclave, `/` for none.
    pub enclave: String,
}

impl RosNodeName {
    /// The node's own liveliness token (`NN` entity; rmw_zenoh uses the node id as entity id).
    pub fn node_token(&self, zid: &str, node_id: u64) -> String {
        format!(
            "{ADMIN_SPACE}/{}/{zid}/{node_id}/{node_id}/NN/{}/{}/{}",
            self.domain_id,
            mangle(&self.enclave),
            mangle(&self.namespace),
            mangle(&self.name)
        )
    }

    /// A publisher's liveliness token (`MP` entity).
    pub fn publisher_token(
        &self,
        zid: &str,
        node_id: u64,
        entity_id: u64,
        topic: &str,
        ty: &RosMessageType,
        qos: &RosQos,
    ) -> String {
        self.endpoint_token("MP", zid, node_id, entity_id, topic, ty, qos)
    }

    /// A subscription's liveliness token (`MS` entity), what `ros2 topic info` counts as a
    /// subscriber.
    pub fn subscriber_token(
        &self,
        zid: &str,
        node_id: u64,
        entity_id: u64,
        topic: &str,
        ty: &RosMessageType,
        qos: &RosQos,
    ) -> String {
        self.endpoint_token("MS", zid, node_id, entity_id, topic, ty, qos)
    }

    #[allow(clippy::too_many_arguments)]
    fn endpoint_token(
        &self,
        kind: &str,
        zid: &str,
        node_id: u64,
        entity_id: u64,
        topic: &str,
        ty: &RosMessageType,
        qos: &RosQos,
    ) -> String {
        format!(
            "{ADMIN_SPACE}/{}/{zid}/{node_id}/{entity_id}/{kind}/{}/{}/{}/{}/{}/{}/{}",
            self.domain_id,
            mangle(&self.enclave),
            mangle(&self.namespace),
            mangle(&self.name),
            mangle(topic),
            mangle(&ty.dds_name()),
            mangle(&ty.hash),
            qos.key_expr()
        )
    }
}

/// The GID rmw_zenoh derives for an entity from its liveliness key expression.
pub fn gid_of_token(token: &str) -> [u8; GID_SIZE] {
    xxhash_rust::xxh3::xxh3_128(token.as_bytes()).to_le_bytes()
}

/// The per-sample attachment of rmw_zenoh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attachment {
    /// Publisher's sequence number, starting at 1.
    pub sequence_number: i64,
    /// Source timestamp, nanoseconds (Kestrel: the output frame's sensor-clock time).
    pub source_timestamp: i64,
    /// The publisher's GID.
    pub source_gid: [u8; GID_SIZE],
}

impl Attachment {
    /// Serializes as rmw_zenoh does (zenoh-ext format): `i64` LE, `i64` LE, `0x10`, 16 bytes.
    pub fn to_bytes(&self) -> [u8; ATTACHMENT_SIZE] {
        let mut out = [0u8; ATTACHMENT_SIZE];
        out[0..8].copy_from_slice(&self.sequence_number.to_le_bytes());
        out[8..16].copy_from_slice(&self.source_timestamp.to_le_bytes());
        out[16] = GID_SIZE as u8;
        out[17..].copy_from_slice(&self.source_gid);
        out
    }

    /// Parses an attachment, checking its exact size and GID length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PerceptionError> {
        if bytes.len() != ATTACHMENT_SIZE || bytes[16] as usize != GID_SIZE {
            return Err(PerceptionError::Wire(format!(
                "rmw_zenoh attachment: expected {ATTACHMENT_SIZE} bytes with GID length \
                 {GID_SIZE}, got {} bytes",
                bytes.len()
            )));
        }
        let i64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[o..o + 8]);
            i64::from_le_bytes(b)
        };
        let mut source_gid = [0u8; GID_SIZE];
        source_gid.copy_from_slice(&bytes[17..]);
        Ok(Self {
            sequence_number: i64_at(0),
            source_timestamp: i64_at(8),
            source_gid,
        })
    }
}

/// Checks that `topic` is a fully qualified ROS name (`/a/b`).
fn check_topic(topic: &str) -> Result<(), PerceptionError> {
    if !topic.starts_with('/') || topic.len() < 2 || topic.contains("//") || topic.ends_with('/') {
        return Err(PerceptionError::Config(format!(
            "ROS topic `{topic}` must be fully qualified, like /perception/objects"
        )));
    }
    Ok(())
}

/// A ROS 2 node on a zenoh session: announces itself and hands out entity ids.
pub struct RosNode {
    session: zenoh::Session,
    name: RosNodeName,
    zid: String,
    node_id: u64,
    next_entity_id: u64,
    _token: zenoh::liveliness::LivelinessToken,
}

impl RosNode {
    /// Declares the node (liveliness token) on `session`. Node id 0; publishers get 1, 2, ...
    pub fn declare(session: &zenoh::Session, name: RosNodeName) -> Result<Self, PerceptionError> {
        Self::declare_numbered(session, name, 0)
    }

    /// Declares a further node on a session that has one already: node id `node_id`, its
    /// entities `node_id + 1`, ... (ids must be unique within the session, as rmw_zenoh's
    /// context-wide counter makes them).
    pub fn declare_numbered(
        session: &zenoh::Session,
        name: RosNodeName,
        node_id: u64,
    ) -> Result<Self, PerceptionError> {
        let zid = session.zid().to_string();
        let token = session
            .liveliness()
            .declare_token(name.node_token(&zid, node_id))
            .wait()
            .map_err(PerceptionError::zenoh("declare node liveliness token"))?;
        Ok(Self {
            session: session.clone(),
            name,
            zid,
            node_id,
            next_entity_id: node_id + 1,
            _token: token,
        })
    }

    /// The node's name and domain.
    pub fn name(&self) -> &RosNodeName {
        &self.name
    }

    /// Announces a subscription of `ty` on ROS topic `topic` (its `MS` liveliness token; the
    /// caller declares the zenoh subscriber itself). The token lives as long as the returned
    /// value.
    pub fn subscription_token(
        &mut self,
        topic: &str,
        ty: &RosMessageType,
        qos: &RosQos,
    ) -> Result<zenoh::liveliness::LivelinessToken, PerceptionError> {
        check_topic(topic)?;
        let entity_id = self.next_entity_id;
        self.next_entity_id += 1;
        let token_key =
            self.name
                .subscriber_token(&self.zid, self.node_id, entity_id, topic, ty, qos);
        self.session
            .liveliness()
            .declare_token(token_key)
            .wait()
            .map_err(PerceptionError::zenoh(
                "declare subscription liveliness token",
            ))
    }

    /// Declares a publisher of `ty` on ROS topic `topic` (fully qualified, `/a/b`). What a
    /// congested link does to its samples follows `qos` as in rmw_zenoh
    /// ([`RosQos::congestion_control`]): dropped, unless reliable KEEP_ALL.
    pub fn publisher(
        &mut self,
        topic: &str,
        ty: RosMessageType,
        qos: RosQos,
    ) -> Result<RosPublisher, PerceptionError> {
        self.declare_publisher(topic, ty, qos, qos.congestion_control())
    }

    /// Like [`RosNode::publisher`], but a congested link makes `publish` wait instead of
    /// dropping (what rmw_zenoh does for reliable KEEP_ALL publishers): for a log player,
    /// which must deliver every message it was asked to play.
    pub fn blocking_publisher(
        &mut self,
        topic: &str,
        ty: RosMessageType,
        qos: RosQos,
    ) -> Result<RosPublisher, PerceptionError> {
        self.declare_publisher(topic, ty, qos, zenoh::qos::CongestionControl::Block)
    }

    fn declare_publisher(
        &mut self,
        topic: &str,
        ty: RosMessageType,
        qos: RosQos,
        congestion: zenoh::qos::CongestionControl,
    ) -> Result<RosPublisher, PerceptionError> {
        check_topic(topic)?;
        let entity_id = self.next_entity_id;
        self.next_entity_id += 1;
        let key = topic_key_expr(self.name.domain_id, topic, &ty);
        let token_key =
            self.name
                .publisher_token(&self.zid, self.node_id, entity_id, topic, &ty, &qos);
        // The announced reliability is informational: zenoh's per-publisher reliability is
        // an unstable API, so samples always travel on the (reliable) TCP link.
        let publisher = self
            .session
            .declare_publisher(key.clone())
            .congestion_control(congestion)
            .wait()
            .map_err(PerceptionError::zenoh("declare publisher"))?;
        let token = self
            .session
            .liveliness()
            .declare_token(token_key.clone())
            .wait()
            .map_err(PerceptionError::zenoh("declare publisher liveliness token"))?;
        Ok(RosPublisher {
            gid: gid_of_token(&token_key),
            key,
            liveliness_key: token_key,
            publisher,
            next_sequence: 1,
            _token: token,
        })
    }
}

/// A ROS 2 publisher following rmw_zenoh: publishes CDR payloads with the rmw attachment.
pub struct RosPublisher {
    key: String,
    liveliness_key: String,
    gid: [u8; GID_SIZE],
    publisher: zenoh::pubsub::Publisher<'static>,
    next_sequence: i64,
    _token: zenoh::liveliness::LivelinessToken,
}

impl RosPublisher {
    /// The topic key expression.
    pub fn key_expr(&self) -> &str {
        &self.key
    }

    /// The liveliness token key expression.
    pub fn liveliness_key_expr(&self) -> &str {
        &self.liveliness_key
    }

    /// The publisher's GID.
    pub fn gid(&self) -> [u8; GID_SIZE] {
        self.gid
    }

    /// Publishes one CDR-encoded message (with its encapsulation header); returns the
    /// attachment that went with it.
    pub fn publish(
        &mut self,
        cdr: &[u8],
        source_time: Timestamp,
    ) -> Result<Attachment, PerceptionError> {
        let attachment = Attachment {
            sequence_number: self.next_sequence,
            source_timestamp: source_time.as_nanos().min(i64::MAX as u64) as i64,
            source_gid: self.gid,
        };
        self.publisher
            .put(cdr.to_vec())
            .attachment(attachment.to_bytes().to_vec())
            .wait()
            .map_err(PerceptionError::zenoh("publish"))?;
        self.next_sequence += 1;
        Ok(attachment)
    }

    /// True when zenoh knows at least one subscriber matching this publisher (zenoh drops
    /// samples nobody is known to want).
    pub fn has_subscriber(&self) -> bool {
        self.publisher
            .matching_status()
            .wait()
            .map(|s| s.matching())
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> RosNodeName {
        RosNodeName {
            domain_id: 0,
            namespace: "/".into(),
            name: "kestrel".into(),
            enclave: "/".into(),
        }
    }

    #[test]
    fn topic_key_expr_is_exact() {
        let ty = RosMessageType {
            name: "std_msgs/msg/String".into(),
            hash: "RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18".into(),
        };
        // The example of rmw_zenoh's design document for the demo `chatter` topic.
        assert_eq!(
            topic_key_expr(0, "/chatter", &ty),
            "0/chatter/std_msgs::msg::dds_::String_/\
             RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18"
        );
        assert_eq!(
            topic_key_expr(3, "/robot1/chatter/", &ty),
            "3/robot1/chatter/std_msgs::msg::dds_::String_/\
             RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18"
        );
        let tracked = RosMessageType::tracked_objects();
        assert_eq!(
            topic_key_expr(0, "/perception/objects", &tracked),
            format!(
                "0/perception/objects/autoware_perception_msgs::msg::dds_::TrackedObjects_/{}",
                tracked.hash
            )
        );
    }

    #[test]
    fn attachment_bytes_are_exact() {
        let gid: [u8; 16] = core::array::from_fn(|i| i as u8 + 0xa0);
        let a = Attachment {
            sequence_number: 1,
            source_timestamp: 0x0102_0304_0506_0708,
            source_gid: gid,
        };
        let bytes = a.to_bytes();
        let mut expected = vec![1, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1, 16];
        expected.extend_from_slice(&gid);
        assert_eq!(bytes.to_vec(), expected);
        assert_eq!(bytes.len(), 33);
        assert_eq!(Attachment::from_bytes(&bytes).unwrap(), a);
        assert!(Attachment::from_bytes(&bytes[..32]).is_err());
        let mut bad_len = bytes;
        bad_len[16] = 24;
        assert!(Attachment::from_bytes(&bad_len).is_err());
    }

    #[test]
    fn liveliness_tokens_are_exact() {
        let ty = RosMessageType {
            name: "autoware_perception_msgs/msg/TrackedObjects".into(),
            hash: "RIHS01_00".into(),
        };
        let zid = "1f2e3d4c5b6a79880123456789abcdef";
        assert_eq!(
            node().node_token(zid, 0),
            "@ros2_lv/0/1f2e3d4c5b6a79880123456789abcdef/0/0/NN/%/%/kestrel"
        );
        assert_eq!(
            node().publisher_token(zid, 0, 1, "/perception/objects", &ty, &RosQos::default()),
            "@ros2_lv/0/1f2e3d4c5b6a79880123456789abcdef/0/1/MP/%/%/kestrel/\
             %perception%objects/autoware_perception_msgs::msg::dds_::TrackedObjects_/\
             RIHS01_00/::,1:,:,:,,"
        );
        assert_eq!(
            node().subscriber_token(zid, 0, 3, "/kestrel/lidar/points", &ty, &RosQos::default()),
            "@ros2_lv/0/1f2e3d4c5b6a79880123456789abcdef/0/3/MS/%/%/kestrel/\
             %kestrel%lidar%points/autoware_perception_msgs::msg::dds_::TrackedObjects_/\
             RIHS01_00/::,1:,:,:,,"
        );
    }

    #[test]
    fn gid_is_xxh3_128_of_the_token_low_half_first() {
        // XXH3-128 of the empty input (xxHash reference test vector):
        // high64 = 99aa06d3014798d8, low64 = 6001c324468d497f.
        let gid = gid_of_token("");
        assert_eq!(
            gid,
            [
                0x7f, 0x49, 0x8d, 0x46, 0x24, 0xc3, 0x01, 0x60, 0xd8, 0x98, 0x47, 0x01, 0xd3, 0x06,
                0xaa, 0x99
            ]
        );
        assert_ne!(gid_of_token("a"), gid_of_token("b"));
    }

    // Hashes published by ROS 2 Jazzy (share/<pkg>/msg/<Type>.json, rmw_zenoh key expressions).
    #[test]
    fn type_hashes_match_ros2_published_values() {
        use kestrel_log::ros2_msg::definitions::{self as d, MsgDef, full_definition};
        static ODOMETRY: MsgDef = MsgDef {
            name: "nav_msgs/msg/Odometry",
            text: "std_msgs/Header header\nstring child_frame_id\n\
                   geometry_msgs/PoseWithCovariance pose\n\
                   geometry_msgs/TwistWithCovariance twist\n",
            deps: &[
                &d::HEADER,
                &d::POSE_WITH_COVARIANCE,
                &d::TWIST_WITH_COVARIANCE,
            ],
        };
        let hash =
            |name: &str, text: &str| RosMessageType::from_definition(name, text).unwrap().hash;
        assert_eq!(
            hash("std_msgs/msg/String", "string data\n"),
            "RIHS01_df668c740482bbd48fb39d76a70dfd4bd59db1288021743503259e948f6b1a18"
        );
        assert_eq!(
            hash("std_msgs/msg/Header", &full_definition(&d::HEADER)),
            "RIHS01_f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01"
        );
        assert_eq!(
            hash("geometry_msgs/msg/Twist", &full_definition(&d::TWIST)),
            "RIHS01_9c45bf16fe0983d80e3cfe750d6835843d265a9a6c46bd2e609fcddde6fb8d2a"
        );
        assert_eq!(
            hash("nav_msgs/msg/Odometry", &full_definition(&ODOMETRY)),
            "RIHS01_3cc97dc7fb7502f8714462c526d369e35b603cfc34d946e3f2eda2766dfec6e0"
        );
        // Kestrel's outputs, computed the same way from autoware_msgs' definitions; pinned so
        // that a definition change (which breaks subscribers) is noticed.
        assert_eq!(
            RosMessageType::tracked_objects().hash,
            "RIHS01_3559bd4e62ce8a4d96e32720c02bbe656cc090bb2b3f3f91f52a7c3ab095417a"
        );
        assert_eq!(
            RosMessageType::detected_objects().hash,
            "RIHS01_2facd6b15786cbd1f720cdd23d22e6d60d2e7e83b8dff8fd401330e24edb187b"
        );
    }

    #[test]
    fn dds_names() {
        assert_eq!(
            RosMessageType::detected_objects().dds_name(),
            "autoware_perception_msgs::msg::dds_::DetectedObjects_"
        );
    }
}
