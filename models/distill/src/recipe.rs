//! The reproducible recipe: cache the teacher on augmented dash-cam views, distil a student,
//! prune it progressively under an agreement gate, export it to ONNX, verify parity, measure
//! agreement / cost / latency, and write the model-zoo folder.

use crate::DistillError;
use crate::agreement::{AgreementReport, MatchCounts, match_image};
use crate::image_sets::{
    ImageSource, LabelledImage, dashcam_split, evaluation_only_paths, load_all,
};
use crate::model_cost::{ModelCost, model_cost};
use crate::onnx_export::{ExportedStudent, export_student};
use crate::pruning::prune;
use crate::student_classes::STUDENT_CLASSES;
use crate::student_net::{StudentArch, StudentNet, StudentWidths};
use crate::teacher_cache::{CacheSettings, cache_teacher};
use crate::threshold_calibration::{ThresholdCalibration, calibrate_threshold};
use crate::trainer::{StepLog, TrainData, TrainSettings, train};
use burn::module::Module;
use burn::tensor::Device;
use kestrel_models::manifest::{Distillation, Provenance};
use kestrel_models::{Detection2d, Detector, ModelManifest, VerifiedModel, zoo};
use kestrel_sensors::CameraFrame;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Augmented views per training image labelled by the teacher.
    pub views_per_image: usize,
    /// Worker threads for teacher caching and evaluation.
    pub threads: usize,
    /// Seed of augmentation, initialisation and data order.
    pub seed: u64,
    /// Layer structure of the student (absent in recipes written before it existed: the
    /// reference architecture).
    #[serde(default)]
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
    /// Stop pruning once student MACs <= this fraction of the teacher's (at 416x416).
    pub target_mac_ratio: f64,
    /// A round is rejected (and pruning stops) if its gate vehicle recall falls more than this
    /// below the unpruned student's (absolute, e.g. 0.05 = 5 points).
    pub gate_max_recall_drop: f32,
    /// Training images used for the gate (plain letterboxed, first N training frames).
    pub gate_images: usize,
    /// Wall-clock budget in seconds for cache + training + pruning (evaluation comes after).
    pub time_budget_s: u64,
}

