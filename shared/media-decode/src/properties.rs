//! Property tests: hostile bytes through every parser of the crate.
//!
//! Three sources of input: arbitrary bytes, arbitrary bytes behind each format's magic (so the
//! sniffer lets them through to the parser), and structured mutations (bit flips, overwritten
//! bytes, cuts, inserted and duplicated ranges, overwritten big-endian lengths) of real JPEG,
//! PNG, MP4 and ZIP files made by [`crate::testutil`]. The properties:
//! - [`probe`] and [`decode`] return a typed [`DecodeError`] or media within the [`Limits`];
//! - our own parsers (box scan, `avcC`, NAL units, SPS, slice headers) never panic even without
//!   [`crate::guard`] around them, so a bug of ours is never hidden as "corrupt media";
//! - the Rust heap one decode holds at its peak stays below the limits' decoded-bytes bound
//!   plus a fixed allowance (measured by the counting allocator below, per thread).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::OnceLock;

use image::ImageFormat;
use proptest::prelude::*;

use crate::mp4::{avc, quantiser::QuantiserMeter, scan, sps};
use crate::testutil::{self, Mp4Opts};
use crate::{DecodeError, Limits, Sampling, decode, probe};

/// Counts the live heap bytes of the current thread and the peak since [`Peak::start`].
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    // `try_with`: the allocator also runs while a thread's locals are being torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// bookkeeping touches only const-initialised thread locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System` with this layout (every allocation goes through here).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        // SAFETY: as for `dealloc`; `new_size` is the caller's, checked by its contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most heap bytes this thread held above the start.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    let peak = PEAK.with(Cell::get) - start;
    (out, peak.max(0) as usize)
}

/// Tight bounds, so that a mutated header claiming more is refused quickly.
fn limits() -> Limits {
    Limits {
        max_pixels: 1_000_000,
        max_duration_ms: 10_000,
        max_frames: 40,
        max_zip_entries: 8,
        max_zip_uncompressed: 4 << 20,
        max_zip_ratio: 100,
        max_decoded_bytes: 16 << 20,
    }
}

/// Heap allowed above `max_decoded_bytes`: the input's copies, one decoded frame being
/// converted, the demuxer's sample tables — and, with `RUST_BACKTRACE` set, the ~40 MiB the
/// panic hook spends symbolising a backtrace when a dependency panics (caught by the guard).
/// Fixed costs: what the input could drive (a bomb, a forged count) is far larger.
const HEAP_ALLOWANCE: usize = 64 << 20;

/// Real files of each format, the seeds of the mutations.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let img = testutil::pattern(48, 32, 9);
        let jpeg = testutil::encode(&img, ImageFormat::Jpeg);
        let png = testutil::encode(&img, ImageFormat::Png);
        let mp4 = testutil::make_mp4(&testutil::moving_square(4, 48, 32), &Mp4Opts::default());
        let zip = testutil::make_zip(&[("0.jpg", &jpeg), ("1.png", &png)]);
        vec![jpeg, png, mp4, zip]
    })
}

