//! [`FlatIndex`]: contiguous int8 rows, exhaustive scan, bounded top-k.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::ops::Range;

use rayon::prelude::*;

use crate::kernel::{self, Kernel};
use crate::quant::{self, Probe};
use crate::topk::{self, Cand, TopK};
use crate::{Hit, SearchError, TemplateSearch};

/// Below this many rows per chunk the parallel scan is not worth the rayon overhead.
const MIN_ROWS_PER_TASK: usize = 4096;

/// Exhaustive 1:N index over int8-quantised templates.
///
/// Rows live in one contiguous `Vec<i8>` (`dim` bytes each) with one f32 scale per row;
/// keys are kept in a parallel `Vec<K>` plus a `HashMap<K, slot>` for O(1) replace and
/// remove. Inserted vectors need not be exactly unit-norm: every template and probe is
/// normalised, so scores are cosines.
///
/// Searches take `&self`: share the index behind an `RwLock` / `Arc` and mutate it under the
/// write lock.
#[derive(Clone)]
pub struct FlatIndex<K> {
    dim: usize,
    data: Vec<i8>,
    scales: Vec<f32>,
    keys: Vec<K>,
    slots: HashMap<K, usize>,
    kernel: Kernel,
}

impl<K> fmt::Debug for FlatIndex<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlatIndex")
            .field("dim", &self.dim)
            .field("len", &self.keys.len())
            .field("kernel", &self.kernel)
            .finish_non_exhaustive()
    }
}

/// Scans `rows` (consecutive rows starting at slot `base`) with the dot kernel `$dot`.
macro_rules! scan_rows {
    ($rows:expr, $scales:expr, $q:expr, $base:expr, $top:expr, $dot:expr) => {{
        let q: &[i16] = $q;
        for (i, (row, &scale)) in $rows.chunks_exact(q.len()).zip($scales).enumerate() {
            let dot: i32 = $dot(row, q);
            $top.offer(Cand {
                score: dot as f32 * scale,
                slot: $base + i,
            });
        }
    }};
}

fn scan_scalar(rows: &[i8], scales: &[f32], q: &[i16], base: usize, top: &mut TopK) {
    scan_rows!(rows, scales, q, base, top, kernel::dot_scalar);
}

