//! The reproducible recipe of the shipped student: label the training images once with the
//! ensemble teacher (test-time augmentation + weighted box fusion, [`crate::ensemble_teacher`]),
//! distil a student on augmented views of them ([`crate::pseudo_label_targets`]), prune it
//! progressively under a gate, export it to ONNX, verify parity, calibrate its operating point
//! on the training frames' human labels, measure it against human labels on held-out frames,
//! against its teacher, and for cost and latency (with the convolution lowering tract runs it
//! fastest with, [`crate::conv_lowering`]), and write the model-zoo folder.
//!
//! Training data: the MIT-licensed dash-cam frames (`models/data/dashcam/`, training part) and
//! the six cameras of a PandaSet sequence (CC BY 4.0) before [`RecipeConfig::heldout_from`];
//! no human label is trained on. The human labels of the training frames choose the operating
//! point and gate the pruning; those of the held-out frames (all six cameras) are only
//! measured.

use crate::DistillError;
use crate::conv_lowering::{TimingPlan, fastest, measure_lowerings};
use crate::detector_evaluation::{DetectorScores, Labeller, detect_all, score};
use crate::ensemble_teacher::EnsembleSettings;
use crate::human_labels::{LabelledCameraImage, load_pandaset_images};
use crate::image_sets::{
    ImageSource, LabelledImage, dashcam_split, evaluation_only_paths, load_all, load_frames,
};
use crate::label_cache::{LabelCache, label_all};
use crate::mined_frames::camera_frames_of_logs;
use crate::model_cost::{ModelCost, model_cost};
use crate::onnx_export::{ExportedStudent, export_student};
use crate::pruning::prune;
use crate::pseudo_label_targets::PseudoLabelThresholds;
use crate::recipe_progress::RecipeProgress;
use crate::student_classes::STUDENT_CLASSES;
use crate::student_net::{StudentArch, StudentNet, StudentWidths};
use crate::threshold_calibration::{Counts, ThresholdCalibration, calibrate, counts_at};
use crate::trainer::{StepLog, TrainSettings, train};
use crate::training_views::{draw_views, train_data};
use burn::module::Module;
use burn::tensor::Device;
use kestrel_models::agreement::{AgreementReport, match_image};
use kestrel_models::manifest::{Distillation, Provenance};
use kestrel_models::{Detection2d, Detector, ModelManifest, VerifiedModel, zoo};
use kestrel_sensors::CameraFrame;
use kestrel_sensors::image_labels::ImageLabelSettings;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Classes whose images get extra views (everything but cars, which dominate the data).
pub const RARE_CLASSES: [&str; 5] = ["person", "bicycle", "motorcycle", "bus", "truck"];

/// Everything that determines the recipe's result.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RecipeConfig {
    /// Student name (zoo folder name).
    pub name: String,
    /// Version written into the manifest.
    pub version: String,
    /// Student input height, pixels (multiple of 32).
    pub height: usize,
    /// Student input width, pixels (multiple of 32).
    pub width: usize,
    /// Augmented views per training image.
    pub views_per_image: usize,
    /// Extra views of each image that holds a confident pseudo-label of a [`RARE_CLASSES`]
    /// class (class balancing).
    pub rare_class_views: usize,
    /// Worker threads for labelling and evaluation.
    pub threads: usize,
    /// Seed of augmentation, initialisation and data order.
    pub seed: u64,
    /// Layer structure of the student.
    pub arch: StudentArch,
    /// Initial channel widths (one per backbone layer of `arch`, one per head).
    pub widths: StudentWidths,
    /// Initial distillation.
    pub train: TrainSettings,
    /// Channels removed per pruning round (fraction of each layer).
    pub prune_fraction: f32,
    /// Every pruned layer keeps a multiple of this many channels.
    pub channel_align: usize,
    /// Most pruning rounds.
    pub prune_rounds: usize,
    /// Fine-tuning steps after each pruning round.
    pub finetune_steps: usize,
    /// Prune only while student MACs > this fraction of the teacher's (at 416x416).
    pub target_mac_ratio: f64,
    /// A pruning round is rejected (and pruning stops) if the gate (mean AP50 on the
    /// calibration images) falls more than this below the unpruned student's.
    pub gate_max_drop: f64,
    /// The PandaSet sequence folder (relative to the repository root unless absolute).
    pub pandaset: String,
    /// First held-out frame number of the sequence (earlier frames are training frames).
    pub heldout_from: u32,
    /// How the ensemble teacher labels the training images.
    pub ensemble: EnsembleSettings,
    /// How its merged scores become training targets.
    pub pseudo_labels: PseudoLabelThresholds,
    /// Wall-clock budget in seconds for labelling + training + pruning (evaluation comes
    /// after).
    pub time_budget_s: u64,
    /// Logs whose camera frames join the training images (`recipe --from-log`, e.g. mining
    /// logs of `kestrel replay --mine`), relative to the working directory unless absolute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_logs: Vec<String>,
}

