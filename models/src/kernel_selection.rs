//! Which tract kernels run the networks in this process: the CPU's own, or tract's portable
//! reference kernels.
//!
//! By default tract probes the CPU once and picks its fastest kernels (AVX2/FMA on x86_64,
//! NEON/SVE on aarch64). Those differ in tile shapes, fused multiply-adds and activation
//! polynomials, so the same network gives outputs that differ in the low bits between
//! architectures (shipped student: up to 1.9e-6 absolute, x86_64 AVX2/FMA vs aarch64 NEON;
//! see `benches/RESULTS.md`, "Cross-architecture"). The *reference* kernels are tract's
//! generic Rust kernels: the same source and operation order on every target, with only
//! explicit (correctly rounded) fused multiply-adds, so a network's outputs are bit-identical
//! on x86_64 and aarch64. They are slower (1.8x for the student on x86_64), and are meant for
//! cross-architecture checks and for replays that must match another machine.
//!
//! Known exception (tract-linalg 0.23.9): the generic softmax keeps an aarch64-only NEON loop
//! with another `exp` polynomial, so a network with a Softmax node is not bit-identical across
//! architectures even here. The shipped student has none (Conv, Relu, Sigmoid, Reshape); the
//! CI check (`.ci/aarch64-replay-check`) compares raw network outputs, so a model that
//! brings one fails it.
//!
//! tract makes its choice once per process, the first time a model is optimised, so
//! [`use_reference_kernels`] must be called before any model is loaded.

use crate::ModelError;
use tract_onnx::tract_core::tract_linalg::isa::{self, Arch, Isa, IsaSet};
use tract_onnx::tract_core::tract_linalg::knobs::TRACT_CPU_ISA;

/// The kernel family tract runs networks on in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelSet {
    /// The running CPU's own SIMD kernels (fastest; low bits depend on the architecture).
    Native,
    /// tract's portable generic kernels (bit-identical outputs across architectures).
    Reference,
}

/// Makes every network loaded from now on in this process run on tract's portable reference
/// kernels. Idempotent.
///
/// It removes the architecture from the instruction set tract dispatches on (tract's
/// `TRACT_CPU_ISA` knob), which leaves only the generic kernels runnable.
///
/// # Errors
/// [`ModelError::KernelsAlreadySelected`] when tract has already chosen native kernels for
/// this process (a model was loaded before this call).
pub fn use_reference_kernels() -> Result<(), ModelError> {
    if let Some(arch) = Arch::ALL.into_iter().find(Arch::is_native) {
        TRACT_CPU_ISA.set(Some(strip_spec(arch)));
    }
    let dispatched = isa::native();
    if dispatched.arch().is_some() {
        TRACT_CPU_ISA.clear();
        return Err(ModelError::KernelsAlreadySelected {
            active: describe(dispatched),
        });
    }
    Ok(())
}

/// The kernel family tract runs networks on in this process, and the instruction set it
/// dispatches on (e.g. `native (x86_64,avx,avx2,fma,f16c)`). Calling this fixes tract's
/// choice: [`use_reference_kernels`] fails afterwards unless it was called first.
pub fn active_kernels() -> (KernelSet, String) {
    let dispatched = isa::native();
    let set = if dispatched.arch().is_some() {
        KernelSet::Native
    } else {
        KernelSet::Reference
    };
    (set, describe(dispatched))
}

/// `TRACT_CPU_ISA` value removing `arch` and every feature of it. The architecture token
/// comes first: tract checks later tokens against the architecture still in the set.
fn strip_spec(arch: Arch) -> String {
    let own = Isa::of_arch(arch);
    std::iter::once(own)
        .chain(
            Isa::ALL
                .into_iter()
                .filter(|i| i.arch() == arch && *i != own),
        )
        .map(|i| format!("-{}", i.name()))
        .collect::<Vec<_>>()
        .join(",")
}

fn describe(set: IsaSet) -> String {
    match set.arch() {
        Some(_) => format!("native ({set:?})"),
        None => "reference (tract generic kernels)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_spec_removes_the_architecture_first_then_its_features() {
        let spec = strip_spec(Arch::Aarch64);
        let tokens: Vec<&str> = spec.split(',').collect();
        assert_eq!(tokens[0], "-aarch64");
        assert!(tokens.contains(&"-fp16") && tokens.contains(&"-sve2"));
        assert!(!tokens.iter().any(|t| *t == "-avx" || *t == "-neon"));
        let x86 = strip_spec(Arch::X86_64);
        assert!(x86.starts_with("-x86_64,"));
        assert!(x86.contains("-fma") && x86.contains("-avx2"));
    }

    #[test]
    fn describe_names_native_and_reference_sets() {
        assert_eq!(
            describe(IsaSet::of_arch(Arch::X86_64).with(Isa::X86_64Fma)),
            "native (x86_64,fma)"
        );
        assert_eq!(
            describe(IsaSet::empty()),
            "reference (tract generic kernels)"
        );
    }
}
