//! Where the evaluation and the engine's tests find their inputs: the repository (models,
//! fetched fixture photos) and the team's data folder (`../shared/data`, read in place, never
//! copied), plus one engine per process.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use face_engine::{Engine, io::load_image};
use image::RgbImage;

/// The repository root (from this crate's source location).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The data folder to evaluate on: `explicit` (a `--data` argument), else `$OZ_SHARED_DATA`,
/// else the `../shared/data` beside the repository.
pub fn data_dir(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(|| std::env::var_os("OZ_SHARED_DATA").map(PathBuf::from))
        .unwrap_or_else(|| repo().join("../shared/data"))
}

/// The data folder for tests, when there is one (tests skip their shared-data part without it).
pub fn shared_data() -> Option<PathBuf> {
    let dir = data_dir(None);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: shared data folder {} absent", dir.display());
        None
    }
}

/// The repository's models, loaded once per process.
pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| Arc::new(Engine::load(&repo().join("models")).expect("models load")))
        .clone()
}

/// A fixture photo fetched by `scripts/fetch-fixtures.sh` (`$OZ_FIXTURES_DIR`, else
/// `.cache/fixtures`).
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

/// The astronaut portrait at 600×600 on a 960×720 grey canvas: a "print" with a margin, its
/// face about 100 px wide (above the capture gate's minimum).
pub fn print_still() -> RgbImage {
    let face = image::imageops::resize(
        &fixture("astronaut.png"),
        600,
        600,
        image::imageops::FilterType::Triangle,
    );
    let mut canvas = RgbImage::from_pixel(960, 720, image::Rgb([200, 200, 200]));
    image::imageops::replace(&mut canvas, &face, 180, 60);
    canvas
}
