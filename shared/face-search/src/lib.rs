//! 1:N face-template search: a flat (exhaustive) int8 index with SIMD dot products and a
//! bounded top-k, behind the [`TemplateSearch`] port so a managed vector index (OpenSearch
//! k-NN, a vector database) can replace it without touching the server.
//!
//! Templates are L2-normalised f32 embeddings (512-d for the face engine), so cosine
//! similarity is a dot product. [`FlatIndex`] stores each template as one int8 row
//! (per-template symmetric scale, see [`MAX_COSINE_ERROR`]) in a single contiguous
//! `Vec<i8>` — 516 bytes per 512-d template instead of 2048 — and scans it with an
//! `i8 × i16 → i32` kernel (SSE2 on every x86_64, AVX2 when present, NEON on aarch64, a
//! scalar fallback elsewhere; see [`Kernel`]). One million templates take ~0.5 GB and
//! are scanned in tens of milliseconds on one core: numbers in `README.md`.
//!
//! ```
//! use face_search::{FlatIndex, TemplateSearch};
//!
//! let mut index = FlatIndex::new(3);
//! index.insert(("alice", 1), &[1.0, 0.0, 0.0]).unwrap();
//! index.insert(("bob", 1), &[0.0, 1.0, 0.0]).unwrap();
//! let hits = index.search(&[0.9, 0.1, 0.0], 1).unwrap();
//! assert_eq!(hits[0].key, ("alice", 1));
//! assert!((hits[0].cosine - 0.9939).abs() < 0.01);
//! assert_eq!(index.top_k(&[0.0, 1.0, 0.0], 5).unwrap().len(), 2);
//! ```

#![warn(missing_docs)]

mod index;
pub mod kernel;
mod quant;
pub mod synth;
mod topk;

pub use index::FlatIndex;
pub use kernel::Kernel;

/// Documented bound on `|returned cosine − exact f32 cosine|` for a [`FlatIndex`] hit.
///
/// The returned cosine is the cosine between the int8-quantised template and the
/// int16-quantised probe; the error is the template's int8 rounding projected on the probe,
/// a sum of 512 small independent terms (σ ≈ 0.0004 for isotropic 512-d embeddings).
/// Measured maxima over 10⁷ template × probe pairs per data set (benchmark, `README.md`):
/// ≈ 0.002 for random unit vectors, clustered vectors and genuine pairs at cosine 0.3–0.9,
/// ≈ 0.005 for strongly anisotropic vectors (per-dimension σ decaying 55×), whose large
/// leading components coarsen the int8 step. The bound leaves room for the tails of much
/// larger collections. A worst case over adversarial inputs is larger — up to
/// `√d / 2 · max|xᵢ| / 127` ≈ 0.016 for a typical 512-d template — but needs the rounding
/// errors of all components to align with the probe, which real embeddings do not do.
///
/// Consequence (tested): whenever the exact top-1 beats the exact top-2 by more than
/// `2 · MAX_COSINE_ERROR`, the index's top-1 is the exact top-1 — and for decisions against a
/// threshold, scores within `MAX_COSINE_ERROR` of it are the only ones int8 can flip.
pub const MAX_COSINE_ERROR: f32 = 0.0075;

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hit<K> {
    /// The key the template was inserted under.
    pub key: K,
    /// Cosine similarity to the probe in `[-1, 1]` (for [`FlatIndex`], the int8
    /// approximation: within [`MAX_COSINE_ERROR`] of the exact value).
    pub cosine: f32,
}

/// Errors of template insertion and search.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The vector does not have the index's dimension.
    #[error("template has dimension {actual}, the index expects {expected}")]
    DimensionMismatch {
        /// The index's dimension.
        expected: usize,
        /// The vector's length.
        actual: usize,
    },
    /// A component is NaN or infinite.
    #[error("template component {index} is not finite")]
    NonFinite {
        /// Index of the first non-finite component.
        index: usize,
    },
    /// All components are zero: the vector has no direction.
    #[error("template is the zero vector")]
    ZeroVector,
    /// A backend (managed vector index) failed; for [`TemplateSearch`] implementations.
    #[error("search backend: {0}")]
    Backend(String),
}

/// Port for 1:N search: the server codes against this, [`FlatIndex`] is the in-process
/// implementation. A managed vector index (OpenSearch k-NN, a vector database) implements it
/// with its own client, mapping failures to [`SearchError::Backend`].
pub trait TemplateSearch<K> {
    /// The `k` templates most similar to `probe` (cosine), best first; fewer when the
    /// collection holds fewer than `k`.
    fn top_k(&self, probe: &[f32], k: usize) -> Result<Vec<Hit<K>>, SearchError>;

    /// Number of templates in the collection.
    fn len(&self) -> usize;

    /// Whether the collection is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
