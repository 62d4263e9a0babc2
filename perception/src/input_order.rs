//! Which sensor messages the runtime admits, by their stamps alone, in replay and live alike.
//!
//! - **Not after its predecessor**: a message stamped at or before the previous admitted
//!   message of the same sensor (a duplicate, a reordered message) is refused.
//! - **Clock step back**: a message more than `step_back_s` behind its sensor's previous
//!   admitted message is not a reordered neighbour but the sensor's clock stepping back. It and
//!   the sensor's following messages are refused until its stamps pass the last admitted one
//!   (admitting them would rewind time), and the first refusal of the step is reported, so
//!   that the runtime restarts tracking: the data that follows comes from later in the world
//!   than its stamps say, and tracks carried across would coast beside their own re-births.
//! - **Clock jump forward**: a message more than `max_jump_s` after its sensor's previous
//!   admitted message *and* more than `max_jump_s` after the newest stamp seen from any other
//!   sensor is refused: one sensor's clock leapt ahead of the rest. Admitting it would drag the
//!   time alignment's watermark seconds ahead and make every other sensor late. The check
//!   lets through a sensor that comes back after a silence (the others vouch for the time), a
//!   jump the other sensors share (the first message that leaps is refused, the second sensor
//!   to follow vouches for it), the last sensor still alive, and a jump that persists: after
//!   [`PERSISTENT_JUMP_MESSAGES`] refused messages in a row the sensor's new time is accepted.
//!
//! Refused messages never reach the stage, the health monitor or (in replay) the clock.

use kestrel_sensors::{SensorMessage, Timestamp};
use std::collections::BTreeMap;

/// Refused forward-jumped messages in a row after which a sensor's new time is accepted.
pub const PERSISTENT_JUMP_MESSAGES: u32 = 5;

/// Why a message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Stamped at or before the sensor's previous admitted message.
    NotAfterPrevious,
    /// Far ahead of the sensor's own previous message and of every other sensor.
    ClockJump,
    /// The sensor's clock stepped back; `first` for the message that revealed the step.
    ClockStepBack {
        /// The first refusal of this step (tracking must restart).
        first: bool,
    },
}

#[derive(Debug, Clone, Default)]
struct SensorTimes {
    admitted: Option<Timestamp>,
    seen: Option<Timestamp>,
    jumped_in_a_row: u32,
    /// Refusing a clock step back until the stamps pass the last admitted one.
    stepped_back: bool,
}

/// The admission rule (see the module docs).
#[derive(Debug, Clone)]
pub struct InputOrder {
    max_jump_ns: u64,
    step_back_ns: u64,
    sensors: BTreeMap<String, SensorTimes>,
}

impl InputOrder {
    /// A rule refusing forward jumps larger than `max_jump_s` seconds and taking a message
    /// more than `step_back_s` behind its predecessor for a clock step back.
    pub fn new(max_jump_s: f64, step_back_s: f64) -> Self {
        Self {
            max_jump_ns: (max_jump_s.max(0.0) * 1e9) as u64,
            step_back_ns: (step_back_s.max(0.0) * 1e9) as u64,
            sensors: BTreeMap::new(),
        }
    }

