//! Helpers shared by face-eval's integration tests (as face-engine's tests/common): the repo
//! root, one engine per test binary, fixture photos and the optional `../shared/data` folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use face_engine::{Engine, io::load_image};
use image::RgbImage;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| Arc::new(Engine::load(&repo().join("models")).expect("models load")))
        .clone()
}

pub fn fixture(name: &str) -> RgbImage {
    let dir = std::env::var_os("OZ_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/fixtures"));
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "fixture {} missing: run scripts/fetch-fixtures.sh (downloads insightface==2.1 and \
         scikit-image wheels from PyPI and extracts their sample photos)",
        path.display()
    );
    load_image(&path, 40_000_000).expect("fixture decodes")
}

pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("OZ_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: shared data folder {} absent", dir.display());
        None
    }
}
