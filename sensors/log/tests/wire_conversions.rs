//! Foreign ROS 2 layouts -> Kestrel types: PointCloud2 with big-endian data, odd datatypes,
//! padding and row padding; radar clouds in the nuScenes field layout; images with padded
//! rows; PNG CompressedImage.

use kestrel_log::camera_image::{compressed_to_frame, image_to_frame};
use kestrel_log::point_cloud2::{looks_like_radar, point_cloud2_to_lidar, point_cloud2_to_radar};
use kestrel_log::ros2_msg::sensor_msgs::{
    CompressedImage, Image, PointCloud2, PointField, datatype,
};
use kestrel_log::ros2_msg::std_msgs::{Header, Time};
use kestrel_sensors::{PixelEncoding, SensorError};

fn field(name: &str, offset: u32, dt: u8) -> PointField {
    PointField {
        name: name.into(),
        offset,
        datatype: dt,
        count: 1,
    }
}

fn header() -> Header {
    Header {
        stamp: Time {
            sec: 100,
            nanosec: 5,
        },
        frame_id: "velo".into(),
    }
}

/// 2 rows x 2 points, big-endian, 24-byte records, 8 bytes of padding after each row.
fn organised_big_endian() -> PointCloud2 {
    let mut data = Vec::new();
    for row in 0..2u8 {
        for col in 0..2u8 {
            let i = row * 2 + col;
            let mut rec = vec![0u8; 24];
            rec[0] = 10 * i; // intensity u8 @0
            rec[4..12].copy_from_slice(&(1.5 + i as f64).to_be_bytes()); // x f64 @4
            rec[12..16].copy_from_slice(&(-2.25f32 * i as f32).to_be_bytes()); // y f32 @12
            rec[16..18].copy_from_slice(&(i as i16 - 1).to_be_bytes()); // z i16 @16
            rec[18] = 3 + i; // ring u8 @18
            rec[20..24].copy_from_slice(&(0.001f32 * i as f32).to_be_bytes()); // time f32 s @20
            data.extend(rec);
        }
        data.extend([0xEE; 8]);
    }
    PointCloud2 {
        header: header(),
        height: 2,
        width: 2,
        fields: vec![
            field("intensity", 0, datatype::UINT8),
            field("x", 4, datatype::FLOAT64),
            field("y", 12, datatype::FLOAT32),
            field("z", 16, datatype::INT16),
            field("ring", 18, datatype::UINT8),
            field("time", 20, datatype::FLOAT32),
        ],
        is_bigendian: true,
        point_step: 24,
        row_step: 56,
        data,
        is_dense: true,
    }
}

#[test]
fn lidar_layouts_are_read_by_field_name() {
    let pc = organised_big_endian();
    assert!(!looks_like_radar(&pc));
    let c = point_cloud2_to_lidar(&pc, "velo").unwrap();
    assert_eq!(c.timestamp.0, 100_000_000_005);
    assert_eq!(c.x, vec![1.5, 2.5, 3.5, 4.5]);
    assert_eq!(c.y, vec![0.0, -2.25, -4.5, -6.75]);
    assert_eq!(c.z, vec![-1.0, 0.0, 1.0, 2.0]);
    assert_eq!(c.intensity, vec![0.0, 10.0, 20.0, 30.0]);
    assert_eq!(c.ring, Some(vec![3, 4, 5, 6]));
    assert_eq!(
        c.time_offset_ns,
        Some(vec![0, 1_000_000, 2_000_000, 3_000_000])
    );
}

#[test]
fn inconsistent_layouts_are_typed_errors() {
    let mut short = organised_big_endian();
    short.data.truncate(100);
    assert!(matches!(
        point_cloud2_to_lidar(&short, "v"),
        Err(SensorError::Truncated { .. })
    ));
    let mut overrun = organised_big_endian();
    overrun.fields[1].offset = 20; // f64 at 20 in a 24-byte record
    assert!(matches!(
        point_cloud2_to_lidar(&overrun, "v"),
        Err(SensorError::Malformed { .. })
    ));
    let mut no_x = organised_big_endian();
    no_x.fields.remove(1);
    assert!(point_cloud2_to_lidar(&no_x, "v").is_err());
    let mut bad_type = organised_big_endian();
    bad_type.fields[2].datatype = 9;
    assert!(point_cloud2_to_lidar(&bad_type, "v").is_err());
    let mut rows = organised_big_endian();
    rows.row_step = 40;
    assert!(point_cloud2_to_lidar(&rows, "v").is_err());
}

