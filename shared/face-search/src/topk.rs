//! Bounded top-k selection with a min-heap, under one total order shared by the single-thread
//! and the parallel scan (so both return identical results, ties included).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A scored row. Greater = better: higher score, then lower slot (deterministic ties).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cand {
    /// Unscaled score (`dot · row scale`; the probe scale is applied at the end).
    pub score: f32,
    /// Row index in the index.
    pub slot: usize,
}

impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.slot.cmp(&self.slot))
    }
}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Cand {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Cand {}

/// Keeps the `k` best candidates offered so far.
pub(crate) struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Cand>>,
}

impl TopK {
    /// An empty selection of at most `k` (≥ 1) candidates.
    pub(crate) fn new(k: usize) -> TopK {
        debug_assert!(k >= 1);
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// Offers a candidate; O(1) when it does not beat the current k-th best.
    #[inline(always)]
    pub(crate) fn offer(&mut self, cand: Cand) {
        if self.heap.len() < self.k {
            self.heap.push(Reverse(cand));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && cand > worst.0
        {
            *worst = Reverse(cand);
        }
    }

    /// The kept candidates, best first.
    pub(crate) fn into_sorted(self) -> Vec<Cand> {
        // Ascending order of Reverse<Cand> is descending order of Cand: best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.0)
            .collect()
    }
}

/// Merges two best-first lists into the best `k`, best first.
pub(crate) fn merge(mut a: Vec<Cand>, b: Vec<Cand>, k: usize) -> Vec<Cand> {
    a.extend(b);
    a.sort_unstable_by(|x, y| y.cmp(x));
    a.truncate(k);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_best_k_with_low_slot_tie_break() {
        let scores = [0.1f32, 0.5, 0.3, 0.5, 0.9, -0.2, 0.3];
        let mut t = TopK::new(4);
        for (slot, &score) in scores.iter().enumerate() {
            t.offer(Cand { score, slot });
        }
        let got: Vec<usize> = t.into_sorted().iter().map(|c| c.slot).collect();
        assert_eq!(got, vec![4, 1, 3, 2]);
    }

    #[test]
    fn merge_equals_single_pass() {
        let scores: Vec<f32> = (0..100).map(|i| ((i * 7919) % 37) as f32 / 37.0).collect();
        let mut all = TopK::new(10);
        let mut a = TopK::new(10);
        let mut b = TopK::new(10);
        for (slot, &score) in scores.iter().enumerate() {
            all.offer(Cand { score, slot });
            if slot < 55 { &mut a } else { &mut b }.offer(Cand { score, slot });
        }
        let want: Vec<usize> = all.into_sorted().iter().map(|c| c.slot).collect();
        let got: Vec<usize> = merge(b.into_sorted(), a.into_sorted(), 10)
            .iter()
            .map(|c| c.slot)
            .collect();
        assert_eq!(got, want);
    }
}
