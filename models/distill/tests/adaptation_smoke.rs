//! The adaptation step of the monitoring loop, shrunk to run in about a minute: a mining log
//! of dusk-shifted frames of the shipped PandaSet slice (frames 36-41, as `kestrel replay
//! --mine` writes them), a few fine-tuning steps from the shipped student's own weights, the
//! agreement measured before and after on the slice's frames 50-55 and the held-out dash-cam
//! frames (validation block: frames 50-52 and the `test_video` clip's; reported: the others),
//! as they are and at dusk. The full run (`models/distill/loop_demo.sh`) is recorded in
//! `models/zoo/kestrel-student-v3/adaptation/`.

use kestrel_distill::adaptation::{AdaptSettings, adapt, render_markdown};
use kestrel_distill::recipe_progress::NoProgress;
use kestrel_log::LogWriter;
use kestrel_log::camera_image::ImageFormat;
use kestrel_models::{Detector, zoo};
use kestrel_sensors::SensorMessage;
use kestrel_sensors::camera_shift::CameraShift;
use kestrel_sensors::pandaset::PandasetSequence;

#[test]
fn adapts_from_a_mining_log_and_measures_both_domains() {
    let slice = zoo::models_dir().join("../sensors/testdata/pandaset/seq002-36-55");
    let sequence = PandasetSequence::open(&slice).unwrap();
    let dir = std::env::temp_dir().join(format!("kestrel-adapt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("mined.mcap");
    let mut writer = LogWriter::create(&log, Some(sequence.rig()))
        .unwrap()
        .with_image_format(ImageFormat::Jpeg { quality: 95 });
    let mut mined = 0;
    for (i, f) in sequence.frames().iter().enumerate() {
        if f.number > 41 {
            continue;
        }
        let frame = CameraShift::Dusk.apply(&sequence.camera(i, "front_camera").unwrap());
        let msg = SensorMessage::Camera(frame);
        writer
            .write_sensor("/kestrel/front_camera/image", &msg)
            .unwrap();
        mined += 1;
    }
    writer.finish().unwrap();

    let settings = AdaptSettings {
        steps: 3,
        replay_images: 2,
        validation_frames: 3,
        views_per_image: 1,
        eval_shift: Some(CameraShift::Dusk),
        pandaset: Some(slice.clone()),
        heldout_from: Some(50),
        ..AdaptSettings::default()
    };
    let out = dir.join("adapted");
    let report = adapt(
        &zoo::default_student_manifest(),
        std::slice::from_ref(&log),
        &settings,
        &out,
        None,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(report.mined_images, mined);
    assert_eq!(report.steps, 3);
    assert!(report.replay_images >= 2);
    let slices: Vec<&str> = report.agreement.keys().map(String::as_str).collect();
    assert_eq!(
        slices,
        [
            "dashcam-heldout",
            "dashcam-heldout+dusk",
            "pandaset-heldout",
            "pandaset-heldout+dusk"
        ]
    );
    // Held-out frames 50-52 are the validation block, 53-55 the reported one.
    assert_eq!(report.agreement["pandaset-heldout"].images, 3 * 6);
    let validation: Vec<&str> = report.validation.keys().map(String::as_str).collect();
    assert_eq!(
        validation,
        [
            "dashcam-validation",
            "dashcam-validation+dusk",
            "pandaset-validation",
            "pandaset-validation+dusk"
        ]
    );
    assert_eq!(report.validation["pandaset-validation"].images, 3 * 6);
    assert_eq!(report.validation["dashcam-validation"].images, 10);
    // Before = the shipped student, whose held-out dash-cam recall the model card reports.
    let before = report.agreement["dashcam-heldout"].before;
    assert!(before.teacher > 0 && before.matched > 0, "{before:?}");
    assert_eq!(report.original().images, 28 + 18);
    // The adapted model is a working detector with the student's operating point.
    let adapted = Detector::load(&out.join("model.toml")).unwrap();
    let shipped = Detector::load(&zoo::default_student_manifest()).unwrap();
    assert_eq!(
        adapted.manifest().decoder.class_thresholds,
        shipped.manifest().decoder.class_thresholds
    );
    let frame = sequence.camera(0, "front_camera").unwrap();
    adapted.detect(&frame).unwrap();
    let md = render_markdown(&report);
    assert!(md.contains("| pandaset-heldout+dusk | 18 |"), "{md}");
    assert!(md.contains("| pandaset-validation+dusk | 18 |"), "{md}");
    // A log without camera frames is refused with a clear error.
    let empty = dir.join("empty.mcap");
    LogWriter::create(&empty, None).unwrap().finish().unwrap();
    let err = adapt(
        &zoo::default_student_manifest(),
        &[empty],
        &settings,
        &out,
        None,
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no camera frame"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