#[test]
fn radar_in_nuscenes_field_layout() {
    // x y z f32, dyn_prop i8, id i16, rcs vx_comp vy_comp f32, ambig_state invalid_state i8:
    // packed like the nuScenes PCD (no alignment), 28 bytes per point.
    let mut data = Vec::new();
    for (id, invalid) in [(7i16, 0i8), (-1, 1)] {
        for v in [30.0f32, -1.0, 0.5] {
            data.extend(v.to_le_bytes());
        }
        data.push(2); // dyn_prop
        data.extend(id.to_le_bytes());
        for v in [9.5f32, 1.25, f32::NAN] {
            data.extend(v.to_le_bytes());
        }
        data.extend([3u8, invalid as u8]);
    }
    let pc = PointCloud2 {
        header: header(),
        height: 1,
        width: 2,
        fields: vec![
            field("x", 0, datatype::FLOAT32),
            field("y", 4, datatype::FLOAT32),
            field("z", 8, datatype::FLOAT32),
            field("dyn_prop", 12, datatype::INT8),
            field("id", 13, datatype::INT16),
            field("rcs", 15, datatype::FLOAT32),
            field("vx_comp", 19, datatype::FLOAT32),
            field("vy_comp", 23, datatype::FLOAT32),
            field("ambig_state", 27, datatype::INT8),
            field("invalid_state", 28, datatype::INT8),
        ],
        is_bigendian: false,
        point_step: 29,
        row_step: 58,
        data,
        is_dense: true,
    };
    assert!(looks_like_radar(&pc));
    let scan = point_cloud2_to_radar(&pc, "radar").unwrap();
    let d = &scan.detections;
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].position.x, d[0].rcs, d[0].id), (30.0, 9.5, Some(7)));
    assert_eq!(d[1].id, None, "negative id means none");
    assert!(d[0].radial_velocity.is_nan(), "no radial velocity field");
    assert_eq!(
        d[0].compensated_velocity, None,
        "NaN vy_comp -> no compensated velocity"
    );
    assert!(d[0].validity.valid && !d[1].validity.valid);
    assert!(d[0].validity.velocity_unambiguous);
    assert_eq!(d[0].validity.dynamic_property, 2);
}

#[test]
fn padded_image_rows_and_png_compressed_images() {
    // 2x2 bgr8 with 2 padding bytes per row.
    let img = Image {
        header: header(),
        height: 2,
        width: 2,
        encoding: "bgr8".into(),
        is_bigendian: 0,
        step: 8,
        data: vec![1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0],
    };
    let f = image_to_frame(&img, "cam").unwrap();
    assert_eq!(f.encoding, PixelEncoding::Bgr8);
    assert_eq!(&f.data[..], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert_eq!(f.rgb_at(1, 1), Some([12, 11, 10]));
    let unsupported = Image {
        encoding: "16UC1".into(),
        ..img.clone()
    };
    assert!(matches!(
        image_to_frame(&unsupported, "cam"),
        Err(SensorError::Unsupported { .. })
    ));
    let short = Image {
        data: vec![0; 10],
        ..img
    };
    assert!(image_to_frame(&short, "cam").is_err());

    let rgb = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 40, y as u8 * 80, 7]));
    let mut png = Vec::new();
    rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let msg = CompressedImage {
        header: header(),
        format: "png".into(),
        data: png,
    };
    let f = compressed_to_frame(&msg, "cam").unwrap();
    assert_eq!((f.width, f.height, f.encoding), (5, 3, PixelEncoding::Rgb8));
    assert_eq!(&f.data[..], rgb.as_raw().as_slice());
    let broken = CompressedImage {
        data: msg.data[..20].to_vec(),
        ..msg
    };
    assert!(compressed_to_frame(&broken, "cam").is_err());
}
