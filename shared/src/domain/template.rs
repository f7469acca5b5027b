//! The API Lite face template (**ours**): what `/v1/face/pattern/extract` returns and
//! `/compare` and `/verify` take back. Versioned so that a template from another model or layout
//! is refused, never compared:
//!
//! | bytes | content |
//! |---|---|
//! | 0..4 | magic `OZFT` |
//! | 4..6 | format version, u16 little-endian (2) |
//! | 6..8 | dimension `n`, u16 little-endian (192) |
//! | 8..8+4n | the L2-normalised embedding, `n` × f32 little-endian |
//!
//! Version 2 is the `mobilefacenet_b1` embedding of the bundled models (192 values). Version 1
//! (512 `fr_feature` values, until 2026-12-04) is refused: its embeddings cannot be compared
//! with the new model's. A new embedding model gets a new version.

use crate::{Error, Result};

/// The first bytes of every template.
pub const MAGIC: &[u8; 4] = b"OZFT";
/// The format version this build writes and reads.
pub const VERSION: u16 = 2;
/// Embedding dimension of this version.
pub const DIM: usize = 192;
/// Length in bytes of a template of this version.
pub const LEN: usize = 8 + 4 * DIM;

/// Encodes an embedding as a template.
pub fn encode(embedding: &[f32]) -> Result<Vec<u8>> {
    if embedding.len() != DIM {
        return Err(Error::Unexpected(anyhow::anyhow!(
            "the engine gave a {}-value embedding, the template format holds {DIM}",
            embedding.len()
        )));
    }
    let mut out = Vec::with_capacity(LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(DIM as u16).to_le_bytes());
    for x in embedding {
        out.extend_from_slice(&x.to_le_bytes());
    }
    Ok(out)
}

/// True when `bytes` start like a template (to tell a template part from an image part).
pub fn looks_like(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Decodes a template, refusing a wrong magic, version, dimension, length or non-finite value.
pub fn decode(bytes: &[u8]) -> Result<Vec<f32>> {
    if !looks_like(bytes) {
        return Err(Error::invalid(
            "not a face template: it must start with the magic bytes OZFT",
        ));
    }
    if bytes.len() < 8 {
        return Err(Error::invalid("face template is truncated"));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    let dim = u16::from_le_bytes([bytes[6], bytes[7]]) as usize;
    if version != VERSION || dim != DIM {
        return Err(Error::invalid(format!(
            "face template version {version} with {dim} values is not supported (this server \
             reads version {VERSION} with {DIM})"
        )));
    }
    if bytes.len() != LEN {
        return Err(Error::invalid(format!(
            "face template must be {LEN} bytes, got {}",
            bytes.len()
        )));
    }
    let values: Vec<f32> = bytes[8..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if values.iter().any(|x| !x.is_finite()) {
        return Err(Error::invalid("face template holds a non-finite value"));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_damage() {
        let e: Vec<f32> = (0..DIM).map(|i| i as f32 / DIM as f32).collect();
        let t = encode(&e).unwrap();
        assert_eq!(t.len(), LEN);
        assert_eq!(decode(&t).unwrap(), e);
        assert!(decode(&t[..LEN - 1]).is_err());
        for version in [1u8, 3] {
            let mut other = t.clone();
            other[4] = version;
            assert!(decode(&other).is_err(), "version {version}");
        }
        let mut bad = t.clone();
        bad[0] = b'X';
        assert!(decode(&bad).is_err());
        let mut nan = t;
        nan[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(decode(&nan).is_err());
        assert!(encode(&[0.0; 3]).is_err());
    }
}
