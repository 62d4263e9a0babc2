//! Anonymised recording on real frames: the shipped PandaSet slice's frames 50-55 (six
//! cameras) through the anonymiser with the teacher at the default threshold. Labelled
//! pedestrians' heads must be covered (the count is the measure, see `kestrel convert
//! pandaset ... --anonymise` for the whole sequence), every pixelated pixel lies in a reported
//! head region and nothing outside one changes; a recording made with the anonymiser stores
//! the pixelated image, never the original.

use kestrel_log::LogWriter;
use kestrel_log::SensorLogReader;
use kestrel_models::zoo;
use kestrel_perception::anonymiser::{Anonymiser, DEFAULT_PERSON_SCORE};
use kestrel_perception::head_coverage::pandaset_head_coverage;
use kestrel_perception::stage_factory::default_input;
use kestrel_sensors::SensorMessage;
use kestrel_sensors::pandaset::PandasetSequence;

const FROM: u32 = 50;

#[test]
fn heads_of_labelled_pedestrians_are_pixelated_and_nothing_else_changes() {
    let sequence = PandasetSequence::open(&default_input()).unwrap();
    let anonymiser =
        Anonymiser::load(&zoo::teacher_manifest(), Some(DEFAULT_PERSON_SCORE)).unwrap();
    let mut changed_outside = 0usize;
    for (i, f) in sequence.frames().iter().enumerate() {
        if f.number < FROM {
            continue;
        }
        for camera in sequence.camera_names() {
            let frame = sequence.camera(i, camera).unwrap();
            let (out, regions) = anonymiser.anonymise(&frame).unwrap();
            let bpp = frame.encoding.bytes_per_pixel();
            for (k, (a, b)) in frame.data.iter().zip(out.data.iter()).enumerate() {
                let pixel = k / bpp;
                let (u, v) = (
                    (pixel % frame.width as usize) as u32,
                    (pixel / frame.width as usize) as u32,
                );
                let inside = regions
                    .iter()
                    .any(|r| (r[0]..r[2]).contains(&u) && (r[1]..r[3]).contains(&v));
                if a != b && !inside {
                    changed_outside += 1;
                }
            }
        }
    }
    assert_eq!(changed_outside, 0);
    let (_, heldout) = pandaset_head_coverage(&sequence, &anonymiser.done(), FROM).unwrap();
    assert!(heldout.labelled > 0, "{heldout:?}");
    assert!(heldout.covered > 0, "no labelled head covered: {heldout:?}");

    // A recording through the anonymiser stores the pixelated image.
    let dir = std::env::temp_dir().join(format!("kestrel-anon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("anon.mcap");
    let (index, camera) = (sequence.frames().len() - 1, "front_camera");
    let frame = sequence.camera(index, camera).unwrap();
    let (expected, _) = anonymiser.anonymise(&frame).unwrap();
    let mut writer = LogWriter::create(&log, None)
        .unwrap()
        .with_camera_filter(Box::new(anonymiser.clone()));
    writer
        .write_sensor("/kestrel/front_camera/image", &SensorMessage::Camera(frame))
        .unwrap();
    writer.finish().unwrap();
    let stored: Vec<SensorMessage> = SensorLogReader::open(&log, None)
        .unwrap()
        .map(|e| e.unwrap().message)
        .collect();
    match &stored[..] {
        [SensorMessage::Camera(f)] => assert!(f.data == expected.data),
        other => panic!("expected one camera frame, got {}", other.len()),
    }
    std::fs::remove_dir_all(&dir).ok();
}
