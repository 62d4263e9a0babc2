//! `sensor_msgs` types: images, point clouds and camera calibration.

use super::codec::ros_struct;
use super::definitions as d;
use super::std_msgs::Header;

ros_struct! {
    /// `sensor_msgs/msg/Image`: uncompressed pixels, `height` rows of `step` bytes.
    pub struct Image => d::IMAGE {
        /// Acquisition time and camera optical frame.
        pub header: Header,
        /// Rows.
        pub height: u32,
        /// Columns.
        pub width: u32,
        /// Pixel encoding (`rgb8`, `bgr8`, `mono8`, ...).
        pub encoding: String,
        /// 1 when multi-byte pixel values are big-endian.
        pub is_bigendian: u8,
        /// Bytes per row (may exceed `width * bytes_per_pixel`).
        pub step: u32,
        /// `height * step` bytes.
        pub data: Vec<u8>,
    }
}

ros_struct! {
    /// `sensor_msgs/msg/CompressedImage`: a JPEG or PNG file's bytes.
    pub struct CompressedImage => d::COMPRESSED_IMAGE {
        /// Acquisition time and camera optical frame.
        pub header: Header,
        /// `jpeg`, `png`, or image_transport's `"<enc>; jpeg compressed <enc>"`.
        pub format: String,
        /// The compressed file.
        pub data: Vec<u8>,
    }
}

/// `sensor_msgs/PointField` datatype codes.
pub mod datatype {
    /// `int8`.
    pub const INT8: u8 = 1;
    /// `uint8`.
    pub const UINT8: u8 = 2;
    /// `int16`.
    pub const INT16: u8 = 3;
    /// `uint16`.
    pub const UINT16: u8 = 4;
    /// `int32`.
    pub const INT32: u8 = 5;
    /// `uint32`.
    pub const UINT32: u8 = 6;
    /// `float32`.
    pub const FLOAT32: u8 = 7;
    /// `float64`.
    pub const FLOAT64: u8 = 8;

    /// Size in bytes of one value of `code`, or `None` for an unknown code.
    pub const fn size(code: u8) -> Option<usize> {
        match code {
            INT8 | UINT8 => Some(1),
            INT16 | UINT16 => Some(2),
            INT32 | UINT32 | FLOAT32 => Some(4),
            FLOAT64 => Some(8),
            _ => None,
        }
    }
}

ros_struct! {
    /// `sensor_msgs/msg/PointField`: one named field of a point record.
    pub struct PointField => d::POINT_FIELD {
        /// Field name (`x`, `intensity`, `ring`, ...).
        pub name: String,
        /// Byte offset within the point record.
        pub offset: u32,
        /// Datatype code, see [`datatype`].
        pub datatype: u8,
        /// Number of values.
        pub count: u32,
    }
}

ros_struct! {
    /// `sensor_msgs/msg/PointCloud2`: `height` rows of `width` point records of
    /// `point_step` bytes; rows are `row_step` bytes apart.
    pub struct PointCloud2 => d::POINT_CLOUD2 {
        /// Time and sensor frame.
        pub header: Header,
        /// Rows (1 for unorganised clouds).
        pub height: u32,
        /// Points per row.
        pub width: u32,
        /// Record layout.
        pub fields: Vec<PointField>,
        /// Whether multi-byte values are big-endian.
        pub is_bigendian: bool,
        /// Bytes per point record.
        pub point_step: u32,
        /// Bytes per row.
        pub row_step: u32,
        /// The records.
        pub data: Vec<u8>,
        /// True when no point is invalid (NaN/inf).
        pub is_dense: bool,
    }
}

ros_struct! {
    /// `sensor_msgs/msg/RegionOfInterest`, pixels.
    pub struct RegionOfInterest => d::REGION_OF_INTEREST {
        /// Left edge.
        pub x_offset: u32,
        /// Top edge.
        pub y_offset: u32,
        /// Height.
        pub height: u32,
        /// Width.
        pub width: u32,
        /// Whether the ROI should be rectified.
        pub do_rectify: bool,
    }
}

ros_struct! {
    /// `sensor_msgs/msg/CameraInfo`: pinhole calibration (pixels) of a camera.
    pub struct CameraInfo => d::CAMERA_INFO {
        /// Time and camera optical frame.
        pub header: Header,
        /// Image rows.
        pub height: u32,
        /// Image columns.
        pub width: u32,
        /// `plumb_bob`, `rational_polynomial`, `equidistant`, ...
        pub distortion_model: String,
        /// Distortion coefficients.
        pub d: Vec<f64>,
        /// 3x3 intrinsic matrix, row-major.
        pub k: [f64; 9],
        /// 3x3 rectification rotation, row-major.
        pub r: [f64; 9],
        /// 3x4 projection matrix, row-major.
        pub p: [f64; 12],
        /// Horizontal binning.
        pub binning_x: u32,
        /// Vertical binning.
        pub binning_y: u32,
        /// Region of interest.
        pub roi: RegionOfInterest,
    }
}
