//! The reader delivers messages in log-time order (ties: file order): through the summary's
//! chunk indexes when the file has them, through a bounded reorder window when it does not
//! (no summary, truncated), with the unrepairable disorder counted, never lost.

use kestrel_log::mcap_reader::{DEFAULT_REORDER_WINDOW, ReadMode, ReorderWindow};
use kestrel_log::mcap_writer::default_topic;
use kestrel_log::{LogError, LogWriter, RawLogReader, RawMessage, SensorLogReader};
use kestrel_sensors::{PointCloud, SensorMessage, Timestamp};
use mcap::records::MessageHeader;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Number of messages in the test logs.
const N: u64 = 300;

/// Log time of the `i`-th message written: a permutation of 0..N (x 1 ms), so consecutive
/// messages — and the chunks they fall in — jump back and forth in time. Every tenth time is
/// used twice (on topic `/b` then `/a`) to test ties.
fn written_times() -> Vec<(u64, &'static str)> {
    let mut out = Vec::new();
    for i in 0..N {
        let t = (i * 97 % N) * 1_000_000;
        out.push((t, "/b"));
        if t.is_multiple_of(10_000_000) {
            out.push((t, "/a"));
        }
    }
    out
}

/// Writes [`written_times`] with the raw `mcap` writer, zstd chunks of about `chunk` bytes;
/// each payload holds its write index (u32 LE) so file order can be checked.
fn write_raw(options: mcap::WriteOptions) -> Vec<u8> {
    let mut w = options.create(Cursor::new(Vec::new())).unwrap();
    let mut channels = BTreeMap::new();
    for topic in ["/b", "/a"] {
        let id = w.add_channel(0, topic, "cdr", &BTreeMap::new()).unwrap();
        channels.insert(topic, id);
    }
    for (i, (t, topic)) in written_times().into_iter().enumerate() {
        let header = MessageHeader {
            channel_id: channels[topic],
            sequence: i as u32,
            log_time: t,
            publish_time: t,
        };
        let mut data = (i as u32).to_le_bytes().to_vec();
        data.extend_from_slice(&[0x5a; 60]);
        w.write_to_known_channel(&header, &data).unwrap();
    }
    w.finish().unwrap();
    w.into_inner().into_inner()
}

fn chunked() -> mcap::WriteOptions {
    mcap::WriteOptions::new()
        .compression(Some(mcap::Compression::Zstd))
        .chunk_size(Some(1024))
}

fn reader(bytes: &[u8]) -> RawLogReader<Cursor<&[u8]>> {
    RawLogReader::new(
        Path::new("mem.mcap"),
        Cursor::new(bytes),
        bytes.len() as u64,
    )
    .unwrap()
}

/// Reads everything: the messages and the errors.
fn read_all(r: &mut RawLogReader<Cursor<&[u8]>>) -> (Vec<RawMessage>, Vec<LogError>) {
    let (mut ok, mut errs) = (Vec::new(), Vec::new());
    for m in r {
        match m {
            Ok(m) => ok.push(m),
            Err(e) => errs.push(e),
        }
    }
    (ok, errs)
}

fn write_index(m: &RawMessage) -> u32 {
    u32::from_le_bytes(m.data[..4].try_into().unwrap())
}

/// Sorted by log time, ties in file (write) order, and nothing lost or duplicated.
fn assert_log_time_order(got: &[RawMessage], complete: bool) {
    for w in got.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(
            (a.log_time, write_index(a)) < (b.log_time, write_index(b)),
            "{} ({}) before {} ({})",
            a.log_time,
            a.channel.topic,
            b.log_time,
            b.channel.topic
        );
    }
    let mut idx: Vec<u32> = got.iter().map(write_index).collect();
    idx.sort_unstable();
    idx.dedup();
    assert_eq!(idx.len(), got.len(), "duplicates");
    if complete {
        assert_eq!(got.len(), written_times().len());
    }
}