impl RecipeConfig {
    /// The reference recipe of the shipped student (`kestrel-student-v3`).
    pub fn reference() -> Self {
        Self {
            name: "kestrel-student-v3".into(),
            version: "3.0.0".into(),
            // 512x288: a 16:9 frame fills the input; the architecture tract runs best at this
            // size within 1/8 of the teacher's MACs (benches/RESULTS.md, block benchmark).
            height: 288,
            width: 512,
            views_per_image: 12,
            rare_class_views: 12,
            threads: 2,
            seed: 20261206,
            arch: StudentArch::patchify_8(),
            widths: StudentWidths {
                backbone: vec![40, 40, 96, 96, 144, 144],
                heads: vec![40, 96, 144],
            },
            train: TrainSettings {
                steps: 1500,
                batch: 16,
                lr: 2e-3,
                weight_decay: 1e-4,
                box_weight: 1.0,
                seed: 1,
            },
            prune_fraction: 0.2,
            channel_align: 8,
            prune_rounds: 0,
            finetune_steps: 200,
            target_mac_ratio: 0.125,
            gate_max_drop: 0.03,
            pandaset: "../shared/data/pandaset-002".into(),
            heldout_from: crate::human_labels::HELDOUT_FROM,
            ensemble: EnsembleSettings::default(),
            // Chosen on the training frames' human labels (ensemble detections scoring 0.30 and
            // up are right at least half the time for cars and people, those below 0.20 less
            // than a fifth of the time; in between the loss ignores them).
            pseudo_labels: PseudoLabelThresholds {
                confident: 0.30,
                floor: 0.20,
            },
            time_budget_s: 100 * 60,
            extra_logs: Vec::new(),
        }
    }

    /// [`Self::pandaset`] resolved against the repository root.
    pub fn pandaset_dir(&self) -> PathBuf {
        let p = PathBuf::from(&self.pandaset);
        if p.is_absolute() {
            p
        } else {
            zoo::models_dir().join("..").join(p)
        }
    }
}

/// Metrics of one training phase (initial training or one pruning round).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RoundMetrics {
    /// 0 = initial distillation, k = k-th pruning round.
    pub round: usize,
    /// Channel widths after the round.
    pub widths: StudentWidths,
    /// Parameters and MACs (tract, exported graph).
    pub cost: ModelCost,
    /// Steps actually run.
    pub steps: usize,
    /// Mean loss of the first 20 steps.
    pub loss_first: f32,
    /// Mean loss of the last 20 steps.
    pub loss_last: f32,
    /// Gate: mean AP50 over the labelled classes on the calibration images.
    pub gate: f64,
    /// Whether the round was kept.
    pub accepted: bool,
}

/// Median single-thread latency of a model in tract, milliseconds.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Latency {
    /// Network only (prepared input -> raw outputs).
    pub network_ms: f64,
    /// Whole `Detector::detect` on a 1242x375 KITTI frame (resize + network + decode).
    pub detect_ms: f64,
}

/// How many images and views the recipe used.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct ImageCounts {
    /// Dash-cam training frames.
    pub dashcam_train: usize,
    /// PandaSet training images (frames x cameras).
    pub pandaset_train: usize,
    /// Augmented training views.
    pub views: usize,
    /// Dash-cam held-out frames.
    pub dashcam_heldout: usize,
    /// PandaSet held-out images (frames x cameras).
    pub pandaset_heldout: usize,
    /// Camera frames of the extra logs trained on.
    #[serde(default)]
    pub extra_log_frames: usize,
}

