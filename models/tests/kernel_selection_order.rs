//! tract picks its kernels once per process: asking for reference kernels after a model has
//! been loaded on native kernels is a typed error, and leaves the native choice in place.
//! (Own test binary, so no other test has touched tract's choice before.)

use kestrel_models::kernel_selection::{KernelSet, active_kernels, use_reference_kernels};
use kestrel_models::{Detector, ModelError, zoo};

#[test]
fn reference_kernels_after_a_native_model_is_an_error() {
    let detector = Detector::load(&zoo::default_student_manifest()).unwrap();
    assert_eq!(active_kernels().0, KernelSet::Native);
    let err = use_reference_kernels().unwrap_err();
    assert!(
        matches!(&err, ModelError::KernelsAlreadySelected { active } if active.starts_with("native (")),
        "{err}"
    );
    assert!(
        err.to_string().contains("before loading any model"),
        "{err}"
    );
    assert_eq!(active_kernels().0, KernelSet::Native);
    drop(detector);
}