#[test]
fn indexed_read_sorts_chunks_written_out_of_order() {
    let bytes = write_raw(chunked());
    let summary = mcap::Summary::read(&bytes).unwrap().unwrap();
    assert!(summary.chunk_indexes.len() > 10, "test needs many chunks");
    let overlapping = summary.chunk_indexes.windows(2).any(|w| {
        w[1].message_start_time < w[0].message_end_time
            || w[1].message_start_time < w[0].message_start_time
    });
    assert!(overlapping, "chunks must overlap / go back in time");

    let mut r = reader(&bytes);
    assert_eq!(r.mode(), &ReadMode::Indexed);
    let (got, errs) = read_all(&mut r);
    assert!(errs.is_empty(), "{errs:?}");
    assert_log_time_order(&got, true);
    assert_eq!(r.out_of_order(), 0);
    // Ties keep file order: at t = 0 the `/b` message was written before the `/a` one.
    assert_eq!(
        (got[0].channel.topic.as_str(), got[1].channel.topic.as_str()),
        ("/b", "/a")
    );
}

#[test]
fn without_a_summary_the_reorder_window_sorts() {
    let bytes = write_raw(chunked().emit_summary_records(false));
    let mut r = reader(&bytes);
    assert!(
        matches!(r.mode(), ReadMode::Streamed { .. }),
        "{:?}",
        r.mode()
    );
    let (got, errs) = read_all(&mut r);
    assert!(errs.is_empty(), "{errs:?}");
    assert_log_time_order(&got, true);
    assert_eq!(r.out_of_order(), 0);
    let (held, bytes_held) = r.reorder_peak();
    assert!(held <= DEFAULT_REORDER_WINDOW.max_messages && bytes_held > 0);
}

#[test]
fn unchunked_files_stream_and_sort() {
    let bytes = write_raw(mcap::WriteOptions::new().use_chunks(false));
    let mut r = reader(&bytes);
    let ReadMode::Streamed { reason } = r.mode().clone() else {
        panic!("no chunk indexes: must stream")
    };
    assert!(reason.contains("outside chunks"), "{reason}");
    let (got, errs) = read_all(&mut r);
    assert!(errs.is_empty(), "{errs:?}");
    assert_log_time_order(&got, true);
}

#[test]
fn a_small_window_is_a_counted_degraded_mode() {
    let bytes = write_raw(chunked().emit_summary_records(false));
    let window = ReorderWindow {
        max_messages: 8,
        max_bytes: usize::MAX,
    };
    let mut r = reader(&bytes).with_reorder_window(window);
    let (got, errs) = read_all(&mut r);
    assert!(errs.is_empty(), "{errs:?}");
    // Nothing lost ...
    let mut idx: Vec<u32> = got.iter().map(write_index).collect();
    idx.sort_unstable();
    assert_eq!(idx, (0..written_times().len() as u32).collect::<Vec<_>>());
    // ... the disorder is counted exactly, and the window held no more than asked.
    let descents = got
        .windows(2)
        .filter(|w| w[1].log_time < w[0].log_time)
        .count();
    assert!(
        descents > 0,
        "a window of 8 cannot sort a stride-97 permutation"
    );
    assert_eq!(r.out_of_order(), descents as u64);
    assert!(r.reorder_peak().0 <= 8);
    // The byte limit bounds memory the same way.
    let tight = ReorderWindow {
        max_messages: usize::MAX,
        max_bytes: 64 * 4,
    };
    let mut r = reader(&bytes).with_reorder_window(tight);
    let (got, _) = read_all(&mut r);
    assert_eq!(got.len(), written_times().len());
    assert!(r.reorder_peak().1 <= 64 * 4, "{:?}", r.reorder_peak());
}

