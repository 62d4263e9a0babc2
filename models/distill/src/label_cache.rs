//! A disk cache of the ensemble teacher's pseudo-labels, so that a second recipe run on the
//! same images (another student size, more steps, other thresholds) skips the labelling: about
//! 15 minutes of the ensemble's tiles and flips on 364 images on two cores.
//!
//! One file per image, `<key>.json` (the image's detections as JSON), where the key is the
//! sha256 of everything the labels depend on: the teacher's ONNX (its manifest's sha256), its
//! decoding (the manifest's decoder table), the ensemble settings, and the image itself (size,
//! encoding, pixels). Any change to one of them is another key, so a stale entry is never
//! read; nothing is ever evicted (delete the folder to reclaim the space, ~1 KB per image).
//! JSON keeps every `f32` exactly (shortest round-trip form), so cached labels are bit-identical
//! to fresh ones and the recipe's result does not depend on the cache.

use crate::DistillError;
use crate::detector_evaluation::{Labeller, detect_all};
use crate::ensemble_teacher::EnsembleSettings;
use kestrel_models::{Detection2d, ModelManifest};
use kestrel_sensors::CameraFrame;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The pseudo-label cache of one teacher and one ensemble setting.
#[derive(Debug, Clone)]
pub struct LabelCache {
    dir: PathBuf,
    /// Hash state over the teacher and settings; each image key continues from it.
    prefix: Sha256,
}

impl LabelCache {
    /// The cache in `dir` (created when missing) for `teacher`'s labels under `settings`.
    ///
    /// # Errors
    /// The folder cannot be created, or the teacher's decoder cannot be serialised.
    pub fn open(
        dir: &Path,
        teacher: &ModelManifest,
        settings: &EnsembleSettings,
    ) -> Result<Self, DistillError> {
        std::fs::create_dir_all(dir).map_err(DistillError::io(dir))?;
        let mut prefix = Sha256::new();
        prefix.update(teacher.sha256.as_bytes());
        let data = |e: serde_json::Error| DistillError::Data {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        };
        prefix.update(serde_json::to_vec(&teacher.decoder).map_err(data)?);
        prefix.update(serde_json::to_vec(settings).map_err(data)?);
        Ok(Self {
            dir: dir.to_path_buf(),
            prefix,
        })
    }

    fn path(&self, image: &CameraFrame) -> PathBuf {
        let mut h = self.prefix.clone();
        h.update(image.width.to_le_bytes());
        h.update(image.height.to_le_bytes());
        h.update(format!("{:?}", image.encoding).as_bytes());
        h.update(&image.data[..]);
        let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{key}.json"))
    }

    /// The cached labels of `image`, if any.
    ///
    /// # Errors
    /// An entry exists but cannot be read or parsed.
    pub fn get(&self, image: &CameraFrame) -> Result<Option<Vec<Detection2d>>, DistillError> {
        let path = self.path(image);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| DistillError::Data {
                    path,
                    reason: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(DistillError::io(&path)(e)),
        }
    }

    /// Stores the labels of `image` (written to a temporary file, then renamed, so a reader
    /// never sees half an entry).
    ///
    /// # Errors
    /// The entry cannot be written.
    pub fn put(&self, image: &CameraFrame, labels: &[Detection2d]) -> Result<(), DistillError> {
        let path = self.path(image);
        let json = serde_json::to_vec(labels).map_err(|e| DistillError::Data {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, json).map_err(DistillError::io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(DistillError::io(&path))
    }
}

/// The labels `labeller` gives `images`, in order: cached ones read from `cache`, the others
/// computed (with [`detect_all`] on `threads` workers) and stored. Without a cache, all are
/// computed. `progress` ticks once per image either way.
///
/// # Errors
/// A detector or cache error.
pub fn label_all(
    labeller: &Labeller,
    images: &[&CameraFrame],
    cache: Option<&LabelCache>,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<Detection2d>>, DistillError> {
    let Some(cache) = cache else {
        return detect_all(labeller, images, threads, progress);
    };
    let mut labels: Vec<Option<Vec<Detection2d>>> = Vec::with_capacity(images.len());
    for image in images {
        let hit = cache.get(image)?;
        if hit.is_some() {
            progress();
        }
        labels.push(hit);
    }
    let missing: Vec<usize> = (0..images.len()).filter(|&i| labels[i].is_none()).collect();
    let todo: Vec<&CameraFrame> = missing.iter().map(|&i| images[i]).collect();
    let fresh = detect_all(labeller, &todo, threads, progress)?;
    for (i, dets) in missing.into_iter().zip(fresh) {
        cache.put(images[i], &dets)?;
        labels[i] = Some(dets);
    }
    Ok(labels.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_models::zoo;
    use kestrel_sensors::{PixelEncoding, Timestamp};

    fn frame(fill: u8) -> CameraFrame {
        CameraFrame::new(
            "cam",
            Timestamp(0),
            4,
            2,
            PixelEncoding::Rgb8,
            vec![fill; 4 * 2 * 3],
        )
        .unwrap()
    }

    #[test]
    fn labels_round_trip_exactly_and_keys_follow_what_they_depend_on() {
        let dir = std::env::temp_dir().join(format!("kestrel-label-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let teacher = ModelManifest::load(&zoo::teacher_manifest()).unwrap();
        let settings = EnsembleSettings::default();
        let cache = LabelCache::open(&dir, &teacher, &settings).unwrap();
        let labels = vec![Detection2d {
            bbox: [0.1, 1.0 / 3.0, 17.25, f32::MAX],
            score: 0.299_999_98,
            class_id: 2,
            label: "car".into(),
        }];
        assert_eq!(cache.get(&frame(1)).unwrap(), None);
        cache.put(&frame(1), &labels).unwrap();
        let back = cache.get(&frame(1)).unwrap().unwrap();
        assert_eq!(back, labels);
        assert_eq!(back[0].bbox[1].to_bits(), (1.0f32 / 3.0).to_bits());
        // Another image, other ensemble settings or another teacher: not found.
        assert_eq!(cache.get(&frame(2)).unwrap(), None);
        let other = EnsembleSettings {
            flip: !settings.flip,
            ..settings
        };
        let cache2 = LabelCache::open(&dir, &teacher, &other).unwrap();
        assert_eq!(cache2.get(&frame(1)).unwrap(), None);
        let mut other_teacher = teacher.clone();
        other_teacher.sha256 = "0".repeat(64);
        let cache3 = LabelCache::open(&dir, &other_teacher, &settings).unwrap();
        assert_eq!(cache3.get(&frame(1)).unwrap(), None);
        // A damaged entry is an error, not a silent relabel.
        std::fs::write(cache.path(&frame(1)), b"[{").unwrap();
        assert!(matches!(
            cache.get(&frame(1)),
            Err(DistillError::Data { .. })
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
