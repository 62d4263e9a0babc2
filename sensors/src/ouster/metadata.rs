//! Ouster sensor metadata JSON: the flat layout of firmware 2.0-2.3 and the nested layout
//! (`sensor_info`, `lidar_data_format`, `beam_intrinsics`, `lidar_intrinsics`,
//! `config_params`) written by newer SDKs.

use crate::SensorError;
use nalgebra::Matrix4;
use serde_json::Value;

/// What the decoder needs to know about an Ouster sensor.
#[derive(Debug, Clone, PartialEq)]
pub struct OusterMetadata {
    /// Product line, e.g. `OS-1-32-G`.
    pub prod_line: String,
    /// Serial number, when given.
    pub prod_sn: Option<u64>,
    /// Initialization id (changes with every sensor boot/config), when given.
    pub initialization_id: Option<u32>,
    /// Firmware build, e.g. `v2.1.1`.
    pub firmware: String,
    /// Columns per rotation from `lidar_mode` (e.g. 1024 for `1024x10`).
    pub columns_per_frame: usize,
    /// Rotation rate, Hz, from `lidar_mode` (10 for `1024x10`).
    pub rate_hz: u32,
    /// Beams (rows).
    pub pixels_per_column: usize,
    /// Columns in one lidar UDP packet.
    pub columns_per_packet: usize,
    /// First and last measurement id the sensor sends (inclusive).
    pub column_window: (usize, usize),
    /// Lidar UDP profile name (`LEGACY` when the metadata has none).
    pub udp_profile_lidar: String,
    /// UDP destination port of lidar packets (7502 when the metadata has none).
    pub udp_port_lidar: u16,
    /// Beam elevation angles, degrees, per beam (positive up).
    pub beam_altitude_deg: Vec<f64>,
    /// Beam azimuth offsets, degrees, per beam.
    pub beam_azimuth_deg: Vec<f64>,
    /// Distance from the lidar origin to the beam origin, millimetres.
    pub lidar_origin_to_beam_origin_mm: f64,
    /// Lidar frame -> sensor frame, 4x4, translation in millimetres.
    pub lidar_to_sensor: Matrix4<f64>,
}

fn get<'a>(v: &'a Value, paths: &[&[&str]]) -> Option<&'a Value> {
    paths
        .iter()
        .find_map(|path| path.iter().try_fold(v, |acc, k| acc.get(*k)))
}

fn floats(v: Option<&Value>, name: &str, what: &str) -> Result<Vec<f64>, SensorError> {
    let arr = v
        .and_then(Value::as_array)
        .ok_or_else(|| SensorError::malformed(what, 0, format!("missing array `{name}`")))?;
    arr.iter()
        .map(|x| x.as_f64().filter(|f| f.is_finite()))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| SensorError::malformed(what, 0, format!("`{name}` has a non-number")))
}

fn count(v: Option<&Value>, name: &str, what: &str, max: u64) -> Result<usize, SensorError> {
    v.and_then(Value::as_u64)
        .filter(|n| (1..=max).contains(n))
        .map(|n| n as usize)
        .ok_or_else(|| {
            SensorError::malformed(what, 0, format!("`{name}` missing or not in 1..={max}"))
        })
}

