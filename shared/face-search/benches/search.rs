//! 1:N search benchmark: int8 [`FlatIndex`] against a naive and a vectorised f32 scan over
//! N = 10k / 100k / 1M random 512-d unit templates, plus an int8-vs-exact accuracy table.
//!
//! `cargo bench -p face-search` (release profile); `SEARCH_BENCH_MAX=100000` limits the
//! sizes for a quick run, `SEARCH_BENCH_PROBES` sets the probes per measurement (default 21).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use face_search::synth::{Rng, exact_cosine, random_unit, skewed_unit, with_cosine};
use face_search::{FlatIndex, Kernel, MAX_COSINE_ERROR};
use rayon::prelude::*;

const D: usize = 512;
const K: usize = 10;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Resident set size of this process in bytes (Linux), else 0.
fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn median_ms(mut f: impl FnMut(usize), probes: usize) -> f64 {
    f(0); // warm-up (page-in, caches)
    let mut t: Vec<f64> = (0..probes)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// Top-k over f32 scores with a min-heap (the baseline's selection).
fn top_k_f32(scores: impl Iterator<Item = f32>, k: usize) -> Vec<(usize, f32)> {
    #[derive(PartialEq)]
    struct S(f32, usize);
    impl Eq for S {}
    impl PartialOrd for S {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for S {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
        }
    }
    let mut heap = BinaryHeap::with_capacity(k + 1);
    for (i, s) in scores.enumerate() {
        if heap.len() < k {
            heap.push(Reverse(S(s, i)));
        } else if let Some(mut w) = heap.peek_mut()
            && S(s, i) > w.0
        {
            *w = Reverse(S(s, i));
        }
    }
    heap.into_sorted_vec()
        .into_iter()
        .map(|Reverse(S(s, i))| (i, s))
        .collect()
}

/// Naive f32 scan: one sequential f32 sum per row (what a plain loop compiles to: LLVM may
/// not reorder float additions, so it is not vectorised).
fn scan_f32_naive(data: &[f32], probe: &[f32], k: usize) -> Vec<(usize, f32)> {
    let rows = data
        .chunks_exact(D)
        .map(|row| row.iter().zip(probe).map(|(a, b)| a * b).sum::<f32>());
    top_k_f32(rows, k)
}

/// f32 scan with 16 independent accumulators, which LLVM vectorises with SSE2: the best a
/// portable f32 flat index gets without `target-cpu`.
fn scan_f32_simd(data: &[f32], probe: &[f32], k: usize) -> Vec<(usize, f32)> {
    let rows = data.chunks_exact(D).map(|row| {
        let mut acc = [0.0f32; 16];
        for (a, b) in row.chunks_exact(16).zip(probe.chunks_exact(16)) {
            for j in 0..16 {
                acc[j] += a[j] * b[j];
            }
        }
        acc.iter().sum::<f32>()
    });
    top_k_f32(rows, k)
}

fn gallery_f32(n: usize, seed: u64) -> Vec<f32> {
    let mut data = vec![0.0f32; n * D];
    data.par_chunks_mut(D).enumerate().for_each(|(i, row)| {
        row.copy_from_slice(&random_unit(D, &mut Rng::new(seed ^ (i as u64) << 1)));
    });
    data
}

fn fmt_bytes(b: usize) -> String {
    if b >= 1 << 30 {
        format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    }
}

fn speed(n: usize, max: usize, probes: usize) {
    println!(
        "\n## Speed: N random 512-d unit templates, top-{K}, median of {probes} probes \
         (ms per probe)\n"
    );
    println!(
        "kernels: best = {}, threads for parallel = {}\n",
        Kernel::best().name(),
        rayon::current_num_threads()
    );
    println!(
        "| N | build | bytes/template | index RSS | int8 1 thread ({}) | int8 SSE2 | int8 scalar (auto-vec) | int8 parallel | f32 naive | f32 16-lane | speed-up vs naive / 16-lane |",
        Kernel::best().name()
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let gen_start = Instant::now();
    let data = gallery_f32(n, 1);
    eprintln!(
        "generated {n} templates in {:.1} s",
        gen_start.elapsed().as_secs_f64()
    );
    let mut rng = Rng::new(99);
    for size in [10_000usize, 100_000, 1_000_000] {
        if size > max {
            continue;
        }
        let gallery = &data[..size * D];
        // Probes: genuine pairs (cosine 0.5–0.8) of random members; the member must win.
        let targets: Vec<usize> = (0..probes + 1)
            .map(|_| (rng.next_u64() % size as u64) as usize)
            .collect();
        let probe_vecs: Vec<Vec<f32>> = targets
            .iter()
            .map(|&t| {
                let c = 0.5 + 0.3 * rng.uniform() as f32;
                with_cosine(&gallery[t * D..(t + 1) * D], c, &mut rng)
            })
            .collect();

        let rss0 = rss_bytes();
        let start = Instant::now();
        let mut index = FlatIndex::<u64>::with_capacity(D, size);
        for (i, row) in gallery.chunks_exact(D).enumerate() {
            index.insert(i as u64, row).unwrap();
        }
        let build_s = start.elapsed().as_secs_f64();
        let rss = rss_bytes().saturating_sub(rss0);

        for (p, &t) in probe_vecs.iter().zip(&targets) {
            assert_eq!(index.search(p, K).unwrap()[0].key, t as u64);
        }
        let best = median_ms(
            |i| {
                std::hint::black_box(index.search(&probe_vecs[i], K).unwrap());
            },
            probes,
        );
        let par = median_ms(
            |i| {
                std::hint::black_box(index.search_parallel(&probe_vecs[i], K).unwrap());
            },
            probes,
        );
        let per_kernel = |kernel: Kernel, index: FlatIndex<u64>| {
            if !kernel.is_supported() {
                return ("n/a".to_string(), index);
            }
            let index = index.with_kernel(kernel);
            let ms = median_ms(
                |i| {
                    std::hint::black_box(index.search(&probe_vecs[i], K).unwrap());
                },
                probes,
            );
            (format!("{ms:.2}"), index)
        };
        let (sse2, index) = per_kernel(Kernel::Sse2, index);
        let (scalar, index) = per_kernel(Kernel::Scalar, index);
        let bpt = index.bytes_per_template();
        drop(index);

        let naive = median_ms(
            |i| {
                let hits = scan_f32_naive(gallery, &probe_vecs[i], K);
                assert_eq!(hits[0].0, targets[i]);
            },
            probes,
        );
        let simd = median_ms(
            |i| {
                let hits = scan_f32_simd(gallery, &probe_vecs[i], K);
                assert_eq!(hits[0].0, targets[i]);
            },
            probes,
        );
        println!(
            "| {size} | {:.0} ms | {bpt} (f32: {}) | {} | **{best:.2}** | {sse2} | {scalar} | {par:.2} | {naive:.2} | {simd:.2} | {:.1}× / {:.1}× |",
            build_s * 1e3,
            D * 4,
            fmt_bytes(rss),
            naive / best,
            simd / best,
        );
    }
}

/// (name, gallery, probes).
type DataSet = (&'static str, Vec<Vec<f32>>, Vec<Vec<f32>>);

fn accuracy(n: usize, probes: usize) {
    println!(
        "\n## Accuracy: |int8 cosine − exact f32 cosine| over all {n} × {probes} pairs per data set \
         (bound MAX_COSINE_ERROR = {MAX_COSINE_ERROR})\n"
    );
    println!(
        "| data set | max error | mean error | top-1 = exact top-1 | probes with exact margin > 2 × bound (all must agree) |"
    );
    println!("|---|---|---|---|---|");
    let mut rng = Rng::new(2024);
    let genuine = |gallery: &[Vec<f32>], lo: f32, hi: f32, rng: &mut Rng| -> Vec<Vec<f32>> {
        (0..probes)
            .map(|_| {
                let t = (rng.next_u64() % gallery.len() as u64) as usize;
                let c = lo + (hi - lo) * rng.uniform() as f32;
                with_cosine(&gallery[t], c, rng)
            })
            .collect()
    };
    let mut sets: Vec<DataSet> = Vec::new();
    let g: Vec<_> = (0..n).map(|_| random_unit(D, &mut rng)).collect();
    let p = genuine(&g, 0.3, 0.9, &mut rng);
    sets.push(("random gallery, genuine probes (cos 0.3–0.9)", g, p));
    let g: Vec<_> = (0..n).map(|_| random_unit(D, &mut rng)).collect();
    let p = (0..probes).map(|_| random_unit(D, &mut rng)).collect();
    sets.push(("random gallery, random probes", g, p));
    let centres: Vec<_> = (0..100).map(|_| random_unit(D, &mut rng)).collect();
    let g: Vec<_> = (0..n)
        .map(|i| {
            let c = 0.5 + 0.45 * rng.uniform() as f32;
            with_cosine(&centres[i % 100], c, &mut rng)
        })
        .collect();
    let p = genuine(&g, 0.6, 0.9, &mut rng);
    sets.push((
        "clustered (100 centres, cos 0.5–0.95), genuine probes",
        g,
        p,
    ));
    let g: Vec<_> = (0..n).map(|_| skewed_unit(D, &mut rng)).collect();
    let p = genuine(&g, 0.3, 0.9, &mut rng);
    sets.push(("anisotropic (σᵢ = e^(−4i/d)), genuine probes", g, p));

    for (name, gallery, probe_vecs) in sets {
        let mut index = FlatIndex::with_capacity(D, gallery.len());
        for (i, t) in gallery.iter().enumerate() {
            index.insert(i, t).unwrap();
        }
        let per_probe: Vec<(f32, f64, bool, bool)> = probe_vecs
            .par_iter()
            .map(|probe| {
                let hits = index.search(probe, index.len()).unwrap();
                let mut exact: Vec<f32> = vec![0.0; gallery.len()];
                let (mut max, mut sum) = (0.0f32, 0.0f64);
                for h in &hits {
                    let e = exact_cosine(&gallery[h.key], probe);
                    exact[h.key] = e;
                    let err = (h.cosine - e).abs();
                    max = max.max(err);
                    sum += f64::from(err);
                }
                let mut order: Vec<usize> = (0..gallery.len()).collect();
                order.sort_by(|&a, &b| exact[b].total_cmp(&exact[a]));
                let same = hits[0].key == order[0];
                let decided = exact[order[0]] - exact[order[1]] > 2.0 * MAX_COSINE_ERROR;
                assert!(!decided || same, "{name}: decided top-1 differs");
                (max, sum / hits.len() as f64, same, decided)
            })
            .collect();
        let max = per_probe.iter().map(|r| r.0).fold(0.0, f32::max);
        let mean = per_probe.iter().map(|r| r.1).sum::<f64>() / per_probe.len() as f64;
        let same = per_probe.iter().filter(|r| r.2).count();
        let decided = per_probe.iter().filter(|r| r.3).count();
        println!("| {name} | {max:.4} | {mean:.5} | {same}/{probes} | {decided}/{probes} |");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing useful.
    let max = env_usize("SEARCH_BENCH_MAX", 1_000_000);
    let probes = env_usize("SEARCH_BENCH_PROBES", 21).max(1);
    let n = [10_000usize, 100_000, 1_000_000]
        .into_iter()
        .filter(|&s| s <= max)
        .max()
        .unwrap_or(10_000);
    speed(n, n.max(10_000), probes);
    accuracy(n.min(100_000), 100);
}
