//! MP4/MOV helpers: an allocation-free box scan that validates what the demuxer will trust, and
//! H.264 (`avcC`, length-prefixed NAL units) to Annex-B conversion for the decoder.

pub(crate) mod avc;
pub(crate) mod bits;
pub(crate) mod budget;
pub(crate) mod quantiser;
pub(crate) mod scan;
pub(crate) mod sps;
