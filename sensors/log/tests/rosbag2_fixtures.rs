//! The real rosbag2 MCAP fixtures (ros2/rosbag2 test resources): every schema parses and every
//! CDR payload decodes with the generic decoder, consuming exactly the payload. Expected values
//! were read independently with the Python `mcap-ros2-support` decoder.

use kestrel_log::dynamic_decode::{Value, decode};
use kestrel_log::msg_schema::Schema;
use kestrel_log::{RawLogReader, ReadMode, SensorLogReader};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Decodes every message of a fixture; returns (topic -> count, topic -> first value).
fn decode_all(name: &str) -> (BTreeMap<String, u64>, BTreeMap<String, Value>) {
    let mut counts = BTreeMap::new();
    let mut first = BTreeMap::new();
    let mut schemas: BTreeMap<u16, Schema> = BTreeMap::new();
    let mut reader = RawLogReader::open(&fixture(name)).unwrap();
    for m in reader.by_ref() {
        let m = m.unwrap_or_else(|e| panic!("{name}: {e}"));
        let ch = &m.channel;
        assert_eq!(ch.message_encoding, "cdr");
        assert_eq!(ch.schema_encoding, "ros2msg");
        let schema = schemas.entry(ch.id).or_insert_with(|| {
            let text = std::str::from_utf8(&ch.schema_data).unwrap();
            Schema::parse(&ch.schema_name, text)
                .unwrap_or_else(|e| panic!("{name} {}: {e}", ch.schema_name))
        });
        let v = decode(schema, &m.data)
            .unwrap_or_else(|e| panic!("{name} {} at {}: {e}", ch.topic, m.log_time));
        *counts.entry(ch.topic.clone()).or_insert(0) += 1;
        first.entry(ch.topic.clone()).or_insert(v);
    }
    assert_eq!(reader.out_of_order(), 0, "{name}");
    (counts, first)
}

fn string_field(v: &Value, name: &str) -> String {
    match v.field(name) {
        Some(Value::String(s)) => s.clone(),
        other => panic!("field {name}: {other:?}"),
    }
}

#[test]
fn talker_decodes_rosout_and_strings() {
    let (counts, first) = decode_all("talker.mcap");
    assert_eq!(
        counts,
        BTreeMap::from([("/rosout".into(), 10), ("/topic".into(), 10)])
    );
    assert_eq!(string_field(&first["/topic"], "data"), "Hello, world! 0");
    let log = &first["/rosout"];
    assert_eq!(string_field(log, "msg"), "Publishing: 'Hello, world! 0'");
    assert_eq!(string_field(log, "function"), "operator()");
    assert_eq!(log.field("line"), Some(&Value::UInt(38)));
    assert_eq!(log.field("level"), Some(&Value::UInt(20)));
    let stamp = log.field("stamp").unwrap();
    assert_eq!(stamp.field("sec"), Some(&Value::Int(1585866235)));
    assert_eq!(stamp.field("nanosec"), Some(&Value::UInt(112130688)));
}

#[test]
fn cdr_test_decodes_basic_types_and_arrays() {
    let (counts, first) = decode_all("cdr_test_0.mcap");
    assert_eq!(
        counts,
        BTreeMap::from([("/array_topic".into(), 4), ("/test_topic".into(), 3)])
    );
    assert_eq!(
        first["/test_topic"].field("int32_value"),
        Some(&Value::Int(123))
    );
    let a = &first["/array_topic"];
    assert_eq!(
        a.field("bool_values"),
        Some(&Value::Array(vec![
            Value::Bool(true),
            Value::Bool(false),
            Value::Bool(true)
        ]))
    );
    assert_eq!(
        a.field("string_values"),
        Some(&Value::Array(
            ["Complex Hello1", "Complex Hello2", "Complex Hello3"]
                .map(|s| Value::String(s.into()))
                .to_vec()
        ))
    );
    assert_eq!(
        a.field("int64_values_default"),
        Some(&Value::Array(vec![
            Value::Int(0),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN)
        ]))
    );
    // The definition's default `[3.1415, 0.0, -3.1415]` (not pi).
    let approx_pi = "3.1415".parse::<f64>().unwrap();
    assert_eq!(
        a.field("float64_values_default"),
        Some(&Value::Array(vec![
            Value::Float(approx_pi),
            Value::Float(0.0),
            Value::Float(-approx_pi)
        ]))
    );
    let Some(Value::Array(defaults)) = a.field("defaults_values") else {
        panic!()
    };
    assert_eq!(
        defaults[0].field("float32_value"),
        Some(&Value::Float(1.125))
    );
    assert_eq!(a.field("alignment_check"), Some(&Value::Int(0)));
}

#[test]
fn only_topics_decodes_parameter_events() {
    let (counts, first) = decode_all("only_topics.mcap");
    assert_eq!(counts, BTreeMap::from([("/parameter_events".into(), 7)]));
    let ev = &first["/parameter_events"];
    assert_eq!(string_field(ev, "node"), "/introspection_client");
    let Some(Value::Array(params)) = ev.field("new_parameters") else {
        panic!()
    };
    assert_eq!(string_field(&params[0], "name"), "use_sim_time");
    assert_eq!(
        params[0].field("value").unwrap().field("type"),
        Some(&Value::UInt(1))
    );
}

