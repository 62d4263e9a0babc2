//! What the fault injector needs of a message, so that one injector serves both ends: decoded
//! sensor messages in replay ([`SensorMessage`]) and recorded wire messages in `kestrel play`
//! ([`super::played_message::PlayedMessage`]).

use super::fault_plan::FaultKind;
use super::message_damage::{corrupt_pixels, non_finite, partial_lidar};
use crate::error::PerceptionError;
use kestrel_log::sensor_cdr::{self, WireType};
use kestrel_sensors::{SensorMessage, Timestamp};
use kestrel_sim::rng::SimRng;

/// A message a fault can hit.
pub trait Faultable: Clone + Send + 'static {
    /// The sensor it comes from, as fault plans name sensors.
    fn sensor(&self) -> &str;
    /// The topic it travels on, when it has one (plans may name topics too).
    fn topic(&self) -> Option<&str> {
        None
    }
    /// When it arrives, before faults: the order (and, for a player, the pacing) of the
    /// stream. Replay: its stamp; play: its log time.
    fn arrival(&self) -> Timestamp;
    /// Moves its arrival (a delay). Replay keeps no arrival apart from the order.
    fn set_arrival(&mut self, t: Timestamp);
    /// Its own stamp (`header.stamp`).
    fn stamp(&self) -> Timestamp;
    /// Sets its stamp (a clock jump, a frozen sensor's fresh stamp).
    fn set_stamp(&mut self, t: Timestamp);
    /// Applies a content fault (`non_finite`, `corrupt_pixels`, `partial_lidar`); false when
    /// it does not apply to this kind of message (or its content cannot be read).
    fn damage_content(&mut self, kind: FaultKind, rng: &mut SimRng) -> bool;
    /// The message as its consumer gets it after `damage` hits its wire bytes: a replay
    /// decodes them (a typed error for what no longer decodes), a player sends them on.
    fn damage_wire(self, damage: impl FnOnce(&mut Vec<u8>)) -> Result<Self, PerceptionError>;
}

/// Applies a content fault to a decoded message.
pub fn damage_decoded(msg: &mut SensorMessage, kind: FaultKind, rng: &mut SimRng) -> bool {
    match kind {
        FaultKind::NonFinite { fraction } => non_finite(msg, fraction, rng),
        FaultKind::CorruptPixels { fraction } => corrupt_pixels(msg, fraction, rng),
        FaultKind::PartialLidar { keep } => partial_lidar(msg, keep, rng),
        _ => false,
    }
}

impl Faultable for SensorMessage {
    fn sensor(&self) -> &str {
        SensorMessage::sensor(self)
    }

    fn arrival(&self) -> Timestamp {
        self.timestamp()
    }

    fn set_arrival(&mut self, _t: Timestamp) {}

    fn stamp(&self) -> Timestamp {
        self.timestamp()
    }

    fn set_stamp(&mut self, t: Timestamp) {
        self.set_timestamp(t);
    }

    fn damage_content(&mut self, kind: FaultKind, rng: &mut SimRng) -> bool {
        damage_decoded(self, kind, rng)
    }

    fn damage_wire(self, damage: impl FnOnce(&mut Vec<u8>)) -> Result<Self, PerceptionError> {
        let ty = WireType::of_message(&self);
        let topic = kestrel_log::mcap_writer::default_topic(self.sensor(), self.kind());
        let err = |e: kestrel_log::LogError| PerceptionError::Source {
            source_name: "fault injection".into(),
            message: e.to_string(),
        };
        let mut bytes = sensor_cdr::encode(ty, &self).map_err(err)?;
        damage(&mut bytes);
        sensor_cdr::decode_named(ty, &topic, self.timestamp().as_nanos(), &bytes, |_| {
            (self.sensor().to_owned(), None)
        })
        .map_err(err)
    }
}
