//! Applies a [`FaultPlan`] to a stream of messages ([`Faultable`]: decoded sensor messages in
//! replay, recorded wire messages in `kestrel play`), deterministically.
//!
//! Each message's *arrival* is its original stamp (replay) or log time (play). Faults are applied in plan order to every
//! message whose sensor and elapsed time (original stamp minus the input's first stamp) they
//! cover. Delayed, duplicated and reordered messages are held and released in order of arrival
//! time (ties: the order they were produced), so a delayed message comes out behind messages
//! stamped after it, as it would reach a live subscriber. All random choices draw from one
//! [`SimRng`] stream seeded by the plan: the same plan on the same input gives the same stream.

use super::fault_plan::{FaultKind, FaultPlan};
use super::faultable::Faultable;
use super::message_damage::{flip_bits, truncate};
use crate::error::PerceptionError;
use kestrel_sensors::Timestamp;
use kestrel_sim::rng::SimRng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One item of a stream: a message, or the error of one that could not be read.
pub type Item<T> = Result<T, PerceptionError>;

/// A stream of messages the injector wraps.
pub type ItemIter<T> = Box<dyn Iterator<Item = Item<T>> + Send>;

/// How many messages each fault of a plan hit so far (shared with the injector).
#[derive(Debug, Clone, Default)]
pub struct FaultCounts(Arc<Mutex<Vec<u64>>>);

impl FaultCounts {
    /// Zero counters for the faults of `plan`.
    pub fn for_plan(plan: &FaultPlan) -> Self {
        Self(Arc::new(Mutex::new(vec![0; plan.faults.len()])))
    }

    /// Messages hit per fault, in plan order.
    pub fn hits(&self) -> Vec<u64> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    fn add(&self, fault: usize) {
        if let Ok(mut v) = self.0.lock() {
            v[fault] += 1;
        }
    }
}

/// The faulted stream (an iterator of messages, like the one it wraps).
pub struct FaultInjector<T: Faultable> {
    input: ItemIter<T>,
    plan: FaultPlan,
    rng: SimRng,
    first: Option<Timestamp>,
    /// Messages waiting for their arrival time, by (arrival ns, production order).
    held: BTreeMap<(i128, u64), Item<T>>,
    /// Per sensor: the message waiting for the sensor's next one, with the reorder fault
    /// that holds it (counted when the message is released behind a newer one).
    swaps: BTreeMap<String, (usize, T)>,
    /// Per (fault, sensor): the content a frozen sensor keeps repeating.
    frozen: BTreeMap<(usize, String), T>,
    produced: u64,
    last_arrival: i128,
    counts: FaultCounts,
    input_done: bool,
}

impl<T: Faultable> FaultInjector<T> {
    /// Wraps `input` with `plan`, counting hits into fresh counters.
    pub fn new(input: ItemIter<T>, plan: FaultPlan) -> Self {
        let counts = FaultCounts::for_plan(&plan);
        Self::counting_into(input, plan, counts)
    }

    /// Wraps `input` with `plan`, adding its hits to `counts` (made by
    /// [`FaultCounts::for_plan`] for the same plan), e.g. over several passes of a log.
    pub fn counting_into(input: ItemIter<T>, plan: FaultPlan, counts: FaultCounts) -> Self {
        Self {
            input,
            rng: SimRng::for_stream(plan.seed, "faults"),
            plan,
            first: None,
            held: BTreeMap::new(),
            swaps: BTreeMap::new(),
            frozen: BTreeMap::new(),
            produced: 0,
            last_arrival: i128::MIN,
            counts,
            input_done: false,
        }
    }

    /// The counters of this injector's faults.
    pub fn counts(&self) -> FaultCounts {
        self.counts.clone()
    }

    fn hold(&mut self, at: i128, item: Item<T>) {
        self.held.insert((at, self.produced), item);
        self.produced += 1;
    }

