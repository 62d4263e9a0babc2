//! The training data of a recipe configuration: the augmented views drawn over the training
//! images (class-balanced by [`RARE_CLASSES`]) and the [`TrainData`] the trainer takes. Shared
//! by the recipe and the adaptation of a shipped student.

use crate::augment::{ViewParams, sample_view};
use crate::recipe::{RARE_CLASSES, RecipeConfig};
use crate::seeded_rng::SeededRng;
use crate::trainer::TrainData;
use kestrel_models::Detection2d;
use kestrel_sensors::CameraFrame;

/// The views of the training images: `views_per_image` each, plus `rare_class_views` for
/// images with a confident pseudo-label of a rare class; drawn from the seed.
pub(crate) fn draw_views(
    cfg: &RecipeConfig,
    images: &[CameraFrame],
    labels: &[Vec<Detection2d>],
) -> Vec<ViewParams> {
    let mut rng = SeededRng::new(cfg.seed);
    let mut views = Vec::new();
    for (i, (img, l)) in images.iter().zip(labels).enumerate() {
        let rare = l.iter().any(|d| {
            d.score >= cfg.pseudo_labels.confident && RARE_CLASSES.contains(&d.label.as_str())
        });
        let n = cfg.views_per_image + if rare { cfg.rare_class_views } else { 0 };
        for _ in 0..n {
            views.push(sample_view(
                &mut rng,
                i,
                img.width as usize,
                img.height as usize,
                cfg.width,
                cfg.height,
            ));
        }
    }
    views
}

/// The training data of `cfg` over `images`, their pseudo-labels and views.
pub(crate) fn train_data<'a>(
    cfg: &RecipeConfig,
    images: &'a [CameraFrame],
    labels: &'a [Vec<Detection2d>],
    views: &'a [ViewParams],
) -> TrainData<'a> {
    TrainData {
        images,
        labels,
        views,
        thresholds: cfg.pseudo_labels,
        height: cfg.height,
        width: cfg.width,
    }
}