#[cfg(target_arch = "x86_64")]
fn scan_sse2(rows: &[i8], scales: &[f32], q: &[i16], base: usize, top: &mut TopK) {
    scan_rows!(rows, scales, q, base, top, kernel::dot_sse2);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_avx2(rows: &[i8], scales: &[f32], q: &[i16], base: usize, top: &mut TopK) {
    scan_rows!(rows, scales, q, base, top, kernel::dot_avx2);
}

#[cfg(target_arch = "aarch64")]
fn scan_neon(rows: &[i8], scales: &[f32], q: &[i16], base: usize, top: &mut TopK) {
    scan_rows!(rows, scales, q, base, top, kernel::dot_neon);
}

impl<K> FlatIndex<K> {
    /// Number of templates.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the index holds no template.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Template dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Template storage per entry: `dim` int8 + one f32 scale (516 bytes at 512-d). Key
    /// bookkeeping comes on top: see [`FlatIndex::memory_bytes`].
    pub fn bytes_per_template(&self) -> usize {
        self.dim + std::mem::size_of::<f32>()
    }

    /// Approximate heap bytes held by the index (allocated capacity of rows, scales, key
    /// vector and key map), not counting heap memory owned by the keys themselves.
    pub fn memory_bytes(&self) -> usize {
        let k = std::mem::size_of::<K>();
        self.data.capacity()
            + self.scales.capacity() * std::mem::size_of::<f32>()
            + self.keys.capacity() * k
            // hashbrown: (key, slot) per bucket + one control byte, ~8/7 buckets per entry.
            + self.slots.capacity() * (k + std::mem::size_of::<usize>() + 1) * 8 / 7
    }

    /// The dot-product kernel searches use ([`Kernel::best`] unless overridden).
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Forces a kernel (benchmarks, tests).
    ///
    /// # Panics
    /// If the kernel is not supported on this CPU ([`Kernel::is_supported`]).
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        assert!(
            kernel.is_supported(),
            "kernel {} not supported on this CPU",
            kernel.name()
        );
        self.kernel = kernel;
        self
    }

    /// Scans the rows `range` against a quantised probe, offering every row to `top`.
    fn scan(&self, q: &[i16], range: Range<usize>, top: &mut TopK) {
        let rows = &self.data[range.start * self.dim..range.end * self.dim];
        let scales = &self.scales[range.clone()];
        let base = range.start;
        match self.kernel {
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2 => scan_sse2(rows, scales, q, base, top),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_kernel` / `Kernel::best` only select AVX2 when the CPU has it.
            Kernel::Avx2 => unsafe { scan_avx2(rows, scales, q, base, top) },
            #[cfg(target_arch = "aarch64")]
            Kernel::Neon => scan_neon(rows, scales, q, base, top),
            _ => scan_scalar(rows, scales, q, base, top),
        }
    }
}

impl<K: Clone + Eq + Hash> FlatIndex<K> {
    /// An empty index for templates of dimension `dim`.
    ///
    /// # Panics
    /// If `dim` is 0 or larger than 65 536.
    pub fn new(dim: usize) -> Self {
        Self::with_capacity(dim, 0)
    }

    /// An empty index with room for `n` templates without reallocation.
    ///
    /// # Panics
    /// If `dim` is 0 or larger than 65 536.
    pub fn with_capacity(dim: usize, n: usize) -> Self {
        assert!(
            (1..=quant::MAX_DIM).contains(&dim),
            "template dimension must be in 1..={}, got {dim}",
            quant::MAX_DIM
        );
        FlatIndex {
            dim,
            data: Vec::with_capacity(n * dim),
            scales: Vec::with_capacity(n),
            keys: Vec::with_capacity(n),
            slots: HashMap::with_capacity(n),
            kernel: Kernel::best(),
        }
    }

    /// Whether a template is stored under `key`.
    pub fn contains(&self, key: &K) -> bool {
        self.slots.contains_key(key)
    }

    /// The stored keys, in storage order (which changes on removal).
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.keys.iter()
    }

    /// Inserts `template` under `key`, replacing the template already stored under that key.
    /// The vector is normalised, then quantised to int8.
    ///
    /// # Errors
    /// [`SearchError::DimensionMismatch`], [`SearchError::NonFinite`] or
    /// [`SearchError::ZeroVector`]; the index is unchanged.
    pub fn insert(&mut self, key: K, template: &[f32]) -> Result<(), SearchError> {
        quant::validate(self.dim, template)?;
        let dim = self.dim;
        match self.slots.get(&key) {
            Some(&slot) => {
                let row = &mut self.data[slot * dim..(slot + 1) * dim];
                self.scales[slot] = quant::quantize_template(template, row);
            }
            None => {
                let slot = self.keys.len();
                self.data.resize((slot + 1) * dim, 0);
                let scale = quant::quantize_template(template, &mut self.data[slot * dim..]);
                self.scales.push(scale);
                self.keys.push(key.clone());
                self.slots.insert(key, slot);
            }
        }
        Ok(())
    }

    /// Removes the template stored under `key` (O(1): the last row moves into its slot).
    /// Returns whether there was one. Takes effect for every later search.
    pub fn remove(&mut self, key: &K) -> bool {
        let Some(slot) = self.slots.remove(key) else {
            return false;
        };
        let last = self.keys.len() - 1;
        if slot != last {
            let dim = self.dim;
            self.data
                .copy_within(last * dim..(last + 1) * dim, slot * dim);
            self.slots.insert(self.keys[last].clone(), slot);
        }
        self.keys.swap_remove(slot);
        self.scales.swap_remove(slot);
        self.data.truncate(last * self.dim);
        true
    }

    /// The `k` most similar templates to `probe`, best first, scanning on the calling thread.
    /// Returns `min(k, len)` hits; ties are broken deterministically.
    ///
    /// # Errors
    /// The probe is validated like a template ([`FlatIndex::insert`]).
    pub fn search(&self, probe: &[f32], k: usize) -> Result<Vec<Hit<K>>, SearchError> {
        let probe = Probe::new(self.dim, probe)?;
        let k = k.min(self.len());
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut top = TopK::new(k);
        self.scan(&probe.q, 0..self.len(), &mut top);
        Ok(self.hits(top.into_sorted(), probe.scale))
    }

    fn hits(&self, cands: Vec<Cand>, probe_scale: f32) -> Vec<Hit<K>> {
        cands
            .into_iter()
            .map(|c| Hit {
                key: self.keys[c.slot].clone(),
                cosine: (c.score * probe_scale).clamp(-1.0, 1.0),
            })
            .collect()
    }
}

impl<K: Clone + Eq + Hash + Send + Sync> FlatIndex<K> {
    /// Like [`FlatIndex::search`] (same results, same order), scanning chunks of rows on the
    /// rayon thread pool. Small indexes are scanned on the calling thread.
    ///
    /// # Errors
    /// The probe is validated like a template ([`FlatIndex::insert`]).
    pub fn search_parallel(&self, probe: &[f32], k: usize) -> Result<Vec<Hit<K>>, SearchError> {
        let n = self.len();
        let tasks = rayon::current_num_threads() * 4;
        let rows_per_task = n.div_ceil(tasks).max(MIN_ROWS_PER_TASK);
        if n <= rows_per_task {
            return self.search(probe, k);
        }
        let probe = Probe::new(self.dim, probe)?;
        let k = k.min(n);
        if k == 0 {
            return Ok(Vec::new());
        }
        let cands = (0..n.div_ceil(rows_per_task))
            .into_par_iter()
            .map(|t| {
                let start = t * rows_per_task;
                let mut top = TopK::new(k);
                self.scan(&probe.q, start..(start + rows_per_task).min(n), &mut top);
                top.into_sorted()
            })
            .reduce(Vec::new, |a, b| topk::merge(a, b, k));
        Ok(self.hits(cands, probe.scale))
    }
}

impl<K: Clone + Eq + Hash + Send + Sync> TemplateSearch<K> for FlatIndex<K> {
    /// [`FlatIndex::search_parallel`].
    fn top_k(&self, probe: &[f32], k: usize) -> Result<Vec<Hit<K>>, SearchError> {
        self.search_parallel(probe, k)
    }

    fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_COSINE_ERROR;
    use crate::synth::{Rng, exact_cosine, random_unit, skewed_unit, with_cosine};

    const D: usize = 512;

    fn build(templates: &[Vec<f32>]) -> FlatIndex<usize> {
        let mut index = FlatIndex::with_capacity(D, templates.len());
        for (i, t) in templates.iter().enumerate() {
            index.insert(i, t).unwrap();
        }
        index
    }

    /// Exact f32 brute force: (key, cosine) best first.
    fn brute_force(templates: &[Vec<f32>], probe: &[f32]) -> Vec<(usize, f32)> {
        let mut all: Vec<(usize, f32)> = templates
            .iter()
            .enumerate()
            .map(|(i, t)| (i, exact_cosine(t, probe)))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all
    }

    fn kernels() -> Vec<Kernel> {
        let mut k = vec![Kernel::Scalar, Kernel::best()];
        if cfg!(target_arch = "x86_64") {
            k.push(Kernel::Sse2);
        }
        k
    }

    /// Data sets of the accuracy tests.
    /// (name, gallery, probes).
    type DataSet = (&'static str, Vec<Vec<f32>>, Vec<Vec<f32>>);

    fn datasets(n: usize, probes: usize) -> Vec<DataSet> {
        let mut rng = Rng::new(42);
        let mut sets = Vec::new();
        // Random unit gallery, probes = genuine pairs of random members (cosine 0.3–0.9).
        let gallery: Vec<_> = (0..n).map(|_| random_unit(D, &mut rng)).collect();
        let ps = (0..probes)
            .map(|i| {
                let c = 0.3 + 0.6 * rng.uniform() as f32;
                with_cosine(&gallery[(i * 7919) % n], c, &mut rng)
            })
            .collect();
        sets.push(("random+pairs", gallery, ps));
        // Random gallery, random probes (impostors only: tiny margins, near-ties).
        let gallery: Vec<_> = (0..n).map(|_| random_unit(D, &mut rng)).collect();
        let ps = (0..probes).map(|_| random_unit(D, &mut rng)).collect();
        sets.push(("random", gallery, ps));
        // Clustered: 50 centres, members at cosine 0.5–0.95 to their centre.
        let centres: Vec<_> = (0..50).map(|_| random_unit(D, &mut rng)).collect();
        let member = |rng: &mut Rng, i: usize| {
            let c = 0.5 + 0.45 * rng.uniform() as f32;
            with_cosine(&centres[i % 50], c, rng)
        };
        let gallery: Vec<_> = (0..n).map(|i| member(&mut rng, i)).collect();
        // Probes: genuine pairs (cosine 0.6–0.9) of members, among their look-alikes.
        let ps = (0..probes)
            .map(|i| {
                let c = 0.6 + 0.3 * rng.uniform() as f32;
                with_cosine(&gallery[(i * 7919) % n], c, &mut rng)
            })
            .collect();
        sets.push(("clustered", gallery, ps));
        // Anisotropic vectors, probes = genuine pairs.
        let gallery: Vec<_> = (0..n).map(|_| skewed_unit(D, &mut rng)).collect();
        let ps = (0..probes)
            .map(|i| {
                let c = 0.3 + 0.6 * rng.uniform() as f32;
                with_cosine(&gallery[(i * 104_729) % n], c, &mut rng)
            })
            .collect();
        sets.push(("skewed+pairs", gallery, ps));
        sets
    }

    #[test]
    fn int8_matches_exact_brute_force_within_documented_error() {
        for (name, gallery, probes) in datasets(3000, 60) {
            let index = build(&gallery);
            let mut max_err = 0.0f32;
            let (mut decided, mut same_top1) = (0, 0);
            for probe in &probes {
                let exact = brute_force(&gallery, probe);
                // k = len: every template's approximate cosine.
                let hits = index.search(probe, index.len()).unwrap();
                assert_eq!(hits.len(), gallery.len());
                for h in &hits {
                    let err = (h.cosine - exact_cosine(&gallery[h.key], probe)).abs();
                    max_err = max_err.max(err);
                }
                // Top-1 is exact whenever the exact margin exceeds 2 × the error bound.
                let margin = exact[0].1 - exact[1].1;
                if margin > 2.0 * MAX_COSINE_ERROR {
                    decided += 1;
                    assert_eq!(
                        hits[0].key, exact[0].0,
                        "{name}: top-1 differs, margin {margin}"
                    );
                }
                if hits[0].key == exact[0].0 {
                    same_top1 += 1;
                }
            }
            assert!(max_err <= MAX_COSINE_ERROR, "{name}: max error {max_err}");
            if name != "random" {
                // Genuine/clustered probes: the margin rule must actually be exercised.
                assert!(
                    decided >= probes.len() / 2,
                    "{name}: only {decided} decided"
                );
            }
            eprintln!(
                "{name}: max |int8 - exact| = {max_err:.5}, top-1 agreement {same_top1}/{}, \
                 decided by margin {decided}",
                probes.len()
            );
        }
    }

    #[test]
    fn top1_is_exact_at_a_margin_just_above_twice_the_bound() {
        // Worst placement for the margin rule: the genuine template A and a look-alike B at
        // exactly 2 × MAX_COSINE_ERROR (+ 0.001) less, among random impostors; 300 trials,
        // A and B replaced in place each time.
        let mut rng = Rng::new(17);
        let mut index = FlatIndex::new(D);
        for i in 0..2000 {
            index.insert(i, &random_unit(D, &mut rng)).unwrap();
        }
        let margin = 2.0 * MAX_COSINE_ERROR + 0.001;
        for trial in 0..300 {
            let probe = random_unit(D, &mut rng);
            let c = 0.3 + 0.6 * (trial as f32 / 300.0);
            let a = with_cosine(&probe, c, &mut rng);
            let b = with_cosine(&probe, c - margin, &mut rng);
            assert!(exact_cosine(&a, &probe) - exact_cosine(&b, &probe) > 2.0 * MAX_COSINE_ERROR);
            index.insert(usize::MAX, &a).unwrap();
            index.insert(usize::MAX - 1, &b).unwrap();
            let hits = index.search(&probe, 2).unwrap();
            assert_eq!(hits[0].key, usize::MAX, "trial {trial}");
            assert_eq!(hits[1].key, usize::MAX - 1, "trial {trial}");
            assert!((hits[0].cosine - exact_cosine(&a, &probe)).abs() <= MAX_COSINE_ERROR);
        }
        assert_eq!(index.len(), 2002);
    }

    #[test]
    fn every_kernel_and_parallel_give_identical_results() {
        let mut rng = Rng::new(3);
        let gallery: Vec<_> = (0..20_000).map(|_| random_unit(D, &mut rng)).collect();
        let index = build(&gallery);
        assert!(
            index.len() > 2 * MIN_ROWS_PER_TASK,
            "exercise the parallel path"
        );
        for _ in 0..5 {
            let probe = random_unit(D, &mut rng);
            let want = index.search(&probe, 10).unwrap();
            assert_eq!(want.len(), 10);
            assert!(want.windows(2).all(|w| w[0].cosine >= w[1].cosine));
            assert_eq!(index.search_parallel(&probe, 10).unwrap(), want);
            assert_eq!(index.top_k(&probe, 10).unwrap(), want);
            let all = index.search(&probe, index.len()).unwrap();
            assert_eq!(index.search_parallel(&probe, index.len()).unwrap(), all);
        }
        // Same index, each kernel: identical hits.
        let probe = random_unit(D, &mut rng);
        let mut index = index;
        let want = index.search(&probe, 25).unwrap();
        for kernel in kernels() {
            index = index.with_kernel(kernel);
            assert_eq!(index.search(&probe, 25).unwrap(), want, "{kernel:?}");
            assert_eq!(
                index.search_parallel(&probe, 25).unwrap(),
                want,
                "{kernel:?}"
            );
        }
    }

    #[test]
    fn ties_are_identical_between_search_and_search_parallel() {
        let mut rng = Rng::new(5);
        let t = random_unit(D, &mut rng);
        let mut index = FlatIndex::new(D);
        for i in 0..12_000 {
            // Many exact duplicates: only the slot order can break the ties.
            let v = if i % 3 == 0 {
                t.clone()
            } else {
                random_unit(D, &mut rng)
            };
            index.insert(i, &v).unwrap();
        }
        let a = index.search(&t, 50).unwrap();
        let b = index.search_parallel(&t, 50).unwrap();
        assert_eq!(a, b);
        assert!(a.iter().all(|h| h.key % 3 == 0));
        assert!((a[0].cosine - 1.0).abs() < MAX_COSINE_ERROR);
    }

    #[test]
    fn insert_replaces_existing_key() {
        let mut rng = Rng::new(9);
        let a = random_unit(D, &mut rng);
        let b = random_unit(D, &mut rng);
        let mut index = FlatIndex::new(D);
        index.insert("x", &a).unwrap();
        index.insert("y", &b).unwrap();
        index.insert("x", &b).unwrap();
        assert_eq!(index.len(), 2);
        let hits = index.search(&a, 2).unwrap();
        // Neither holds `a` any more: both are `b`, cosine to `a` ≈ 0.
        assert!(hits.iter().all(|h| h.cosine.abs() < 0.2));
        let hits = index.search(&b, 2).unwrap();
        assert!(hits.iter().all(|h| h.cosine > 0.999));
    }

    #[test]
    fn remove_takes_effect_immediately() {
        let mut rng = Rng::new(11);
        let gallery: Vec<_> = (0..10_000).map(|_| random_unit(D, &mut rng)).collect();
        let mut index = build(&gallery);
        // Remove the exact match of a probe, then the new best, and so on; also the last row
        // (no move) and a middle row (the last row moves into its slot).
        let probe = gallery[123].clone();
        let mut removed = Vec::new();
        for _ in 0..5 {
            let best = index.search(&probe, 1).unwrap()[0].key;
            assert!(index.remove(&best));
            assert!(!index.remove(&best));
            assert!(!index.contains(&best));
            removed.push(best);
        }
        assert_eq!(removed[0], 123);
        let last = *index.keys().last().unwrap();
        assert!(index.remove(&last));
        removed.push(last);
        assert_eq!(index.len(), 10_000 - 6);
        for hits in [
            index.search(&probe, index.len()).unwrap(),
            index.search_parallel(&probe, index.len()).unwrap(),
        ] {
            assert_eq!(hits.len(), index.len());
            assert!(hits.iter().all(|h| !removed.contains(&h.key)));
        }
        // Every remaining key still finds itself: moved rows kept their data and slots.
        for (i, t) in gallery.iter().enumerate() {
            if !removed.contains(&i) {
                let hit = &index.search(t, 1).unwrap()[0];
                assert_eq!(hit.key, i);
            }
        }
        // Removing everything leaves a working empty index.
        let keys: Vec<usize> = index.keys().copied().collect();
        for k in keys {
            assert!(index.remove(&k));
        }
        assert!(index.is_empty());
        assert!(index.search(&probe, 3).unwrap().is_empty());
        index.insert(1, &probe).unwrap();
        assert_eq!(index.search(&probe, 3).unwrap()[0].key, 1);
    }

    #[test]
    fn invalid_vectors_are_rejected_and_leave_the_index_unchanged() {
        let mut index = FlatIndex::new(4);
        index.insert(0, &[1.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(
            index.insert(1, &[1.0, 0.0, 0.0]),
            Err(SearchError::DimensionMismatch {
                expected: 4,
                actual: 3
            })
        );
        assert_eq!(
            index.insert(1, &[1.0, f32::NAN, 0.0, 0.0]),
            Err(SearchError::NonFinite { index: 1 })
        );
        assert_eq!(
            index.insert(0, &[1.0, 0.0, 0.0, f32::INFINITY]),
            Err(SearchError::NonFinite { index: 3 })
        );
        assert_eq!(index.insert(1, &[0.0; 4]), Err(SearchError::ZeroVector));
        assert_eq!(index.len(), 1);
        assert!(!index.contains(&1));
        // The failed replace of key 0 left its template intact.
        let hit = &index.search(&[1.0, 0.0, 0.0, 0.0], 1).unwrap()[0];
        assert!((hit.cosine - 1.0).abs() < 1e-6);
        // Probes are validated the same way, also by search_parallel and on an empty index.
        assert!(matches!(
            index.search(&[1.0; 5], 1),
            Err(SearchError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            index.search_parallel(&[f32::NAN; 4], 1),
            Err(SearchError::NonFinite { index: 0 })
        ));
        assert_eq!(index.search(&[0.0; 4], 1), Err(SearchError::ZeroVector));
        let empty: FlatIndex<u8> = FlatIndex::new(4);
        assert_eq!(empty.search(&[0.0; 4], 1), Err(SearchError::ZeroVector));
    }

    #[test]
    fn k_larger_than_len_zero_k_and_empty_index() {
        let mut rng = Rng::new(13);
        let mut index = FlatIndex::new(D);
        let probe = random_unit(D, &mut rng);
        assert!(index.is_empty());
        assert!(index.search(&probe, 10).unwrap().is_empty());
        assert!(index.search_parallel(&probe, 10).unwrap().is_empty());
        assert!(TemplateSearch::is_empty(&index));
        for i in 0..3 {
            index.insert(i, &random_unit(D, &mut rng)).unwrap();
        }
        let hits = index.search(&probe, 100).unwrap();
        assert_eq!(hits.len(), 3);
        let mut keys: Vec<_> = hits.iter().map(|h| h.key).collect();
        keys.sort();
        assert_eq!(keys, vec![0, 1, 2]);
        assert_eq!(index.search_parallel(&probe, 100).unwrap(), hits);
        assert!(index.search(&probe, 0).unwrap().is_empty());
        assert_eq!(TemplateSearch::len(&index), 3);
    }

    #[test]
    fn unnormalised_inputs_score_as_cosines_and_sizes_are_reported() {
        let mut index = FlatIndex::with_capacity(3, 10);
        index.insert('a', &[10.0, 0.0, 0.0]).unwrap();
        index.insert('b', &[0.0, 0.001, 0.001]).unwrap();
        let hits = index.search(&[5.0, 5.0, 0.0], 2).unwrap();
        assert_eq!(hits[0].key, 'a');
        assert!((hits[0].cosine - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.01);
        assert!((hits[1].cosine - 0.5).abs() < 0.01);
        assert_eq!(index.bytes_per_template(), 3 + 4);
        assert!(index.memory_bytes() >= 10 * 7);
        assert_eq!(FlatIndex::<u64>::new(D).bytes_per_template(), 516);
        assert!(format!("{index:?}").contains("len: 2"));
    }

    #[test]
    #[should_panic(expected = "dimension")]
    fn zero_dimension_panics() {
        let _ = FlatIndex::<u8>::new(0);
    }
}