    /// Applies the plan to one input item and holds what comes out.
    fn admit(&mut self, item: Item<T>) {
        let msg = match item {
            Ok(m) => m,
            Err(e) => {
                let at = self.last_arrival;
                self.hold(at, Err(e));
                return;
            }
        };
        let arrival = msg.arrival().as_nanos() as i128;
        self.last_arrival = self.last_arrival.max(arrival);
        let first = *self.first.get_or_insert(msg.arrival());
        let elapsed_s = (arrival - first.as_nanos() as i128) as f64 * 1e-9;
        let sensor = msg.sensor().to_owned();
        let topic = msg.topic().map(str::to_owned);
        let names: Vec<&str> = std::iter::once(sensor.as_str())
            .chain(topic.as_deref())
            .collect();
        let mut out: Item<T> = Ok(msg);
        let mut deliver_at = arrival;
        let mut copies = 1;
        let mut swap = None;
        for (i, fault) in self.plan.faults.iter().enumerate() {
            let Ok(m) = &mut out else { break };
            if !fault.active(&names, elapsed_s) {
                continue;
            }
            let rng = &mut self.rng;
            let hit = match fault.kind {
                FaultKind::Dropout => {
                    self.counts.add(i);
                    return;
                }
                FaultKind::Delay { delay_s, jitter_s } => {
                    let s = delay_s + jitter_s * rng.uniform();
                    deliver_at += (s * 1e9) as i128;
                    true
                }
                FaultKind::Duplicate { probability } => {
                    let hit = rng.chance(probability);
                    copies += hit as usize;
                    hit
                }
                FaultKind::Reorder { probability } => {
                    if swap.is_none() && rng.chance(probability) {
                        swap = Some(i);
                    }
                    // Counted when the held message goes out behind a newer one.
                    false
                }
                FaultKind::TimeJump { jump_s } => {
                    let t = m.stamp().as_nanos() as i128 + (jump_s * 1e9) as i128;
                    m.set_stamp(Timestamp(t.clamp(0, u64::MAX as i128) as u64));
                    true
                }
                FaultKind::NonFinite { .. }
                | FaultKind::CorruptPixels { .. }
                | FaultKind::PartialLidar { .. } => m.damage_content(fault.kind, rng),
                FaultKind::Freeze => match self.frozen.get(&(i, sensor.clone())) {
                    Some(f) => {
                        let mut repeat = f.clone();
                        repeat.set_stamp(m.stamp());
                        repeat.set_arrival(m.arrival());
                        *m = repeat;
                        true
                    }
                    None => {
                        self.frozen.insert((i, sensor.clone()), m.clone());
                        false
                    }
                },
                FaultKind::Truncate { probability } => {
                    let hit = rng.chance(probability);
                    if hit {
                        out = m.clone().damage_wire(|b| truncate(b, rng));
                    }
                    hit
                }
                FaultKind::BitFlip { probability, flips } => {
                    let hit = rng.chance(probability);
                    if hit {
                        out = m.clone().damage_wire(|b| flip_bits(b, flips, rng));
                    }
                    hit
                }
            };
            if hit {
                self.counts.add(i);
            }
        }
        let waiting = self.swaps.remove(&sensor);
        match (out, swap) {
            (Ok(m), Some(fault)) => {
                // A message already waiting goes out in order (it was not overtaken).
                if let Some((_, w)) = waiting {
                    self.hold(arrival, Ok(w));
                }
                self.swaps.insert(sensor, (fault, m));
            }
            (mut out, _) => {
                if let Ok(m) = &mut out
                    && deliver_at != arrival
                {
                    m.set_arrival(Timestamp(deliver_at.clamp(0, u64::MAX as i128) as u64));
                }
                let copy = out.as_ref().ok().filter(|_| copies > 1).cloned();
                if let Some(m) = copy {
                    for _ in 1..copies {
                        self.hold(deliver_at, Ok(m.clone()));
                    }
                }
                self.hold(deliver_at, out);
                if let Some((fault, w)) = waiting {
                    self.counts.add(fault);
                    self.hold(arrival, Ok(w));
                }
            }
        }
    }
}

impl<T: Faultable> Iterator for FaultInjector<T> {
    type Item = Item<T>;

