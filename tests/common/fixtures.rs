//! Face images the engine tests share: the fetched fixtures, `../shared/data` samples when
//! present, and the process-wide face engine.

use std::path::PathBuf;
use std::sync::Arc;

/// A fetched fixture image (`OZ_FIXTURES_DIR`, default `.cache/fixtures`).
pub fn fixture(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("OZ_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".cache/fixtures"));
    std::fs::read(dir.join(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e} (run scripts/fetch-fixtures.sh)"))
}

/// `../shared/data/<rel>` when that folder is there.
pub fn shared_data(rel: &str) -> Option<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    match std::fs::read(&p) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!("skipping: {} absent", p.display());
            None
        }
    }
}

/// A smaller, re-encoded copy of a photo: the "ID photo" of the same person.
pub fn id_photo_of(bytes: &[u8]) -> Vec<u8> {
    let img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let small = image::imageops::resize(&img, w * 3 / 4, h * 3 / 4, image::imageops::Triangle);
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&small)
        .unwrap();
    out.into_inner()
}

/// The face engine, loaded once per test binary.
pub fn engine() -> Arc<face_analyzer::EngineAnalyzer> {
    static ENGINE: std::sync::OnceLock<Arc<face_analyzer::EngineAnalyzer>> =
        std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            Arc::new(face_analyzer::EngineAnalyzer::new(
                face_engine::Engine::from_env().expect("face models"),
            ))
        })
        .clone()
}
