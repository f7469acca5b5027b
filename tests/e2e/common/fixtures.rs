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

/// Photos of the different people of the group photo `t1.jpg`, one face each: every detected
/// face cropped with a margin of one face width, as PNG.
pub fn group_faces() -> Vec<Vec<u8>> {
    let img = image::load_from_memory(&fixture("t1.jpg"))
        .unwrap()
        .to_rgb8();
    let found = engine().engine().detect(&img).unwrap();
    let mut out = Vec::new();
    for d in found.faces() {
        let b = &d.bbox;
        let (w, h) = (b.x2 - b.x1, b.y2 - b.y1);
        let x = (b.x1 - w).max(0.0) as u32;
        let y = (b.y1 - h).max(0.0) as u32;
        let cw = ((3.0 * w) as u32).min(img.width() - x);
        let ch = ((3.0 * h) as u32).min(img.height() - y);
        let crop = image::imageops::crop_imm(&img, x, y, cw, ch).to_image();
        let mut png = std::io::Cursor::new(Vec::new());
        crop.write_to(&mut png, image::ImageFormat::Png).unwrap();
        out.push(png.into_inner());
    }
    out
}

/// Another photo of the same face: mirrored, enlarged by a quarter, brighter, JPEG.
pub fn another_photo_of(bytes: &[u8]) -> Vec<u8> {
    let img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let mut big = image::imageops::resize(
        &image::imageops::flip_horizontal(&img),
        w * 5 / 4,
        h * 5 / 4,
        image::imageops::CatmullRom,
    );
    for p in big.pixels_mut() {
        for c in &mut p.0 {
            *c = (*c as f32 * 1.12 + 6.0).min(255.0) as u8;
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&big)
        .unwrap();
    out.into_inner()
}

/// The real engine, counting its calls, except that its first `panics` calls panic
/// (mid-analysis: after the job was received and the media read).
pub struct Counting {
    inner: Arc<face_analyzer::EngineAnalyzer>,
    panics: usize,
    pub calls: std::sync::atomic::AtomicUsize,
}

impl Counting {
    pub fn new(panics: usize) -> Self {
        Self {
            inner: engine(),
            panics,
            calls: Default::default(),
        }
    }
}

#[async_trait::async_trait]
impl shared::ports::Analyzer for Counting {
    fn info(&self) -> serde_json::Value {
        self.inner.info()
    }

    async fn analyze(
        &self,
        bytes: bytes::Bytes,
        req: shared::ports::AnalyzeRequest,
    ) -> Result<shared::ports::FaceFindings, shared::ports::AnalyzeError> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < self.panics {
            panic!("injected fault {n}");
        }
        self.inner.analyze(bytes, req).await
    }

    fn similarity(&self, a: &[f32], b: &[f32]) -> f32 {
        self.inner.similarity(a, b)
    }

    fn calibrated(&self, cosine: f32) -> f32 {
        self.inner.calibrated(cosine)
    }
}