#[test]
fn truncated_copies_deliver_sorted_messages_then_an_error() {
    let bytes = write_raw(chunked());
    let summary = mcap::Summary::read(&bytes).unwrap().unwrap();
    let data_end = summary
        .chunk_indexes
        .iter()
        .map(|c| c.chunk_start_offset + c.chunk_length)
        .max()
        .unwrap() as usize;
    let mut delivered_at_data_end = 0;
    for cut in (0..bytes.len()).step_by(53).chain([data_end]) {
        let mut r = reader(&bytes[..cut]);
        assert!(matches!(r.mode(), ReadMode::Streamed { .. }), "cut {cut}");
        let (got, errs) = read_all(&mut r);
        assert_eq!(errs.len(), 1, "cut {cut}: one error");
        assert!(
            matches!(errs[0], LogError::Mcap { .. }),
            "cut {cut}: {:?}",
            errs[0]
        );
        assert_log_time_order(&got, false);
        // Every complete chunk before the cut was delivered.
        let complete: usize = summary
            .chunk_indexes
            .iter()
            .filter(|c| (c.chunk_start_offset + c.chunk_length) as usize <= cut)
            .map(|c| summary.stream_chunk(&bytes, c).unwrap().count())
            .sum();
        assert!(
            got.len() >= complete,
            "cut {cut}: {} < {complete}",
            got.len()
        );
        if cut == data_end {
            delivered_at_data_end = got.len();
        }
    }
    assert_eq!(delivered_at_data_end, written_times().len());
}

#[test]
fn a_damaged_chunk_in_an_indexed_read_is_an_error_after_the_earlier_messages() {
    let bytes = write_raw(chunked());
    let summary = mcap::Summary::read(&bytes).unwrap().unwrap();
    // The chunk visited third in log-time order.
    let mut order = summary.chunk_indexes.clone();
    order.sort_by_key(|c| (c.message_start_time, c.chunk_start_offset));
    let victim = &order[2];
    let mut bad = bytes.clone();
    bad[(victim.chunk_start_offset + victim.chunk_length - 5) as usize] ^= 0x55;
    let mut r = reader(&bad);
    assert_eq!(r.mode(), &ReadMode::Indexed);
    let (got, errs) = read_all(&mut r);
    assert_eq!(errs.len(), 1);
    let LogError::Mcap { offset, .. } = &errs[0] else {
        panic!("{:?}", errs[0])
    };
    let chunk = victim.chunk_start_offset..=victim.chunk_start_offset + victim.chunk_length;
    assert!(chunk.contains(offset), "error at {offset}, chunk {chunk:?}");
    assert_log_time_order(&got, false);
    // Everything before the damaged chunk's first message came out.
    let before = written_times()
        .iter()
        .filter(|(t, _)| *t < victim.message_start_time)
        .count();
    assert!(got.len() >= before, "{} < {before}", got.len());
}

#[test]
fn sensor_reader_replays_a_log_written_out_of_order_in_time_order() {
    let path: PathBuf = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("out_of_order.mcap");
    let mut w = LogWriter::create_with_chunk_size(&path, None, 4 << 10).unwrap();
    let mut stamps = Vec::new();
    for k in 0..40u64 {
        let t = Timestamp((k * 17 % 40) * 100_000_000);
        stamps.push(t);
        let mut cloud = PointCloud::with_capacity("lidar", t, 64, false, false);
        for i in 0..64 {
            cloud.push(i as f32, k as f32, 0.0, 1.0, 0, 0);
        }
        let msg = SensorMessage::Lidar(cloud);
        w.write_sensor(&default_topic("lidar", "lidar"), &msg)
            .unwrap();
    }
    w.finish().unwrap();
    stamps.sort();
    let mut r = SensorLogReader::open(&path, None).unwrap();
    assert_eq!(r.raw().mode(), &ReadMode::Indexed);
    let got: Vec<Timestamp> = r.by_ref().map(|e| e.unwrap().message.timestamp()).collect();
    assert_eq!(got, stamps);
}
