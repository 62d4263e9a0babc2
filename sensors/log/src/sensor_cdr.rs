//! One sensor message as the CDR bytes of a ROS 2 wire message and back, through the same
//! converters as the log writer and reader: what a message looks like on the wire, for tools
//! that damage messages on purpose (fault injection) and then hand them on (`kestrel play`)
//! or read them as a subscriber would (`kestrel replay`).

use crate::camera_image::{
    DEFAULT_JPEG_QUALITY, ImageFormat, compressed_to_frame, frame_to_compressed, frame_to_image,
    image_to_frame,
};
use crate::error::LogError;
use crate::mcap_writer::default_topic;
use crate::msg_schema::normalize_type_name;
use crate::odometry_msg::{msg_to_odometry, odometry_to_msg};
use crate::point_cloud2::{
    lidar_to_point_cloud2, looks_like_radar, point_cloud2_to_lidar, point_cloud2_to_radar,
    radar_to_point_cloud2,
};
use crate::ros2_msg::RosMessage;
use crate::ros2_msg::nav_msgs::Odometry as OdometryMsg;
use crate::ros2_msg::sensor_msgs::{CompressedImage, Image, PointCloud2};
use kestrel_sensors::{SensorError, SensorMessage};

/// The wire types that carry sensor messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    /// `sensor_msgs/msg/Image` (camera).
    Image,
    /// `sensor_msgs/msg/CompressedImage` (camera; written back as JPEG).
    CompressedImage,
    /// `sensor_msgs/msg/PointCloud2`: radar when `radar` says so, LiDAR when it says not,
    /// else by the cloud's fields ([`looks_like_radar`]).
    PointCloud2 {
        /// Whether the cloud is a radar scan, when known.
        radar: Option<bool>,
    },
    /// `nav_msgs/msg/Odometry`.
    Odometry,
}

impl WireType {
    /// The wire type named `type_name` (`sensor_msgs/msg/Image`, `sensor_msgs/Image`, ...),
    /// if it carries sensor messages.
    pub fn of_name(type_name: &str) -> Option<Self> {
        let ty = normalize_type_name(type_name);
        let is = |name: &str| ty == normalize_type_name(name);
        if is(Image::type_name()) {
            Some(Self::Image)
        } else if is(CompressedImage::type_name()) {
            Some(Self::CompressedImage)
        } else if is(PointCloud2::type_name()) {
            Some(Self::PointCloud2 { radar: None })
        } else if is(OdometryMsg::type_name()) {
            Some(Self::Odometry)
        } else {
            None
        }
    }

    /// The wire type Kestrel writes `msg` as (cameras as raw images).
    pub fn of_message(msg: &SensorMessage) -> Self {
        match msg {
            SensorMessage::Camera(_) => Self::Image,
            SensorMessage::Lidar(_) => Self::PointCloud2 { radar: Some(false) },
            SensorMessage::Radar(_) => Self::PointCloud2 { radar: Some(true) },
            SensorMessage::Odometry(_) => Self::Odometry,
        }
    }
}

/// The CDR bytes (with encapsulation header) of `msg` as a `ty` message. Errors when the
/// type cannot carry the message (an image type for a point cloud, ...).
pub fn encode(ty: WireType, msg: &SensorMessage) -> Result<Vec<u8>, LogError> {
    let topic = || default_topic(msg.sensor(), msg.kind());
    let cdr = match (ty, msg) {
        (WireType::Image, SensorMessage::Camera(f)) => frame_to_image(f).to_cdr(),
        (WireType::CompressedImage, SensorMessage::Camera(f)) => {
            let quality = DEFAULT_JPEG_QUALITY;
            frame_to_compressed(f, ImageFormat::Jpeg { quality })?
                .ok_or_else(|| LogError::Message {
                    topic: topic(),
                    log_time: msg.timestamp().as_nanos(),
                    reason: "no compressed form".into(),
                })?
                .to_cdr()
        }
        (WireType::PointCloud2 { .. }, SensorMessage::Lidar(c)) => {
            lidar_to_point_cloud2(c).to_cdr()
        }
        (WireType::PointCloud2 { .. }, SensorMessage::Radar(r)) => {
            radar_to_point_cloud2(r).to_cdr()
        }
        (WireType::Odometry, SensorMessage::Odometry(o)) => odometry_to_msg(o).to_cdr(),
        (ty, msg) => {
            return Err(LogError::Message {
                topic: topic(),
                log_time: msg.timestamp().as_nanos(),
                reason: format!("a {} message cannot be sent as {ty:?}", msg.kind()),
            });
        }
    };
    cdr.map_err(|source| LogError::Cdr {
        topic: topic(),
        source,
    })
}

/// Decodes `cdr` as a `ty` message from `sensor` (`topic` names it in errors): the inverse of
/// [`encode`]. Damaged bytes give a typed error, or a message with whatever content the bytes
/// still decode to.
pub fn decode(
    ty: WireType,
    sensor: &str,
    topic: &str,
    cdr: &[u8],
) -> Result<SensorMessage, LogError> {
    decode_named(ty, topic, 0, cdr, |_| (sensor.to_owned(), None))
}