impl RecipeConfig {
    /// The reference recipe of the shipped student ([`zoo::DEFAULT_STUDENT`]).
    pub fn reference() -> Self {
        Self {
            name: zoo::DEFAULT_STUDENT.into(),
            version: "2.0.0".into(),
            // 416 wide like the teacher: a 16:9 frame is seen at the teacher's own pixel
            // scale, so the teacher's small far vehicles stay learnable (at 320 wide the
            // teacher itself keeps only 0.76 of its 416-wide vehicle detections).
            height: 256,
            width: 416,
            views_per_image: 16,
            threads: 2,
            seed: 20261127,
            arch: StudentArch::reference(),
            // Multiples of 8 channels, the row panel of tract's x86 matrix kernels (tested for
            // speed; benches/RESULTS.md found no gain, and no loss).
            widths: StudentWidths {
                backbone: vec![16, 24, 24, 48, 48, 72, 72, 96, 96],
                heads: vec![48, 72, 96],
            },
            train: TrainSettings {
                steps: 1100,
                batch: 16,
                lr: 2e-3,
                weight_decay: 1e-4,
                box_weight: 1.0,
                seed: 1,
            },
            prune_fraction: 0.2,
            channel_align: 8,
            prune_rounds: 3,
            finetune_steps: 150,
            target_mac_ratio: 1.0 / 12.0,
            gate_max_recall_drop: 0.05,
            gate_images: 40,
            time_budget_s: 55 * 60,
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
    /// Mean loss of the first and last 20 steps.
    pub loss_first: f32,
    /// Mean loss of the last 20 steps.
    pub loss_last: f32,
    /// Gate agreement (vehicles) on plain training frames.
    pub gate_vehicles: MatchCounts,
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

/// Everything the recipe measured; written as `metrics.json` and rendered in the model card.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RecipeReport {
    /// The settings.
    pub config: RecipeConfig,
    /// Training frames, held-out frames, cached views.
    pub counts: (usize, usize, usize),
    /// Seconds spent caching teacher targets.
    pub cache_s: f64,
    /// Seconds spent training and pruning.
    pub train_s: f64,
    /// Training rounds.
    pub rounds: Vec<RoundMetrics>,
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
    /// Agreement on held-out / evaluation-only frames.
    pub agreement: AgreementReport,
    /// Whether the time budget cut training short.
    pub stopped_by_budget: bool,
    /// Score threshold chosen on the gate frames (written into the manifest).
    pub threshold: ThresholdCalibration,
}

fn provenance() -> Provenance {
    Provenance {
        licence: "Apache-2.0".into(),
        source: "distilled by kestrel-distill (models/distill) from the NanoDet COCO teacher (models/teachers/nanodet_coco.toml)".into(),
        trained_on: "teacher outputs on augmented MIT-licensed dash-cam frames (models/data/dashcam, Udacity + comma.ai)".into(),
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
    let path = zoo::teacher_manifest();
    let mut manifest = ModelManifest::load(&path)?;
    let model = VerifiedModel::load(&manifest, &path)?;
    manifest.decoder.report_classes = STUDENT_CLASSES.iter().map(|s| s.to_string()).collect();
    Ok(Detector::from_parts(manifest, model)?)
}

/// Runs a detector on frames with `threads` workers; results in frame order.
pub fn detect_all(
    det: &Detector,
    frames: &[&CameraFrame],
    threads: usize,
) -> Result<Vec<Vec<Detection2d>>, DistillError> {
    let chunk = frames.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = frames
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|f| det.detect(f))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(frames.len());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| DistillError::Setting("detection worker panicked".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// Gate agreement of `student` with precomputed teacher detections on gate frames.
fn gate(
    student: &Detector,
    frames: &[&CameraFrame],
    teacher: &[Vec<Detection2d>],
    threads: usize,
) -> Result<MatchCounts, DistillError> {
    let dets = detect_all(student, frames, threads)?;
    let mut report = AgreementReport::default();
    for (t, s) in teacher.iter().zip(&dets) {
        report.add("gate", &match_image(t, s));
    }
    Ok(report.vehicles(&[]))
}

fn mean_loss(logs: &[StepLog], first: bool) -> f32 {
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

/// The manifest's `metrics`: agreement with the teacher by source (vehicles), cost and
/// latency ratios against the teacher, and export parity.
fn headline_metrics(r: &RecipeReport) -> std::collections::BTreeMap<String, f64> {
    let mut m = std::collections::BTreeMap::new();
    for (source, key) in [
        (ImageSource::DashcamHeldout, "heldout_dashcam"),
        (ImageSource::Kitti, "kitti"),
        (ImageSource::Nuscenes, "nuscenes"),
    ] {
        let c = r.agreement.vehicles(&[source.name()]);
        if let Some(v) = c.recall() {
            m.insert(format!("{key}_vehicle_recall_vs_teacher"), f64::from(v));
        }
        if let Some(v) = c.precision() {
            m.insert(format!("{key}_vehicle_precision_vs_teacher"), f64::from(v));
        }
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

/// Progress hooks of the recipe (the binary draws bars and log lines).
pub trait RecipeProgress: Sync {
    /// A phase starts with `len` units of work.
    fn phase(&self, name: &str, len: u64);
    /// One unit of work is done.
    fn tick(&self);
    /// A training step finished.
    fn step(&self, log: &StepLog);
    /// A line of information.
    fn note(&self, text: &str);
}

/// Runs the recipe and writes `out_dir/{model.onnx, model.toml, metrics.json}`.
pub fn run_recipe(
    cfg: &RecipeConfig,
    out_dir: &Path,
    progress: &dyn RecipeProgress,
) -> Result<RecipeReport, DistillError> {
    let start = Instant::now();
    let deadline = start + std::time::Duration::from_secs(cfg.time_budget_s);
    let teacher = Detector::load(&zoo::teacher_manifest())?;
    let (train_paths, held_paths) = dashcam_split(&zoo::dashcam_data_dir())?;
    let train_images: Vec<CameraFrame> = load_all(
        &train_paths
            .iter()
            .map(|p| (ImageSource::DashcamTrain, p.clone()))
            .collect::<Vec<_>>(),
    )?
    .into_iter()
    .map(|i| i.frame)
    .collect();

    progress.phase("teacher", (train_images.len() * cfg.views_per_image) as u64);
    let tick = || progress.tick();
    let settings = CacheSettings {
        views_per_image: cfg.views_per_image,
        height: cfg.height,
        width: cfg.width,
        seed: cfg.seed,
        threads: cfg.threads,
    };
    let views = cache_teacher(&teacher, &train_images, settings, &tick)?;
    let cache_s = start.elapsed().as_secs_f64();
    progress.note(&format!(
        "cached {} teacher views in {cache_s:.0} s",
        views.len()
    ));

    let data = TrainData {
        images: &train_images,
        views: &views,
        height: cfg.height,
        width: cfg.width,
    };
    let device = Device::flex().autodiff();
    device.seed(cfg.seed);
    let gate_frames: Vec<&CameraFrame> = train_images
        .iter()
        .step_by((train_images.len() / cfg.gate_images.max(1)).max(1))
        .collect();
    let agree_teacher = teacher_for_agreement()?;
    let gate_teacher = detect_all(&agree_teacher, &gate_frames, cfg.threads)?;
    let teacher_path = zoo::teacher_manifest();
    let teacher_bytes = std::fs::read(teacher.manifest().onnx_path(&teacher_path))
        .map_err(DistillError::io(&teacher_path))?;
    let teacher_cost = model_cost(teacher.manifest(), &teacher_bytes, &teacher_path)?;

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
        gate_vehicles: gate(&current.detector, &gate_frames, &gate_teacher, cfg.threads)?,
        accepted: true,
    }];
    progress.note(&format!("round 0: {:?}", rounds[0]));
    let target_macs = (teacher_cost.macs as f64 * cfg.target_mac_ratio) as u64;
    let gate_floor = rounds[0].gate_vehicles.recall().unwrap_or(0.0) - cfg.gate_max_recall_drop;
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
        let gate_vehicles = gate(
            &candidate.detector,
            &gate_frames,
            &gate_teacher,
            cfg.threads,
        )?;
        let accepted = !stopped_by_budget && gate_vehicles.recall().unwrap_or(0.0) >= gate_floor;
        rounds.push(RoundMetrics {
            round,
            widths: tuned.widths(),
            cost: candidate.cost,
            steps: logs.len(),
            loss_first: mean_loss(&logs, true),
            loss_last: mean_loss(&logs, false),
            gate_vehicles,
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
    let threshold = calibrate_threshold(
        &current.exported.manifest,
        &current.exported.onnx,
        &gate_frames,
        &gate_teacher,
        cfg.threads,
    )?;
    progress.note(&format!("score threshold: {threshold:?}"));
    let mut manifest = current.exported.manifest.clone();
    manifest.decoder.score_threshold = threshold.chosen;
    manifest.decoder.class_thresholds = threshold.class_thresholds.clone();
    manifest.cost = Some(current.cost);
    manifest.distillation = Some(Distillation {
        teacher: teacher.manifest().name.clone(),
        recipe: "cargo run -p kestrel-distill -- recipe".into(),
        pruning_rounds: rounds.iter().filter(|r| r.round > 0 && r.accepted).count(),
        pruned_parameter_fraction: 1.0
            - current.cost.parameters as f64 / rounds[0].cost.parameters.max(1) as f64,
    });

    // Export, write, and check parity of the shipped graph against burn.
    std::fs::create_dir_all(out_dir).map_err(DistillError::io(out_dir))?;
    let onnx_path = out_dir.join("model.onnx");
    std::fs::write(&onnx_path, &current.exported.onnx).map_err(DistillError::io(&onnx_path))?;
    let toml_path = out_dir.join("model.toml");
    std::fs::write(&toml_path, manifest.to_toml()?).map_err(DistillError::io(&toml_path))?;
    let shipped = Detector::load(&toml_path)?;

    let held: Vec<(ImageSource, PathBuf)> = held_paths
        .iter()
        .map(|p| (ImageSource::DashcamHeldout, p.clone()))
        .collect();
    let eval_images: Vec<LabelledImage> = load_all(&[held, evaluation_only_paths()?].concat())?;
    let parity = crate::parity::max_abs_difference(&net.valid(), &shipped, &eval_images[0].frame)?;
    progress.note(&format!("export parity max |burn - tract| = {parity:e}"));

    progress.phase("evaluate", eval_images.len() as u64);
    let frames: Vec<&CameraFrame> = eval_images.iter().map(|i| &i.frame).collect();
    let t_dets = detect_all(&agree_teacher, &frames, cfg.threads)?;
    let s_dets = detect_all(&shipped, &frames, cfg.threads)?;
    let mut agreement = AgreementReport::default();
    for ((img, t), s) in eval_images.iter().zip(&t_dets).zip(&s_dets) {
        agreement.add(img.source.name(), &match_image(t, s));
        progress.tick();
    }
    let kitti = eval_images
        .iter()
        .find(|i| i.source == ImageSource::Kitti)
        .map(|i| &i.frame)
        .unwrap_or(&eval_images[0].frame);
    let report = RecipeReport {
        config: cfg.clone(),
        counts: (train_images.len(), held_paths.len(), views.len()),
        cache_s,
        train_s,
        rounds,
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
    // Only the manifest changed since `shipped` verified the ONNX: re-validate just the file.
    ModelManifest::load(&toml_path)?;
    let metrics_path = out_dir.join("metrics.json");
    let json = serde_json::to_string_pretty(&report).map_err(|e| DistillError::Data {
        path: metrics_path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&metrics_path, json).map_err(DistillError::io(&metrics_path))?;
    Ok(report)
}