    fn next(&mut self) -> Option<Item<T>> {
        loop {
            if let Some((&(at, _), _)) = self.held.first_key_value()
                && (self.input_done || at <= self.last_arrival)
            {
                return self.held.pop_first().map(|(_, item)| item);
            }
            if self.input_done {
                return None;
            }
            match self.input.next() {
                Some(item) => self.admit(item),
                None => {
                    self.input_done = true;
                    let at = self.last_arrival;
                    for (_, (_, m)) in std::mem::take(&mut self.swaps) {
                        self.hold(at, Ok(m));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault_injection::fault_plan::FaultPlan;
    use kestrel_sensors::{PointCloud, SensorMessage};

    const MS: u64 = 1_000_000;

    fn cloud(sensor: &str, t_ms: u64) -> SensorMessage {
        let v = vec![1.0f32, 2.0, 3.0];
        SensorMessage::Lidar(
            PointCloud::new(
                sensor,
                Timestamp(t_ms * MS),
                v.clone(),
                v.clone(),
                v.clone(),
                v,
            )
            .unwrap(),
        )
    }

    /// Two sensors at 10 Hz for 1 s, interleaved in time order.
    fn input() -> Vec<SensorMessage> {
        (0..10)
            .flat_map(|i| [cloud("a", i * 100), cloud("b", i * 100 + 50)])
            .collect()
    }

    fn run(spec: &str, seed: u64) -> (Vec<(String, u64)>, Vec<u64>) {
        let mut plan = FaultPlan::from_inline(spec).unwrap();
        plan.seed = seed;
        let input: ItemIter<SensorMessage> = Box::new(input().into_iter().map(Ok));
        let injector = FaultInjector::new(input, plan);
        let counts = injector.counts();
        let out = injector
            .map(|m| {
                let m = m.unwrap();
                (m.sensor().to_owned(), m.timestamp().as_nanos() / MS)
            })
            .collect();
        (out, counts.hits())
    }

    #[test]
    fn dropout_window_removes_exactly_the_covered_messages() {
        let (out, hits) = run("dropout sensor=a from_s=0.2 for_s=0.3", 0);
        let a: Vec<u64> = out.iter().filter(|m| m.0 == "a").map(|m| m.1).collect();
        assert_eq!(a, vec![0, 100, 500, 600, 700, 800, 900]);
        assert_eq!(hits, vec![3]);
        assert_eq!(out.iter().filter(|m| m.0 == "b").count(), 10);
    }

    #[test]
    fn delay_duplicate_reorder_and_jumps_change_arrival_as_stated() {
        // A delay of 0.12 s puts `a` at 100 ms behind `b` at 150 and `a` at 200.
        let (out, _) = run("delay sensor=a delay_s=0.12 from_s=0.1 for_s=0.05", 0);
        let pos = |out: &[(String, u64)], s: &str, t| out.iter().position(|m| m.0 == s && m.1 == t);
        assert!(pos(&out, "a", 100) > pos(&out, "a", 200));
        assert!(pos(&out, "a", 100) > pos(&out, "b", 150));
        let (out, hits) = run("duplicate sensor=b from_s=0.5", 0);
        assert_eq!(out.len(), 25);
        assert_eq!(hits, vec![5]);
        let (out, _) = run("reorder sensor=a from_s=0.3 for_s=0.05", 0);
        assert!(pos(&out, "a", 300) > pos(&out, "a", 400));
        assert_eq!(out.len(), 20);
        let (out, _) = run("time_jump sensor=b jump_s=-0.2 from_s=0.5 for_s=0.2", 0);
        let b: Vec<u64> = out.iter().filter(|m| m.0 == "b").map(|m| m.1).collect();
        assert_eq!(b, vec![50, 150, 250, 350, 450, 350, 450, 750, 850, 950]);
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let spec = "duplicate probability=0.5; reorder probability=0.3";
        assert_eq!(run(spec, 7), run(spec, 7));
        assert_ne!(run(spec, 7), run(spec, 8));
    }
}