/// One structured change to a file.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
    /// Overwrites four bytes with a big-endian number: box sizes, counts, lengths.
    SetLength(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<usize>();
    prop_oneof![
        (pos, 0u8..8).prop_map(|(p, b)| Mutation::FlipBit(p, b)),
        (pos, any::<u8>()).prop_map(|(p, v)| Mutation::SetByte(p, v)),
        pos.prop_map(Mutation::Truncate),
        (pos, prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(p, b)| Mutation::Insert(p, b)),
        (pos, 1usize..256).prop_map(|(p, n)| Mutation::Duplicate(p, n)),
        (
            pos,
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(7),
                Just(8),
                Just(u32::MAX),
                Just(0x7FFF_FFFF),
                any::<u32>()
            ]
        )
            .prop_map(|(p, v)| Mutation::SetLength(p, v)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let at = |p: usize| p % bytes.len();
    match m {
        Mutation::FlipBit(p, b) => {
            let i = at(*p);
            bytes[i] ^= 1 << b;
        }
        Mutation::SetByte(p, v) => {
            let i = at(*p);
            bytes[i] = *v;
        }
        Mutation::Truncate(p) => bytes.truncate(at(*p)),
        Mutation::Insert(p, b) => {
            let i = at(*p);
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Duplicate(p, n) => {
            let i = at(*p);
            let end = (i + n).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Mutation::SetLength(p, v) => {
            let i = at(*p);
            let end = (i + 4).min(bytes.len());
            bytes[i..end].copy_from_slice(&v.to_be_bytes()[..end - i]);
        }
    }
}

/// The crate's own contract on any input.
fn check_public(bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = limits();
    let (probed, probe_heap) = peak_heap(|| probe(bytes, &limits));
    let (decoded, decode_heap) = peak_heap(|| decode(bytes, &limits, Sampling::Evenly(3)));
    let bound = limits.max_decoded_bytes as usize + HEAP_ALLOWANCE;
    prop_assert!(probe_heap <= bound, "probe held {probe_heap} heap bytes");
    prop_assert!(decode_heap <= bound, "decode held {decode_heap} heap bytes");
    if let Ok(info) = &probed {
        prop_assert!(u64::from(info.width) * u64::from(info.height) <= limits.max_pixels);
    }
    match decoded {
        Ok(d) => {
            prop_assert!(d.frames.len() <= 3, "{} frames", d.frames.len());
            for f in &d.frames {
                let (w, h) = f.image.dimensions();
                prop_assert!(u64::from(w) * u64::from(h) <= limits.max_pixels);
            }
            // What decodes also probes: the two share one validation.
            prop_assert!(probed.is_ok(), "decoded but probe said {probed:?}");
        }
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            prop_assert!(!matches!(e, DecodeError::Corrupt(ref m) if m.is_empty()));
        }
    }
    Ok(())
}

/// Our own parsers, called directly: no guard to catch a panic.
fn check_parsers(bytes: &[u8]) {
    if let Ok(found) = scan::scan(bytes) {
        for t in &found.tracks {
            if let Some(r) = t.avcc.clone().and_then(|r| bytes.get(r)) {
                let _ = avc::parse_avcc(r);
            }
        }
    }
    let _ = avc::parse_avcc(bytes);
    for length_size in [1, 2, 4] {
        let _ = avc::is_disposable(bytes, length_size);
        let mut meter = QuantiserMeter::default();
        let mut out = Vec::new();
        let _ = avc::sample_to_annexb(bytes, length_size, &mut out, &mut |nal| {
            meter.feed(nal);
            Ok(())
        });
        let _ = meter.mean();
    }
    let _ = sps::parse_sps(bytes);
    let _ = sps::coded_size(bytes);
    let mut meter = QuantiserMeter::default();
    meter.feed_annexb(bytes);
    meter.feed(bytes);
    let _ = meter.mean();
    let _ = crate::jpeg::check_structure(bytes);
    let _ = crate::sniff(bytes);
}

/// Magic bytes that make the sniffer hand the rest to one parser.
const MAGICS: &[&[u8]] = &[
    b"\xFF\xD8\xFF",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\0\0\0\0WEBPVP8 ",
    b"\0\0\0\x18ftypisom",
    b"\0\0\0\x18ftypqt  ",
    b"PK\x03\x04",
    b"\x1A\x45\xDF\xA3",
];

proptest! {
    // 256 cases each by default; `PROPTEST_CASES=N` runs more.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_refused_or_bounded(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_parsers(&bytes);
        check_public(&bytes)?;
    }

    #[test]
    fn bytes_behind_magic_are_refused_or_bounded(
        magic in prop::sample::select(MAGICS),
        tail in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&tail);
        check_parsers(&bytes);
        check_public(&bytes)?;
    }

    #[test]
    fn mutated_real_files_are_refused_or_bounded(
        seed in 0usize..4,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = seeds()[seed].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check_parsers(&bytes);
        check_public(&bytes)?;
    }
}

#[test]
fn seeds_decode_before_mutation() {
    for s in seeds() {
        let d = decode(s, &limits(), Sampling::Evenly(3)).unwrap();
        assert!(!d.frames.is_empty());
        check_parsers(s);
    }
}

#[test]
fn the_heap_meter_sees_a_decode() {
    let (_, held) = peak_heap(|| decode(&seeds()[2], &limits(), Sampling::Evenly(3)).unwrap());
    // Three 48×32 RGB frames are returned: the meter must at least see those.
    assert!(held >= 3 * 48 * 32 * 3, "{held}");
}
