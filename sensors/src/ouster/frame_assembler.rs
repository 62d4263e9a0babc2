//! Groups decoded lidar packets into frames by frame id.

use super::frame::OusterFrame;
use super::packet::LidarPacket;

/// Collects packets into [`OusterFrame`]s. A frame is complete when a packet of another
/// frame id arrives (or at [`FrameAssembler::finish`]); columns of the column window that
/// never arrived are counted in `missing_columns`.
#[derive(Debug, Clone)]
pub struct FrameAssembler {
    beams: usize,
    columns: usize,
    window: (usize, usize),
    current: Option<OusterFrame>,
}

impl FrameAssembler {
    /// An assembler for `beams` x `columns` frames whose sensor sends measurement ids
    /// `window.0..=window.1`.
    pub fn new(beams: usize, columns: usize, window: (usize, usize)) -> Self {
        Self {
            beams,
            columns,
            window,
            current: None,
        }
    }

    fn close(&self, mut f: OusterFrame) -> OusterFrame {
        f.missing_columns = (self.window.0..=self.window.1.min(self.columns.saturating_sub(1)))
            .filter(|&c| !f.received[c])
            .count();
        f
    }

    /// Adds one packet; returns the previous frame when this packet starts a new one.
    /// Columns are placed by measurement id; a column whose frame id differs from the
    /// packet's first column starts a new frame as well.
    pub fn push(&mut self, packet: &LidarPacket) -> Vec<OusterFrame> {
        let mut done = Vec::new();
        for (c, h) in packet.columns.iter().enumerate() {
            if self
                .current
                .as_ref()
                .is_some_and(|f| f.frame_id != h.frame_id)
                && let Some(f) = self.current.take()
            {
                done.push(self.close(f));
            }
            let f = self
                .current
                .get_or_insert_with(|| OusterFrame::new(h.frame_id, self.beams, self.columns));
            let m = usize::from(h.measurement_id);
            if m >= self.columns || !h.valid {
                continue;
            }
            if f.received[m] {
                f.duplicate_columns += 1;
                continue;
            }
            f.received[m] = true;
            f.column_timestamp_ns[m] = h.timestamp_ns;
            f.measurement_id[m] = h.measurement_id;
            f.column_status[m] = h.status;
            f.encoder_count[m] = h.encoder_count;
            for beam in 0..self.beams.min(packet.pixels) {
                let src = c * packet.pixels + beam;
                let dst = beam * self.columns + m;
                f.range_mm[dst] = packet.range_mm[src];
                f.reflectivity[dst] = packet.reflectivity[src];
                f.signal[dst] = packet.signal[src];
                f.near_ir[dst] = packet.near_ir[src];
            }
        }
        done
    }

    /// The frame in progress, if any (end of stream).
    pub fn finish(&mut self) -> Option<OusterFrame> {
        self.current.take().map(|f| self.close(f))
    }
}
