//! The error type of the models crate.

use std::path::PathBuf;

/// Everything that can go wrong loading, verifying or running a model.
///
/// Each variant names the file (manifest or ONNX) and, where it applies, the tensor that
/// differs, so that a user can tell which artefact is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The manifest is not valid TOML for [`crate::ModelManifest`] or is inconsistent.
    #[error("manifest {path}: {reason}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The ONNX bytes do not have the sha256 the manifest declares (corrupt or swapped file).
    #[error("model {path}: sha256 mismatch: manifest declares {expected}, file has {actual}")]
    HashMismatch {
        /// The ONNX file.
        path: PathBuf,
        /// Hex digest declared in the manifest.
        expected: String,
        /// Hex digest of the bytes read.
        actual: String,
    },
    /// The ONNX graph could not be parsed, typed or optimised by tract.
    #[error("model {path}: tract cannot load it: {reason}")]
    Onnx {
        /// The ONNX file.
        path: PathBuf,
        /// tract's error chain.
        reason: String,
    },
    /// A tensor named in the manifest is missing from the graph, or the graph has others.
    #[error("model {path}: {what} tensor `{name}` {problem}")]
    TensorName {
        /// The ONNX file.
        path: PathBuf,
        /// `input` or `output`.
        what: &'static str,
        /// The tensor name.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A tensor's shape in the graph differs from the shape the manifest declares.
    #[error("model {path}: {what} `{name}` has shape {actual}, manifest declares {declared:?}")]
    ShapeMismatch {
        /// The ONNX file.
        path: PathBuf,
        /// `input` or `output`.
        what: &'static str,
        /// The tensor name.
        name: String,
        /// Shape declared in the manifest.
        declared: Vec<usize>,
        /// Shape found in the graph (tract notation).
        actual: String,
    },
    /// tract failed while running the model.
    #[error("model {name}: inference failed: {reason}")]
    Inference {
        /// Manifest `name` of the model.
        name: String,
        /// tract's error chain.
        reason: String,
    },
    /// Reference kernels were asked for after tract had already chosen native kernels for
    /// this process (see [`crate::kernel_selection::use_reference_kernels`]).
    #[error(
        "tract already runs {active} in this process: select reference kernels before loading any model"
    )]
    KernelsAlreadySelected {
        /// The kernel set tract dispatches on.
        active: String,
    },
    /// An image given to the model cannot be used (empty, unsupported encoding, wrong size).
    #[error("image {what}: {reason}")]
    Image {
        /// The image (file name or camera sensor name).
        what: String,
        /// What is wrong.
        reason: String,
    },
}
