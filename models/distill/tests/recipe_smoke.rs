//! The whole recipe, shrunk to run in a minute on the shipped PandaSet slice (frames 36-49 as
//! training frames, 50-55 held out) and the dash-cam frames: every phase runs, the zoo folder
//! is written and loads, and the report measures what the model card needs. (Bit-for-bit
//! reproduction needs a fresh process — burn seeds its generator once per process — and is
//! checked by running the full recipe twice; see the model card.)

use kestrel_distill::ensemble_teacher::EnsembleSettings;
use kestrel_distill::model_card;
use kestrel_distill::recipe::{RecipeConfig, run_recipe};
use kestrel_distill::recipe_progress::NoProgress;
use kestrel_distill::student_net::{StudentArch, StudentWidths};
use kestrel_models::Detector;
use std::path::PathBuf;

fn tiny() -> RecipeConfig {
    let mut cfg = RecipeConfig::reference();
    cfg.name = "tiny-student".into();
    cfg.height = 96;
    cfg.width = 160;
    cfg.arch = StudentArch::patchify_8();
    cfg.widths = StudentWidths {
        backbone: vec![8, 8, 16, 16, 16, 16],
        heads: vec![8, 16, 16],
    };
    cfg.views_per_image = 1;
    cfg.rare_class_views = 1;
    cfg.train.steps = 4;
    cfg.train.batch = 4;
    cfg.prune_rounds = 1;
    cfg.finetune_steps = 2;
    cfg.channel_align = 4;
    cfg.target_mac_ratio = 0.0;
    cfg.gate_max_drop = 1.0;
    cfg.pandaset = "sensors/testdata/pandaset/seq002-36-55".into();
    cfg.heldout_from = 50;
    cfg.ensemble = EnsembleSettings {
        tiles: false,
        flip: false,
        ..EnsembleSettings::default()
    };
    cfg
}

#[test]
fn a_tiny_recipe_runs_every_phase() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("recipe_smoke");
    let cfg = tiny();
    let cache = dir.join("label-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let report = run_recipe(&cfg, &dir.join("a"), Some(&cache), &NoProgress).unwrap();
    // The ensemble's labels of every training image went into the cache, one entry each.
    let entries = std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(
        entries,
        report.counts.dashcam_train + report.counts.pandaset_train
    );
    assert_eq!(report.counts.pandaset_train, 14 * 6);
    assert_eq!(report.counts.pandaset_heldout, 6 * 6);
    assert!(report.counts.views >= report.counts.pandaset_train + report.counts.dashcam_train);
    assert!(
        report
            .pseudo_label_counts
            .get("car")
            .is_some_and(|n| *n > 20)
    );
    assert_eq!(
        report.rounds.len(),
        2,
        "initial training and one pruning round"
    );
    assert!(report.rounds[1].cost.macs < report.rounds[0].cost.macs);
    for name in [
        "teacher (single pass)",
        "teacher (ensemble)",
        "tiny-student",
    ] {
        let s = &report.heldout[name];
        assert!(s.classes["car"].labels > 50, "{name}");
        assert_eq!(s.per_camera.len(), 6);
    }
    assert!(
        report.heldout["teacher (single pass)"].classes["car"]
            .ap
            .unwrap()
            > 0.3
    );
    assert!(report.export_parity_max_abs < 1e-3);
    // The folder loads through the runtime path; the card renders the measurements.
    let det = Detector::load(&dir.join("a/model.toml")).unwrap();
    assert_eq!(det.manifest().input.shape, [1, 3, 96, 160]);
    assert!(
        det.manifest()
            .metrics
            .contains_key("heldout_pandaset_car_recall")
    );
    let card = model_card::render(&report);
    assert!(card.contains("## Against human labels") && card.contains("teacher (ensemble)"));
    // Not the reference recipe: the card says how to run this one.
    assert!(card.contains("recipe --config FILE"), "{card}");
}
