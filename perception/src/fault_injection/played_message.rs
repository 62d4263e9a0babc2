//! A recorded wire message on its way out of `kestrel play`, as the fault injector sees it:
//! the raw CDR bytes stay as recorded unless a fault touches them. Stamps are shifted in
//! place ([`kestrel_log::header_stamp`]); content faults decode the message, damage it and
//! encode it again ([`kestrel_log::sensor_cdr`]; compressed images come back as JPEG); wire
//! faults damage the bytes and send them on for the subscriber to cope with.

use super::fault_plan::FaultKind;
use super::faultable::{Faultable, damage_decoded};
use crate::error::PerceptionError;
use kestrel_log::RawMessage;
use kestrel_log::header_stamp;
use kestrel_log::sensor_cdr::{self, WireType};
use kestrel_sensors::Timestamp;
use kestrel_sim::rng::SimRng;

/// A recorded message to play.
#[derive(Debug, Clone)]
pub struct PlayedMessage {
    /// The recorded message (its `log_time` is the arrival, moved by delays).
    pub raw: RawMessage,
    /// The sensor it comes from: the rig sensor owning its topic, else the topic.
    pub sensor: String,
    /// Its wire type, when it carries a sensor message (else content faults do not apply).
    pub wire: Option<WireType>,
}

impl Faultable for PlayedMessage {
    fn sensor(&self) -> &str {
        &self.sensor
    }

    fn topic(&self) -> Option<&str> {
        Some(&self.raw.channel.topic)
    }

    fn arrival(&self) -> Timestamp {
        Timestamp(self.raw.log_time)
    }

    fn set_arrival(&mut self, t: Timestamp) {
        self.raw.log_time = t.as_nanos();
    }

    fn stamp(&self) -> Timestamp {
        header_stamp::read(&self.raw.data).unwrap_or(Timestamp(self.raw.log_time))
    }

    fn set_stamp(&mut self, t: Timestamp) {
        if let Some(now) = header_stamp::read(&self.raw.data) {
            header_stamp::shift(
                &mut self.raw.data,
                t.as_nanos() as i128 - now.as_nanos() as i128,
            );
        }
    }

    fn damage_content(&mut self, kind: FaultKind, rng: &mut SimRng) -> bool {
        let Some(ty) = self.wire else {
            return false;
        };
        let topic = &self.raw.channel.topic;
        let Ok(mut msg) = sensor_cdr::decode(ty, &self.sensor, topic, &self.raw.data) else {
            return false;
        };
        if !damage_decoded(&mut msg, kind, rng) {
            return false;
        }
        match sensor_cdr::encode(ty, &msg) {
            Ok(bytes) => {
                self.raw.data = bytes;
                true
            }
            Err(e) => {
                tracing::warn!("{topic}: damaged message not re-encoded: {e}");
                false
            }
        }
    }

    fn damage_wire(mut self, damage: impl FnOnce(&mut Vec<u8>)) -> Result<Self, PerceptionError> {
        damage(&mut self.raw.data);
        Ok(self)
    }
}