impl OusterMetadata {
    /// Parses metadata JSON text of either layout; `what` names the file in errors.
    pub fn parse(text: &str, what: &str) -> Result<Self, SensorError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| SensorError::malformed(what, e.line(), e.to_string()))?;
        let fmt = get(&v, &[&["data_format"], &["lidar_data_format"]]).ok_or_else(|| {
            SensorError::malformed(what, 0, "no `data_format` / `lidar_data_format`")
        })?;
        let s = |paths: &[&[&str]]| {
            get(&v, paths)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let mode = s(&[&["lidar_mode"], &["config_params", "lidar_mode"]]);
        let (cols, rate) = mode
            .split_once('x')
            .and_then(|(c, r)| Some((c.parse::<usize>().ok()?, r.parse::<u32>().ok()?)))
            .filter(|(c, r)| [512, 1024, 2048, 4096].contains(c) && [5, 10, 20].contains(r))
            .ok_or_else(|| SensorError::malformed(what, 0, format!("bad lidar_mode `{mode}`")))?;
        let pixels = count(fmt.get("pixels_per_column"), "pixels_per_column", what, 256)?;
        let per_packet = count(
            fmt.get("columns_per_packet"),
            "columns_per_packet",
            what,
            64,
        )?;
        if let Some(n) = fmt.get("columns_per_frame").and_then(Value::as_u64)
            && n as usize != cols
        {
            return Err(SensorError::malformed(
                what,
                0,
                format!("columns_per_frame {n} != lidar_mode {mode}"),
            ));
        }
        let window = floats(fmt.get("column_window"), "column_window", what)?;
        let column_window = match window[..] {
            [a, b] if a >= 0.0 && b >= a && b < cols as f64 => (a as usize, b as usize),
            _ => {
                return Err(SensorError::malformed(
                    what,
                    0,
                    format!("bad column_window {window:?}"),
                ));
            }
        };
        let alt = floats(
            get(
                &v,
                &[
                    &["beam_altitude_angles"],
                    &["beam_intrinsics", "beam_altitude_angles"],
                ],
            ),
            "beam_altitude_angles",
            what,
        )?;
        let azi = floats(
            get(
                &v,
                &[
                    &["beam_azimuth_angles"],
                    &["beam_intrinsics", "beam_azimuth_angles"],
                ],
            ),
            "beam_azimuth_angles",
            what,
        )?;
        if alt.len() != pixels || azi.len() != pixels {
            return Err(SensorError::malformed(
                what,
                0,
                format!(
                    "{} altitudes / {} azimuths for {pixels} beams",
                    alt.len(),
                    azi.len()
                ),
            ));
        }
        let n = get(
            &v,
            &[
                &["lidar_origin_to_beam_origin_mm"],
                &["beam_intrinsics", "lidar_origin_to_beam_origin_mm"],
            ],
        )
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite() && (0.0..1000.0).contains(n))
        .ok_or_else(|| SensorError::malformed(what, 0, "missing lidar_origin_to_beam_origin_mm"))?;
        let t = floats(
            get(
                &v,
                &[
                    &["lidar_to_sensor_transform"],
                    &["lidar_intrinsics", "lidar_to_sensor_transform"],
                ],
            ),
            "lidar_to_sensor_transform",
            what,
        )?;
        if t.len() != 16 {
            return Err(SensorError::malformed(
                what,
                0,
                "lidar_to_sensor_transform needs 16 values",
            ));
        }
        let prod_sn = get(&v, &[&["prod_sn"], &["sensor_info", "prod_sn"]]).and_then(|x| match x {
            Value::String(s) => s.parse().ok(),
            other => other.as_u64(),
        });
        let profile = s(&[
            &["data_format", "udp_profile_lidar"],
            &["config_params", "udp_profile_lidar"],
            &["lidar_data_format", "udp_profile_lidar"],
        ]);
        Ok(Self {
            prod_line: s(&[&["prod_line"], &["sensor_info", "prod_line"]]),
            prod_sn,
            initialization_id: get(
                &v,
                &[
                    &["initialization_id"],
                    &["sensor_info", "initialization_id"],
                ],
            )
            .and_then(Value::as_u64)
            .and_then(|x| u32::try_from(x).ok()),
            firmware: s(&[&["build_rev"], &["sensor_info", "build_rev"]]),
            columns_per_frame: cols,
            rate_hz: rate,
            pixels_per_column: pixels,
            columns_per_packet: per_packet,
            column_window,
            udp_profile_lidar: if profile.is_empty() {
                "LEGACY".into()
            } else {
                profile
            },
            udp_port_lidar: get(
                &v,
                &[&["udp_port_lidar"], &["config_params", "udp_port_lidar"]],
            )
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0)
            .unwrap_or(7502),
            beam_altitude_deg: alt,
            beam_azimuth_deg: azi,
            lidar_origin_to_beam_origin_mm: n,
            lidar_to_sensor: Matrix4::from_row_slice(&t),
        })
    }

    /// Reads and parses a metadata file.
    pub fn load(path: &std::path::Path) -> Result<Self, SensorError> {
        let text = std::fs::read_to_string(path).map_err(|e| SensorError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Columns the sensor sends per frame (the column window's width).
    pub fn columns_in_window(&self) -> usize {
        self.column_window.1 - self.column_window.0 + 1
    }
}
