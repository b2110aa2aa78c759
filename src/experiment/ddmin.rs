//! Delta debugging: the `ddmin` algorithm of Zeller & Hildebrandt, "Simplifying and
//! Isolating Failure-Inducing Input" (IEEE TSE 28(2), 2002).
//!
//! Given a list on which a test fails, ddmin looks for a smaller sub-list on which it still
//! fails. It splits the list into `n` chunks and tries each chunk alone ("reduce to
//! subset"), then each chunk's complement ("reduce to complement"); when neither fails it
//! doubles `n` to try finer pieces, up to single elements. The result is *1-minimal*:
//! removing any one remaining element makes the test pass. It needs O(n²) tests in the
//! worst case and O(log n) when one element is to blame. Order is kept throughout, and the
//! search is deterministic: the same test answers give the same tests in the same order.

/// Returns a 1-minimal sub-list of `items` on which `fails` still returns true, assuming it
/// returns true on `items` itself. The empty list is tried first.
pub fn ddmin<T: Clone>(items: &[T], fails: &mut dyn FnMut(&[T]) -> bool) -> Vec<T> {
    let mut c = items.to_vec();
    if c.is_empty() || fails(&[]) {
        return Vec::new();
    }
    let mut n = 2;
    while c.len() >= 2 {
        let chunks = split(&c, n);
        if let Some(ch) = chunks.iter().find(|ch| fails(ch)) {
            c = ch.clone();
            n = 2;
            continue;
        }
        // With two chunks each complement is the other chunk, already tried.
        if n > 2 {
            let complement = (0..chunks.len()).map(|i| complement(&chunks, i)).find(|comp| fails(comp));
            if let Some(comp) = complement {
                c = comp;
                n = (n - 1).max(2);
                continue;
            }
        }
        if n >= c.len() {
            break;
        }
        n = (2 * n).min(c.len());
    }
    c
}

/// Splits `c` into `n` contiguous chunks whose sizes differ by at most one.
fn split<T: Clone>(c: &[T], n: usize) -> Vec<Vec<T>> {
    let (base, extra) = (c.len() / n, c.len() % n);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let len = base + usize::from(i < extra);
        out.push(c[start..start + len].to_vec());
        start += len;
    }
    out
}

fn complement<T: Clone>(chunks: &[Vec<T>], skip: usize) -> Vec<T> {
    chunks.iter().enumerate().filter(|(i, _)| *i != skip).flat_map(|(_, c)| c.iter().cloned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(len: usize, culprits: &[usize]) -> (Vec<usize>, usize) {
        let items: Vec<usize> = (0..len).collect();
        let mut tests = 0;
        let out = ddmin(&items, &mut |s: &[usize]| {
            tests += 1;
            culprits.iter().all(|c| s.contains(c))
        });
        (out, tests)
    }

    #[test]
    fn finds_a_single_culprit_in_logarithmic_tests() {
        let (out, tests) = run(64, &[37]);
        assert_eq!(out, vec![37]);
        assert!(tests <= 16, "{tests} tests");
    }

    #[test]
    fn finds_interacting_culprits() {
        assert_eq!(run(8, &[1, 6]).0, vec![1, 6]);
        assert_eq!(run(10, &[0, 4, 9]).0, vec![0, 4, 9]);
    }

    #[test]
    fn nothing_needed_gives_the_empty_list() {
        assert_eq!(run(5, &[]), (vec![], 1));
    }

    #[test]
    fn the_result_is_one_minimal_for_a_non_monotone_test() {
        // Fails when the sum of the chosen items is 1 modulo 5 (the whole list sums to 21).
        let fails = |s: &[u32]| s.iter().sum::<u32>() % 5 == 1;
        let items: Vec<u32> = vec![1, 2, 3, 4, 5, 6];
        let out = ddmin(&items, &mut |s: &[u32]| fails(s));
        assert!(fails(&out) && out.len() < items.len(), "{out:?}");
        for i in 0..out.len() {
            let mut less = out.clone();
            less.remove(i);
            assert!(!fails(&less), "{out:?} is not 1-minimal");
        }
    }

    #[test]
    fn chunks_cover_the_list_in_order() {
        assert_eq!(split(&[1, 2, 3, 4, 5], 3), vec![vec![1, 2], vec![3, 4], vec![5]]);
    }
}
