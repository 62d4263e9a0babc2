//! Synthetic domain shifts of camera images, for exercising the model monitors and the
//! adaptation loop on real recordings: `kestrel replay --shift dusk|defocus`, the monitor tests
//! and the loop demonstration apply them to every camera frame of a real sequence.
//!
//! - [`CameraShift::Dusk`]: a third of the light and a steeper tone curve,
//!   `255 * 0.35 * (v / 255)^1.3` per channel (dusk without street lights);
//! - [`CameraShift::Defocus`]: a 13x13 box blur per channel (two separable passes of running
//!   sums, edges averaged over the pixels inside the image), like a defocused or wet lens.

use crate::CameraFrame;

/// A synthetic shift of camera images (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraShift {
    /// Darker, steeper tone curve.
    Dusk,
    /// 13x13 box blur.
    Defocus,
}

/// Half-width of the defocus box.
const DEFOCUS_RADIUS: usize = 6;

impl CameraShift {
    /// Parses `dusk` or `defocus`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "dusk" => Some(Self::Dusk),
            "defocus" => Some(Self::Defocus),
            _ => None,
        }
    }

    /// `dusk` or `defocus`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dusk => "dusk",
            Self::Defocus => "defocus",
        }
    }

    /// `frame` with the shift applied (same sensor, stamp, size and encoding).
    pub fn apply(self, frame: &CameraFrame) -> CameraFrame {
        let mut data = frame.data.to_vec();
        let (w, h) = (frame.width as usize, frame.height as usize);
        let channels = frame.encoding.bytes_per_pixel();
        match self {
            CameraShift::Dusk => dusk(&mut data),
            CameraShift::Defocus => defocus(&mut data, w, h, channels),
        }
        CameraFrame {
            data: data.into(),
            ..frame.clone()
        }
    }
}

fn dusk(data: &mut [u8]) {
    let table: Vec<u8> = (0..=255u32)
        .map(|v| (255.0 * 0.35 * (f64::from(v) / 255.0).powf(1.3)).round() as u8)
        .collect();
    data.iter_mut().for_each(|v| *v = table[*v as usize]);
}

/// Box average of `line` (length n) into `out`, over the pixels within `DEFOCUS_RADIUS`.
fn box_line(line: &[u8], out: &mut Vec<u8>) {
    let (n, r) = (line.len(), DEFOCUS_RADIUS);
    out.clear();
    let mut sum: u32 = line[..=r.min(n - 1)].iter().map(|&v| u32::from(v)).sum();
    let mut count = r.min(n - 1) as u32 + 1;
    for i in 0..n {
        out.push(((sum + count / 2) / count) as u8);
        if i + r + 1 < n {
            sum += u32::from(line[i + r + 1]);
            count += 1;
        }
        if i >= r {
            sum -= u32::from(line[i - r]);
            count -= 1;
        }
    }
}

fn defocus(data: &mut [u8], w: usize, h: usize, channels: usize) {
    let (mut line, mut out) = (Vec::with_capacity(w.max(h)), Vec::with_capacity(w.max(h)));
    for c in 0..channels {
        for y in 0..h {
            line.clear();
            line.extend((0..w).map(|x| data[(y * w + x) * channels + c]));
            box_line(&line, &mut out);
            for (x, v) in out.iter().enumerate() {
                data[(y * w + x) * channels + c] = *v;
            }
        }
        for x in 0..w {
            line.clear();
            line.extend((0..h).map(|y| data[(y * w + x) * channels + c]));
            box_line(&line, &mut out);
            for (y, v) in out.iter().enumerate() {
                data[(y * w + x) * channels + c] = *v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PixelEncoding, Timestamp};

    fn frame(data: Vec<u8>, w: u32, h: u32) -> CameraFrame {
        CameraFrame::new("cam", Timestamp(7), w, h, PixelEncoding::Mono8, data).unwrap()
    }

    #[test]
    fn dusk_darkens_and_keeps_black_and_order() {
        let f = CameraShift::Dusk.apply(&frame(vec![0, 64, 128, 255], 4, 1));
        assert_eq!(&f.data[..], &[0, 15, 36, 89]);
        assert_eq!((f.timestamp, f.width), (Timestamp(7), 4));
    }

    #[test]
    fn defocus_spreads_a_bright_pixel_and_keeps_flat_regions() {
        let mut data = vec![0u8; 31 * 31];
        data[15 * 31 + 15] = 169;
        let f = CameraShift::Defocus.apply(&frame(data, 31, 31));
        // 169 / 169 pixels of the 13x13 box = 1 everywhere within 6 px of the centre.
        assert_eq!(f.data[15 * 31 + 15], 1);
        assert_eq!(f.data[9 * 31 + 21], 1);
        assert_eq!(f.data[8 * 31 + 15], 0);
        let flat = CameraShift::Defocus.apply(&frame(vec![77; 20 * 10], 20, 10));
        assert!(flat.data.iter().all(|&v| v == 77));
        assert_eq!(CameraShift::parse("dusk"), Some(CameraShift::Dusk));
        assert_eq!(CameraShift::parse("fog"), None);
    }
}
