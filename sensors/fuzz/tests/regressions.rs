//! Every seed and every saved crash input (`sensors/fuzz/regressions/<target>/`, one file per
//! input AFL++ found crashing or hanging) goes through its target: a parser that panics on one
//! of them fails this test. A regression folder named for no target is an error too.

use kestrel_fuzz::{TARGETS, target};
use std::path::Path;

#[test]
fn every_seed_goes_through_its_target() {
    for t in TARGETS {
        let seeds = (t.seeds)().unwrap_or_else(|e| panic!("{}: seeds: {e}", t.name));
        assert!(!seeds.is_empty(), "{} has no seeds", t.name);
        for seed in &seeds {
            (t.run)(seed);
        }
    }
}

#[test]
fn every_saved_crash_input_goes_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut inputs = 0;
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let t = target(&name).unwrap_or_else(|| panic!("regressions/{name}: no such target"));
        for file in std::fs::read_dir(&dir).unwrap() {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            (t.run)(&bytes);
            inputs += 1;
        }
    }
    println!("{inputs} saved inputs replayed");
}

#[test]
fn target_names_are_unique_and_usable_as_folder_names() {
    let mut names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), TARGETS.len());
    assert!(names.iter().all(|n| {
        n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }));
}