/// [`decode`] with the sensor named from the message's `header.frame_id` by `name`, which
/// also says whether a point cloud is a radar scan when it knows (else the cloud's fields
/// decide); errors name `topic` and `log_time` (0: the message's own stamp).
pub fn decode_named(
    ty: WireType,
    topic: &str,
    log_time: u64,
    cdr: &[u8],
    name: impl FnOnce(&str) -> (String, Option<bool>),
) -> Result<SensorMessage, LogError> {
    let cdr_err = |source| LogError::Cdr {
        topic: topic.to_owned(),
        source,
    };
    let sensor_err = |stamp: u64| {
        move |e: SensorError| LogError::Message {
            topic: topic.to_owned(),
            log_time: if log_time == 0 { stamp } else { log_time },
            reason: e.to_string(),
        }
    };
    Ok(match ty {
        WireType::Image => {
            let img = Image::from_cdr(cdr).map_err(cdr_err)?;
            let t = img.header.stamp.to_timestamp().as_nanos();
            let (sensor, _) = name(&img.header.frame_id);
            SensorMessage::Camera(image_to_frame(&img, &sensor).map_err(sensor_err(t))?)
        }
        WireType::CompressedImage => {
            let img = CompressedImage::from_cdr(cdr).map_err(cdr_err)?;
            let t = img.header.stamp.to_timestamp().as_nanos();
            let (sensor, _) = name(&img.header.frame_id);
            SensorMessage::Camera(compressed_to_frame(&img, &sensor).map_err(sensor_err(t))?)
        }
        WireType::PointCloud2 { radar } => {
            let pc = PointCloud2::from_cdr(cdr).map_err(cdr_err)?;
            let t = pc.header.stamp.to_timestamp().as_nanos();
            let (sensor, known) = name(&pc.header.frame_id);
            if radar.or(known).unwrap_or_else(|| looks_like_radar(&pc)) {
                SensorMessage::Radar(point_cloud2_to_radar(&pc, &sensor).map_err(sensor_err(t))?)
            } else {
                SensorMessage::Lidar(point_cloud2_to_lidar(&pc, &sensor).map_err(sensor_err(t))?)
            }
        }
        WireType::Odometry => {
            let m = OdometryMsg::from_cdr(cdr).map_err(cdr_err)?;
            let t = m.header.stamp.to_timestamp().as_nanos();
            let (sensor, _) = name(&m.header.frame_id);
            SensorMessage::Odometry(msg_to_odometry(&m, &sensor).map_err(sensor_err(t))?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{CameraFrame, PixelEncoding, PointCloud, Timestamp};

    fn cloud() -> SensorMessage {
        SensorMessage::Lidar(
            PointCloud::new(
                "lidar_top",
                Timestamp(1_500_000_000),
                vec![1.0, 2.0, 3.0],
                vec![0.5, -0.5, 0.0],
                vec![-1.0, -1.2, 0.3],
                vec![10.0, 20.0, 30.0],
            )
            .unwrap(),
        )
    }

    #[test]
    fn round_trip_is_exact_and_damage_is_a_typed_error() {
        let msg = cloud();
        let ty = WireType::of_message(&msg);
        let cdr = encode(ty, &msg).unwrap();
        let topic = "/kestrel/lidar_top/points";
        assert_eq!(decode(ty, "lidar_top", topic, &cdr).unwrap(), msg);
        // Cut inside the point data: the declared size no longer fits.
        match decode(ty, "lidar_top", topic, &cdr[..cdr.len() - 7]) {
            Err(LogError::Cdr { topic: t, .. }) => assert_eq!(t, topic),
            other => panic!("expected a CDR error, got {other:?}"),
        }
        assert!(
            encode(WireType::Image, &msg).is_err(),
            "a cloud is no image"
        );
        assert_eq!(
            WireType::of_name("sensor_msgs/PointCloud2"),
            Some(WireType::PointCloud2 { radar: None })
        );
        assert_eq!(WireType::of_name("std_msgs/msg/String"), None);
    }

    #[test]
    fn compressed_images_come_back_as_jpeg_of_the_same_size() {
        let data: Vec<u8> = (0..16 * 8 * 3).map(|i| (i % 251) as u8).collect();
        let frame = SensorMessage::Camera(
            CameraFrame::new("cam", Timestamp(7), 16, 8, PixelEncoding::Rgb8, data).unwrap(),
        );
        let cdr = encode(WireType::CompressedImage, &frame).unwrap();
        match decode(WireType::CompressedImage, "cam", "/cam", &cdr).unwrap() {
            SensorMessage::Camera(f) => {
                assert_eq!((f.width, f.height, f.timestamp), (16, 8, Timestamp(7)))
            }
            other => panic!("{other:?}"),
        }
    }
}