/// Everything the recipe measured; written as `metrics.json` and rendered in the model card.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RecipeReport {
    /// The settings.
    pub config: RecipeConfig,
    /// Images and views.
    pub counts: ImageCounts,
    /// Confident pseudo-labels per class over the training images.
    pub pseudo_label_counts: BTreeMap<String, usize>,
    /// Seconds spent labelling the training images with the ensemble.
    pub label_s: f64,
    /// Seconds spent training and pruning.
    pub train_s: f64,
    /// Training rounds (the pruning curve).
    pub rounds: Vec<RoundMetrics>,
    /// Quality of the training signal: the teacher (single pass) and the ensemble against the
    /// human labels of the PandaSet training images.
    pub teacher_signal: BTreeMap<String, DetectorScores>,
    /// Against the human labels of the held-out PandaSet images: the single-pass teacher, the
    /// ensemble, the previous student (when its manifest exists) and this student.
    pub heldout: BTreeMap<String, DetectorScores>,
    /// This student at its calibrated operating point on the held-out PandaSet images.
    pub heldout_operating_point: BTreeMap<String, Counts>,
    /// Teacher cost at 416x416.
    pub teacher_cost: ModelCost,
    /// Student cost at its input size.
    pub student_cost: ModelCost,
    /// Teacher latency.
    pub teacher_latency: Latency,
    /// Student latency.
    pub student_latency: Latency,
    /// Max |burn - tract| over all outputs on a held-out frame.
    pub export_parity_max_abs: f32,
    /// Agreement with the teacher on held-out dash-cam and evaluation-only frames.
    pub agreement: AgreementReport,
    /// Whether the time budget cut training short.
    pub stopped_by_budget: bool,
    /// Operating point chosen on the training frames (written into the manifest).
    pub threshold: ThresholdCalibration,
}

fn provenance() -> Provenance {
    Provenance {
        licence: "Apache-2.0".into(),
        source: "distilled by kestrel-distill (models/distill) from the NanoDet COCO teacher (models/teachers/nanodet_coco.toml), test-time-augmented".into(),
        trained_on: "ensemble-teacher pseudo-labels on augmented MIT-licensed dash-cam frames (models/data/dashcam) and PandaSet sequence 002 frames 00-39, six cameras (CC BY 4.0); no human labels".into(),
    }
}

/// A student exported and loaded back through the runtime path.
pub struct LoadedStudent {
    /// The export.
    pub exported: ExportedStudent,
    /// Loaded with the verified loader.
    pub detector: Detector,
    /// Its cost.
    pub cost: ModelCost,
}

/// Exports `net` (inference copy) and loads it back with kestrel-models.
pub fn load_exported(net: &StudentNet, cfg: &RecipeConfig) -> Result<LoadedStudent, DistillError> {
    let exported = export_student(
        net,
        &cfg.name,
        &cfg.version,
        cfg.height,
        cfg.width,
        provenance(),
    )?;
    let path = PathBuf::from(format!("{}/model.onnx", cfg.name));
    let model = VerifiedModel::from_bytes(&exported.manifest, &path, &exported.onnx)?;
    let detector = Detector::from_parts(exported.manifest.clone(), model)?;
    let cost = model_cost(&exported.manifest, &exported.onnx, &path)?;
    Ok(LoadedStudent {
        exported,
        detector,
        cost,
    })
}

/// The teacher restricted to the student's classes (for agreement).
pub fn teacher_for_agreement() -> Result<Detector, DistillError> {
    let classes: Vec<String> = STUDENT_CLASSES.iter().map(|s| s.to_string()).collect();
    Ok(Detector::load(&zoo::teacher_manifest())?.with_report_classes(&classes)?)
}