#[test]
fn wbag_decodes_all_1246_messages() {
    let (counts, first) = decode_all("wbag_0.mcap");
    let expected: BTreeMap<String, u64> = [174, 145, 157, 163, 147, 171, 141, 148]
        .into_iter()
        .zip(["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"])
        .map(|(n, t)| (t.to_owned(), n))
        .collect();
    assert_eq!(counts, expected);
    assert_eq!(string_field(&first["EEE"], "data"), "Hello, world! 0 - 0");
}

#[test]
fn fixture_channels_carry_rosbag2_metadata() {
    let mut r = RawLogReader::open(&fixture("only_topics.mcap")).unwrap();
    for m in r.by_ref() {
        m.unwrap();
    }
    let ch = r
        .channels()
        .values()
        .find(|c| c.topic == "/parameter_events")
        .unwrap();
    assert!(ch.metadata["offered_qos_profiles"].starts_with("- history: 3"));
    assert!(ch.metadata["topic_type_hash"].starts_with("RIHS01_"));
    assert!(r.metadata().iter().any(|m| m.name == "rosbag2"));
}

#[test]
fn non_sensor_topics_are_skipped_and_counted() {
    let mut r = SensorLogReader::open(&fixture("talker.mcap"), None).unwrap();
    assert_eq!(r.by_ref().count(), 0);
    let stats = r.stats();
    assert!(stats.delivered.is_empty() && stats.failed.is_empty());
    assert_eq!(stats.skipped.get("/topic"), Some(&10));
    assert_eq!(stats.skipped.get("/rosout"), Some(&10));
}

#[test]
fn rihs01_hashes_match_the_recorded_topic_type_hashes() {
    let mut r = RawLogReader::open(&fixture("only_topics.mcap")).unwrap();
    for m in r.by_ref() {
        m.unwrap();
    }
    assert_eq!(r.channels().len(), 3);
    for ch in r.channels().values() {
        let schema = Schema::parse(
            &ch.schema_name,
            std::str::from_utf8(&ch.schema_data).unwrap(),
        )
        .unwrap();
        assert_eq!(
            kestrel_log::type_hash::rihs01(&schema),
            ch.metadata["topic_type_hash"],
            "{}",
            ch.schema_name
        );
    }
}

#[test]
fn damaged_payloads_never_panic_the_generic_decoder() {
    let mut r = RawLogReader::open(&fixture("cdr_test_0.mcap")).unwrap();
    let msgs: Vec<_> = r.by_ref().map(|m| m.unwrap()).collect();
    // Deterministic xorshift so failures reproduce.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut ok, mut err) = (0, 0);
    for m in &msgs {
        let ch = &m.channel;
        let schema = Schema::parse(
            &ch.schema_name,
            std::str::from_utf8(&ch.schema_data).unwrap(),
        )
        .unwrap();
        for cut in 0..m.data.len() {
            assert!(
                decode(&schema, &m.data[..cut]).is_err(),
                "{} cut at {cut}",
                ch.topic
            );
        }
        for _ in 0..500 {
            let mut bad = m.data.clone();
            for _ in 0..3 {
                let i = (next() % bad.len() as u64) as usize;
                bad[i] = next() as u8;
            }
            match decode(&schema, &bad) {
                Ok(_) => ok += 1,
                Err(_) => err += 1,
            }
        }
    }
    // Flipped bytes mostly land in values (still decodable); some hit lengths and fail.
    assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
}

/// (topic, log time, payload) of every message of a log held in memory, its read mode and
/// its errors.
type Read = (ReadMode, Vec<(String, u64, Vec<u8>)>, usize);

fn read_bytes(bytes: &[u8]) -> Read {
    let mut r = RawLogReader::new(
        std::path::Path::new("mem.mcap"),
        std::io::Cursor::new(bytes),
        bytes.len() as u64,
    )
    .unwrap();
    let (mut msgs, mut errors) = (Vec::new(), 0);
    for m in r.by_ref() {
        match m {
            Ok(m) => msgs.push((m.channel.topic.clone(), m.log_time, m.data)),
            Err(_) => errors += 1,
        }
    }
    (r.mode().clone(), msgs, errors)
}

#[test]
fn fixtures_read_indexed_and_streamed_alike_in_log_time_order() {
    for name in [
        "talker.mcap",
        "cdr_test_0.mcap",
        "wbag_0.mcap",
        "only_topics.mcap",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let (mode, indexed, errors) = read_bytes(&bytes);
        assert_eq!((mode, errors), (ReadMode::Indexed, 0), "{name}");
        assert!(
            indexed.windows(2).all(|w| w[0].1 <= w[1].1),
            "{name}: log-time order"
        );
        // The same file cut after its last chunk: no summary, so it streams.
        let summary = mcap::Summary::read(&bytes).unwrap().unwrap();
        let Some(data_end) = summary
            .chunk_indexes
            .iter()
            .map(|c| (c.chunk_start_offset + c.chunk_length) as usize)
            .max()
        else {
            assert!(indexed.is_empty(), "{name}: messages without chunks");
            continue;
        };
        let (mode, streamed, errors) = read_bytes(&bytes[..data_end]);
        assert!(matches!(mode, ReadMode::Streamed { .. }), "{name}");
        assert_eq!(errors, 1, "{name}: the cut is reported");
        assert!(streamed == indexed, "{name}: streamed read differs");
    }
}