    /// Admits `msg` (and remembers its stamp) or says why not.
    pub fn admit(&mut self, msg: &SensorMessage) -> Result<(), Refusal> {
        let t = msg.timestamp();
        let newest_other = self
            .sensors
            .iter()
            .filter(|(name, _)| name.as_str() != msg.sensor())
            .filter_map(|(_, s)| s.seen)
            .max();
        let times = self.sensors.entry(msg.sensor().to_owned()).or_default();
        times.seen = Some(times.seen.map_or(t, |s| s.max(t)));
        let ahead = |of: Option<Timestamp>| {
            of.is_some_and(|o| t.as_nanos() > o.as_nanos().saturating_add(self.max_jump_ns))
        };
        if let Some(a) = times.admitted.filter(|&a| t <= a) {
            if times.stepped_back {
                return Err(Refusal::ClockStepBack { first: false });
            }
            if a.as_nanos() - t.as_nanos() > self.step_back_ns {
                times.stepped_back = true;
                return Err(Refusal::ClockStepBack { first: true });
            }
            return Err(Refusal::NotAfterPrevious);
        }
        times.stepped_back = false;
        if ahead(times.admitted)
            && ahead(newest_other)
            && times.jumped_in_a_row + 1 < PERSISTENT_JUMP_MESSAGES
        {
            times.jumped_in_a_row += 1;
            return Err(Refusal::ClockJump);
        }
        times.jumped_in_a_row = 0;
        times.admitted = Some(t);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::PointCloud;

    const MS: u64 = 1_000_000;

    fn msg(sensor: &str, t_ms: u64) -> SensorMessage {
        SensorMessage::Lidar(PointCloud::with_capacity(
            sensor,
            Timestamp(10_000 * MS + t_ms * MS),
            0,
            false,
            false,
        ))
    }

    fn admit(order: &mut InputOrder, seq: &[(&str, u64)]) -> Vec<Result<(), Refusal>> {
        seq.iter().map(|&(s, t)| order.admit(&msg(s, t))).collect()
    }

    #[test]
    fn duplicates_and_reordered_neighbours_are_refused() {
        let mut o = InputOrder::new(1.0, 0.25);
        let got = admit(
            &mut o,
            &[("a", 0), ("a", 100), ("a", 100), ("a", 50), ("a", 200)],
        );
        use Refusal::*;
        assert_eq!(
            got,
            vec![
                Ok(()),
                Ok(()),
                Err(NotAfterPrevious),
                Err(NotAfterPrevious),
                Ok(())
            ]
        );
    }

    #[test]
    fn a_step_back_is_refused_until_time_passes_and_reported_once() {
        let mut o = InputOrder::new(1.0, 0.25);
        // 10 Hz; at 1.0 s the clock steps back 0.5 s.
        let got: Vec<_> = (0..16u64)
            .map(|i| o.admit(&msg("a", i * 100 - if i >= 10 { 500 } else { 0 })))
            .collect();
        use Refusal::*;
        assert_eq!(got[10], Err(ClockStepBack { first: true }));
        assert!(
            got[11..15]
                .iter()
                .all(|r| *r == Err(ClockStepBack { first: false }))
        );
        assert_eq!(got[15], Ok(()), "1.0 s again: past the last admitted 0.9 s");
    }

    #[test]
    fn one_sensor_leaping_ahead_is_refused_until_it_comes_back() {
        let mut o = InputOrder::new(1.0, 0.25);
        let mut got = vec![];
        for i in 0..10u64 {
            got.push(o.admit(&msg("cam", i * 100)));
            // The LiDAR's clock leaps 3 s ahead for messages 3-5, then comes back.
            let t = i * 100 + if (3..6).contains(&i) { 3000 } else { 0 };
            got.push(o.admit(&msg("lidar", t)));
        }
        let refused: Vec<usize> = (0..got.len()).filter(|&i| got[i].is_err()).collect();
        assert_eq!(refused, vec![7, 9, 11]);
        assert_eq!(got[7], Err(Refusal::ClockJump));
    }

    #[test]
    fn shared_jumps_returning_sensors_and_lone_survivors_are_admitted() {
        let mut o = InputOrder::new(1.0, 0.25);
        // Both sensors jump 5 s: only the first message to leap is refused.
        let got = admit(
            &mut o,
            &[("a", 0), ("b", 0), ("a", 5000), ("b", 5000), ("a", 5100)],
        );
        assert_eq!(got.iter().filter(|r| r.is_err()).count(), 1);
        assert_eq!(got[2], Err(Refusal::ClockJump));
        // `b` goes silent; `a` carries on alone for 10 s at 10 Hz: all admitted.
        let alone: Vec<_> = (52..152).map(|i| o.admit(&msg("a", i * 100))).collect();
        assert!(alone.iter().all(Result::is_ok));
        // `b` comes back after its silence: the others vouch for the time.
        assert_eq!(o.admit(&msg("b", 15_150)), Ok(()));
        // A jump that persists becomes the sensor's new time.
        let persist: Vec<_> = (0..6)
            .map(|i| o.admit(&msg("a", 60_000 + i * 100)))
            .collect();
        assert_eq!(persist.iter().filter(|r| r.is_err()).count(), 4);
        assert_eq!(persist[4], Ok(()));
    }
}
