//! RIHS01 hashes of Kestrel's own definitions against the hashes rosidl generates for the
//! same types (ROS 2 Jazzy golden values, as published by `ros2 topic info -v` and rosidl's
//! generated `*__description.c`): proves field lists, types and nesting match upstream.

use kestrel_log::msg_schema::Schema;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::diagnostic_msgs::DiagnosticArray;
use kestrel_log::ros2_msg::geometry_msgs::Point32;
use kestrel_log::ros2_msg::nav_msgs::Odometry;
use kestrel_log::ros2_msg::sensor_msgs::{
    CameraInfo, CompressedImage, Image, PointCloud2, PointField,
};
use kestrel_log::ros2_msg::std_msgs::Header;
use kestrel_log::type_hash::rihs01;

fn hash<M: RosMessage>() -> String {
    rihs01(&Schema::parse(M::type_name(), &M::schema_text()).unwrap())
}

#[test]
fn sensor_msgs_hashes_match_rosidl() {
    let cases = [
        (
            hash::<Header>(),
            "f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01",
        ),
        (
            hash::<Image>(),
            "d31d41a9a4c4bc8eae9be757b0beed306564f7526c88ea6a4588fb9582527d47",
        ),
        (
            hash::<CompressedImage>(),
            "15640771531571185e2efc8a100baf923961a4d15d5569652e6cb6691e8e371a",
        ),
        (
            hash::<PointCloud2>(),
            "9198cabf7da3796ae6fe19c4cb3bdd3525492988c70522628af5daa124bae2b5",
        ),
        (
            hash::<PointField>(),
            "5c6a4750728c2bcfbbf7037225b20b02d4429634732146b742dee1726637ef01",
        ),
        (
            hash::<CameraInfo>(),
            "b3dfd68ff46c9d56c80fd3bd4ed22c7a4ddce8c8348f2f59c299e73118e7e275",
        ),
        (
            // rosidl's nav_msgs__msg__Odometry__TYPE_HASH (Jazzy).
            hash::<Odometry>(),
            "3cc97dc7fb7502f8714462c526d369e35b603cfc34d946e3f2eda2766dfec6e0",
        ),
        (
            // rosidl's diagnostic_msgs__msg__DiagnosticArray__TYPE_HASH (Jazzy), also what the
            // Python `rosbags` type store computes (`hash_rihs01`).
            hash::<DiagnosticArray>(),
            "5a8a36efb05fb25070fa0fb3810290c0e6cd4862b54a8fb975a1ee8dc55a333e",
        ),
        (
            hash::<Point32>(),
            "2fc4db7cae16a4582c79a56b66173a8d48d52c7dc520ddc55a0d4bcf2a4bfdbc",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, format!("RIHS01_{want}"));
    }
}