/// Mean AP50 over the classes with at least [`crate::threshold_calibration::MIN_LABELS_PER_CLASS`]
/// labels.
fn gate_value(scores: &DetectorScores) -> f64 {
    let aps: Vec<f64> = scores
        .classes
        .values()
        .filter(|s| s.labels >= crate::threshold_calibration::MIN_LABELS_PER_CLASS)
        .filter_map(|s| s.ap)
        .collect();
    if aps.is_empty() {
        0.0
    } else {
        aps.iter().sum::<f64>() / aps.len() as f64
    }
}

fn frames_of(images: &[LabelledCameraImage]) -> Vec<&CameraFrame> {
    images.iter().map(|i| &i.image).collect()
}

/// Scores of a student (all detections down to the curve floor) on labelled images.
fn student_scores(
    student: &Detector,
    images: &[LabelledCameraImage],
    threads: usize,
) -> Result<(DetectorScores, Vec<Vec<Detection2d>>), DistillError> {
    let dets = detect_all(
        &Labeller::single(student)?,
        &frames_of(images),
        threads,
        &|| {},
    )?;
    Ok((score(images, &dets), dets))
}

pub(crate) fn mean_loss(logs: &[StepLog], first: bool) -> f32 {
    let n = logs.len().min(20);
    if n == 0 {
        return f32::NAN;
    }
    let part = if first {
        &logs[..n]
    } else {
        &logs[logs.len() - n..]
    };
    part.iter().map(|l| l.loss).sum::<f32>() / n as f32
}

