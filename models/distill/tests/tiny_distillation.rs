//! A tiny distillation + pruning run on a few real frames, labelled by the ensemble teacher
//! (reduced to two passes for speed): the teacher must find objects, the loss must go down,
//! pruning must shrink the network, fine-tuning must recover.

use burn::module::Module;
use burn::tensor::Device;
use kestrel_distill::augment::sample_view;
use kestrel_distill::detector_evaluation::{Labeller, detect_all};
use kestrel_distill::ensemble_teacher::EnsembleSettings;
use kestrel_distill::image_sets::dashcam_split;
use kestrel_distill::pruning::prune;
use kestrel_distill::pseudo_label_targets::PseudoLabelThresholds;
use kestrel_distill::seeded_rng::SeededRng;
use kestrel_distill::student_net::{StudentArch, StudentNet, StudentWidths};
use kestrel_distill::trainer::{TrainData, TrainSettings, evaluate_loss, train};
use kestrel_models::{Detector, load_image_file, zoo};

#[test]
fn tiny_distillation_and_pruning_lower_the_loss() {
    let teacher = Detector::load(&zoo::teacher_manifest()).unwrap();
    let (train_paths, _) = dashcam_split(&zoo::dashcam_data_dir()).unwrap();
    let images: Vec<_> = train_paths
        .iter()
        .step_by(40)
        .take(4)
        .map(|p| load_image_file(p).unwrap())
        .collect();
    // The whole image and its mirror image only (no tiles): two teacher passes per image.
    let settings = EnsembleSettings {
        tiles: false,
        ..EnsembleSettings::default()
    };
    let labeller = Labeller::ensemble(&teacher, settings).unwrap();
    let refs: Vec<_> = images.iter().collect();
    let labels = detect_all(&labeller, &refs, 2, &|| {}).unwrap();
    let thresholds = PseudoLabelThresholds {
        confident: 0.3,
        floor: 0.1,
    };
    assert!(
        labels
            .iter()
            .flatten()
            .any(|d| d.label == "car" && d.score >= 0.3),
        "teacher saw no car: {labels:?}"
    );
    let (h, w) = (96, 160);
    let mut rng = SeededRng::new(11);
    let views: Vec<_> = (0..2)
        .flat_map(|_| {
            images
                .iter()
                .enumerate()
                .map(|(i, f)| sample_view(&mut rng, i, f.width as usize, f.height as usize, w, h))
                .collect::<Vec<_>>()
        })
        .collect();
    let data = TrainData {
        images: &images,
        labels: &labels,
        views: &views,
        thresholds,
        height: h,
        width: w,
    };
    let all: Vec<_> = views.iter().collect();
    let device = Device::flex().autodiff();
    device.seed(3);
    let plain = Device::flex();
    let net = StudentNet::new(
        &StudentArch::reference(),
        &StudentWidths::scaled(0.25),
        &device,
    )
    .unwrap();
    let before = evaluate_loss(&net.valid(), &data, &all, 1.0, &plain);
    let settings = TrainSettings {
        steps: 30,
        batch: 8,
        lr: 3e-3,
        weight_decay: 1e-4,
        box_weight: 1.0,
        seed: 1,
    };
    let (net, logs) = train(net, &data, &settings, &device, None, &mut |_| {}).unwrap();
    assert_eq!(logs.len(), 30);
    let after = evaluate_loss(&net.valid(), &data, &all, 1.0, &plain);
    assert!(
        after < 0.8 * before,
        "distillation loss {before} -> {after}"
    );

    let pruned = prune(&net.valid(), 0.25, 4, &device).unwrap();
    let (wb, wa) = (net.widths(), pruned.widths());
    assert!(pruned.num_params() < net.num_params());
    // Every layer keeps the multiple of 4 channels nearest to three quarters of its width
    // (never fewer than 4): 4 and 8 stay, 16 -> 12, 24 -> 20 (18 rounds up), 32 -> 24.
    assert_eq!(wb.backbone, [4, 8, 8, 16, 16, 24, 24, 32, 32]);
    assert_eq!(wa.backbone, [4, 8, 8, 12, 12, 20, 20, 24, 24]);
    assert_eq!(wa.heads, [12, 20, 24]);
    let pruned_loss = evaluate_loss(&pruned.valid(), &data, &all, 1.0, &plain);
    let ft = TrainSettings {
        steps: 15,
        lr: 1.5e-3,
        ..settings
    };
    let (tuned, _) = train(pruned, &data, &ft, &device, None, &mut |_| {}).unwrap();
    let tuned_loss = evaluate_loss(&tuned.valid(), &data, &all, 1.0, &plain);
    assert!(
        tuned_loss < pruned_loss,
        "fine-tuning after pruning {pruned_loss} -> {tuned_loss}"
    );
}