/// Median of `runs` timings of `f`, milliseconds.
pub fn median_ms(
    runs: usize,
    mut f: impl FnMut() -> Result<(), DistillError>,
) -> Result<f64, DistillError> {
    let mut t = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = Instant::now();
        f()?;
        t.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

fn latency(det: &Detector, frame: &CameraFrame) -> Result<Latency, DistillError> {
    let (input, _) = kestrel_models::preprocess::prepare(
        &det.manifest().input,
        &kestrel_models::PixelView::from_frame(frame),
    );
    let network_ms = median_ms(7, || {
        det.run_raw(input.clone()).map(|_| ()).map_err(Into::into)
    })?;
    let detect_ms = median_ms(7, || det.detect(frame).map(|_| ()).map_err(Into::into))?;
    Ok(Latency {
        network_ms,
        detect_ms,
    })
}

/// Runs the recipe and writes `out_dir/{model.onnx, model.toml, metrics.json}`; the ensemble
/// teacher's labels of the training images are read from and written to `label_cache` when
/// one is given (the result is the same either way, [`crate::label_cache`]).
pub fn run_recipe(
    cfg: &RecipeConfig,
    out_dir: &Path,
    label_cache: Option<&Path>,
    progress: &dyn RecipeProgress,
) -> Result<RecipeReport, DistillError> {
    let start = Instant::now();
    let deadline = start + std::time::Duration::from_secs(cfg.time_budget_s);
    let teacher = Detector::load(&zoo::teacher_manifest())?;
    let pandaset = cfg.pandaset_dir();
    let label_settings = ImageLabelSettings::default();
    let heldout_from = cfg.heldout_from;
    let pandaset_train = load_pandaset_images(&pandaset, |n| n < heldout_from, &label_settings)?;
    let (dash_train_paths, dash_held_paths) = dashcam_split(&zoo::dashcam_data_dir())?;
    let mut images = load_frames(&dash_train_paths)?;
    let n_dash = images.len();
    images.extend(pandaset_train.iter().map(|i| i.image.clone()));
    let extra_logs: Vec<PathBuf> = cfg.extra_logs.iter().map(PathBuf::from).collect();
    let extra = camera_frames_of_logs(&extra_logs)?;
    let n_extra = extra.len();
    images.extend(extra);

    // 1. The ensemble teacher labels every training image once.
    progress.phase("label", images.len() as u64);
    let ensemble = Labeller::ensemble(&teacher, cfg.ensemble)?;
    let refs: Vec<&CameraFrame> = images.iter().collect();
    let cache = label_cache
        .map(|dir| LabelCache::open(dir, teacher.manifest(), &cfg.ensemble))
        .transpose()?;
    let labels = label_all(&ensemble, &refs, cache.as_ref(), cfg.threads, &|| {
        progress.tick()
    })?;
    let label_s = start.elapsed().as_secs_f64();
    let mut pseudo_label_counts = BTreeMap::new();
    for d in labels.iter().flatten() {
        if d.score >= cfg.pseudo_labels.confident && STUDENT_CLASSES.contains(&d.label.as_str()) {
            *pseudo_label_counts.entry(d.label.clone()).or_insert(0) += 1;
        }
    }
    progress.note(&format!(
        "labelled {} images in {label_s:.0} s; confident pseudo-labels {pseudo_label_counts:?}",
        images.len()
    ));
    let mut teacher_signal = BTreeMap::new();
    let single = Labeller::single(&teacher)?;
    let single_train = detect_all(&single, &frames_of(&pandaset_train), cfg.threads, &|| {})?;
    teacher_signal.insert(
        "teacher (single pass)".to_owned(),
        score(&pandaset_train, &single_train),
    );
    teacher_signal.insert(
        "teacher (ensemble)".to_owned(),
        score(
            &pandaset_train,
            &labels[n_dash..n_dash + pandaset_train.len()],
        ),
    );

    // 2. Distillation on augmented views.
    let views = draw_views(cfg, &images, &labels);
    let data = train_data(cfg, &images, &labels, &views);
    let device = Device::flex().autodiff();
    device.seed(cfg.seed);
    let teacher_path = zoo::teacher_manifest();
    let teacher_bytes = std::fs::read(teacher.manifest().onnx_path(&teacher_path))
        .map_err(DistillError::io(&teacher_path))?;
    let teacher_cost = model_cost(teacher.manifest(), &teacher_bytes, &teacher_path)?;
    let gate = |d: &Detector| -> Result<f64, DistillError> {
        Ok(gate_value(
            &student_scores(d, &pandaset_train, cfg.threads)?.0,
        ))
    };

    let train_start = Instant::now();
    let mut net = StudentNet::new(&cfg.arch, &cfg.widths, &device)?;
    progress.phase("distil", cfg.train.steps as u64);
    let (trained, logs) = train(net, &data, &cfg.train, &device, Some(deadline), &mut |l| {
        progress.step(l)
    })?;
    net = trained;
    let mut stopped_by_budget = logs.len() < cfg.train.steps;
    let mut current = load_exported(&net.valid(), cfg)?;
    let mut rounds = vec![RoundMetrics {
        round: 0,
        widths: net.widths(),
        cost: current.cost,
        steps: logs.len(),
        loss_first: mean_loss(&logs, true),
        loss_last: mean_loss(&logs, false),
        gate: gate(&current.detector)?,
        accepted: true,
    }];
    progress.note(&format!("round 0: {:?}", rounds[0]));
    let target_macs = (teacher_cost.macs as f64 * cfg.target_mac_ratio) as u64;
    let gate_floor = rounds[0].gate - cfg.gate_max_drop;
    for round in 1..=cfg.prune_rounds {
        if current.cost.macs <= target_macs || stopped_by_budget {
            break;
        }
        let pruned = prune(&net.valid(), cfg.prune_fraction, cfg.channel_align, &device)?;
        progress.phase(&format!("prune {round}"), cfg.finetune_steps as u64);
        let ft = TrainSettings {
            steps: cfg.finetune_steps,
            lr: cfg.train.lr * 0.5,
            seed: cfg.train.seed + round as u64,
            ..cfg.train.clone()
        };
        let (tuned, logs) = train(pruned, &data, &ft, &device, Some(deadline), &mut |l| {
            progress.step(l)
        })?;
        stopped_by_budget = logs.len() < ft.steps;
        let candidate = load_exported(&tuned.valid(), cfg)?;
        let g = gate(&candidate.detector)?;
        let accepted = !stopped_by_budget && g >= gate_floor;
        rounds.push(RoundMetrics {
            round,
            widths: tuned.widths(),
            cost: candidate.cost,
            steps: logs.len(),
            loss_first: mean_loss(&logs, true),
            loss_last: mean_loss(&logs, false),
            gate: g,
            accepted,
        });
        progress.note(&format!("round {round}: {:?}", rounds.last()));
        if !accepted {
            break;
        }
        net = tuned;
        current = candidate;
    }
    let train_s = train_start.elapsed().as_secs_f64();

    // 3. Operating point on the training frames' human labels.
    let (_, train_dets) = student_scores(&current.detector, &pandaset_train, cfg.threads)?;
    let threshold = calibrate(&pandaset_train, &train_dets);
    progress.note(&format!("operating point: {threshold:?}"));
    let mut manifest = current.exported.manifest.clone();
    manifest.decoder.score_threshold = threshold.chosen;
    manifest.decoder.class_thresholds = threshold.class_thresholds.clone();
    manifest.cost = Some(current.cost);
    manifest.distillation = Some(Distillation {
        teacher: format!("{} (ensemble)", teacher.manifest().name),
        recipe: "cargo run --bin kestrel-distill -- recipe".into(),
        pruning_rounds: rounds.iter().filter(|r| r.round > 0 && r.accepted).count(),
        pruned_parameter_fraction: 1.0
            - current.cost.parameters as f64 / rounds[0].cost.parameters.max(1) as f64,
    });

    // 4. Export, write, and check parity of the shipped graph against burn.
    std::fs::create_dir_all(out_dir).map_err(DistillError::io(out_dir))?;
    let onnx_path = out_dir.join("model.onnx");
    std::fs::write(&onnx_path, &current.exported.onnx).map_err(DistillError::io(&onnx_path))?;
    let toml_path = out_dir.join("model.toml");
    std::fs::write(&toml_path, manifest.to_toml()?).map_err(DistillError::io(&toml_path))?;
    let shipped = Detector::load(&toml_path)?;

    // 5. Held-out measurements.
    let pandaset_held = load_pandaset_images(&pandaset, |n| n >= heldout_from, &label_settings)?;
    let held_frames = frames_of(&pandaset_held);
    progress.phase("evaluate", 4);
    let mut heldout = BTreeMap::new();
    let t = detect_all(&single, &held_frames, cfg.threads, &|| {})?;
    heldout.insert(
        "teacher (single pass)".to_owned(),
        score(&pandaset_held, &t),
    );
    progress.tick();
    let e = detect_all(&ensemble, &held_frames, cfg.threads, &|| {})?;
    heldout.insert("teacher (ensemble)".to_owned(), score(&pandaset_held, &e));
    progress.tick();
    let previous = zoo::models_dir().join("zoo/kestrel-student-v2/model.toml");
    if previous.is_file() && manifest.name != "kestrel-student-v2" {
        let (s, _) = student_scores(&Detector::load(&previous)?, &pandaset_held, cfg.threads)?;
        heldout.insert("kestrel-student-v2".to_owned(), s);
    }
    progress.tick();
    let (s, held_dets) = student_scores(&shipped, &pandaset_held, cfg.threads)?;
    heldout.insert(manifest.name.clone(), s);
    progress.tick();
    let heldout_operating_point = STUDENT_CLASSES
        .iter()
        .map(|c| {
            (
                (*c).to_owned(),
                counts_at(&pandaset_held, &held_dets, c, threshold.threshold(c)),
            )
        })
        .collect();

    let held: Vec<(ImageSource, PathBuf)> = dash_held_paths
        .iter()
        .map(|p| (ImageSource::DashcamHeldout, p.clone()))
        .collect();
    let eval_images: Vec<LabelledImage> = load_all(&[held, evaluation_only_paths()?].concat())?;
    let parity = crate::parity::max_abs_difference(&net.valid(), &shipped, &eval_images[0].frame)?;
    progress.note(&format!("export parity max |burn - tract| = {parity:e}"));
    let frames: Vec<&CameraFrame> = eval_images.iter().map(|i| &i.frame).collect();
    let agree_teacher = Labeller::as_configured(&teacher_for_agreement()?);
    let t_dets = detect_all(&agree_teacher, &frames, cfg.threads, &|| {})?;
    let s_dets = detect_all(
        &Labeller::as_configured(&shipped),
        &frames,
        cfg.threads,
        &|| {},
    )?;
    let mut agreement = AgreementReport::default();
    for ((img, t), s) in eval_images.iter().zip(&t_dets).zip(&s_dets) {
        agreement.add(img.source.name(), &match_image(t, s, &STUDENT_CLASSES));
    }
    let kitti = eval_images
        .iter()
        .find(|i| i.source == ImageSource::Kitti)
        .map(|i| &i.frame)
        .unwrap_or(&eval_images[0].frame);
    // 6. How tract lowers the student's convolutions, chosen by measurement (same outputs,
    // `conv_lowering`); the latencies below run with it.
    let (input, _) = kestrel_models::preprocess::prepare(
        &manifest.input,
        &kestrel_models::PixelView::from_frame(kitti),
    );
    let plan = TimingPlan {
        rounds: 3,
        runs_per_round: 10,
    };
    manifest.tract_knobs = fastest(&measure_lowerings(&manifest, &toml_path, &input, plan)?);
    std::fs::write(&toml_path, manifest.to_toml()?).map_err(DistillError::io(&toml_path))?;
    let shipped = Detector::load(&toml_path)?;
    let report = RecipeReport {
        config: cfg.clone(),
        counts: ImageCounts {
            dashcam_train: n_dash,
            pandaset_train: pandaset_train.len(),
            views: views.len(),
            dashcam_heldout: dash_held_paths.len(),
            pandaset_heldout: pandaset_held.len(),
            extra_log_frames: n_extra,
        },
        pseudo_label_counts,
        label_s,
        train_s,
        rounds,
        teacher_signal,
        heldout,
        heldout_operating_point,
        teacher_cost,
        student_cost: current.cost,
        teacher_latency: latency(&teacher, kitti)?,
        student_latency: latency(&shipped, kitti)?,
        export_parity_max_abs: parity,
        agreement,
        stopped_by_budget,
        threshold,
    };
    // The headline measurements go into the manifest too, so tools see them without the card.
    manifest.metrics = headline_metrics(&report);
    std::fs::write(&toml_path, manifest.to_toml()?).map_err(DistillError::io(&toml_path))?;
    // Only the metrics changed since `shipped` verified the ONNX: re-validate just the file.
    ModelManifest::load(&toml_path)?;
    let metrics_path = out_dir.join("metrics.json");
    let json = serde_json::to_string_pretty(&report).map_err(|e| DistillError::Data {
        path: metrics_path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&metrics_path, json).map_err(DistillError::io(&metrics_path))?;
    Ok(report)
}

/// The manifest's `metrics`: human-label AP50 and operating-point recall on the held-out
/// PandaSet images, agreement with the teacher on held-out dash-cam frames, cost and latency
/// ratios against the teacher, and export parity.
fn headline_metrics(r: &RecipeReport) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    if let Some(s) = r.heldout.get(&r.config.name) {
        for (class, c) in &s.classes {
            if let Some(ap) = c.ap {
                m.insert(format!("heldout_pandaset_{class}_ap50"), ap);
            }
        }
    }
    for (class, c) in &r.heldout_operating_point {
        if let Some(v) = c.recall() {
            m.insert(format!("heldout_pandaset_{class}_recall"), v);
        }
    }
    let c = r.agreement.vehicles(&[ImageSource::DashcamHeldout.name()]);
    if let Some(v) = c.recall() {
        m.insert(
            "heldout_dashcam_vehicle_recall_vs_teacher".into(),
            f64::from(v),
        );
    }
    if let Some(v) = c.precision() {
        m.insert(
            "heldout_dashcam_vehicle_precision_vs_teacher".into(),
            f64::from(v),
        );
    }
    m.insert(
        "teacher_macs_ratio".into(),
        r.teacher_cost.macs as f64 / r.student_cost.macs.max(1) as f64,
    );
    m.insert(
        "teacher_latency_ratio".into(),
        r.teacher_latency.network_ms / r.student_latency.network_ms.max(1e-9),
    );
    m.insert("network_ms_dev_2core".into(), r.student_latency.network_ms);
    m.insert(
        "export_parity_max_abs".into(),
        f64::from(r.export_parity_max_abs),
    );
    m
}
