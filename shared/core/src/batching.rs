//! Cutting one delivery's statements into D1 batches. D1 caps what one batch (one transaction)
//! may hold, so a large delivery is stored in several; statements that must commit together
//! (a message and its attachment, a status and its waiting copy) form a unit never cut apart.

use std::ops::Range;

/// Consecutive ranges covering `0..total`, each at most `max` statements unless one unit alone
/// is longer. `unit_starts` are the indices where units begin, ascending; the first unit begins
/// at 0 whether listed or not.
pub fn plan(unit_starts: &[usize], total: usize, max: usize) -> Vec<Range<usize>> {
    let max = max.max(1);
    let unit_ends = unit_starts
        .iter()
        .copied()
        .filter(|&at| at > 0 && at < total)
        .chain(std::iter::once(total));
    let mut ranges = Vec::new();
    let mut start = 0;
    // The end of the last whole unit in the chunk being filled.
    let mut filled_to = 0;
    for end in unit_ends {
        if end - start > max && filled_to > start {
            ranges.push(start..filled_to);
            start = filled_to;
        }
        filled_to = end;
    }
    if total > start {
        ranges.push(start..total);
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::plan;

    #[test]
    fn everything_in_one_batch_when_it_fits() {
        assert_eq!(plan(&[0, 2, 4], 6, 10), vec![0..6]);
    }

    #[test]
    fn cuts_only_between_units() {
        // Units: 0..2, 2..4, 4..5, 5..8, 8..9.
        let ranges = plan(&[0, 2, 4, 5, 8], 9, 4);
        assert_eq!(ranges, vec![0..4, 4..8, 8..9]);
        for r in &ranges {
            assert!(r.len() <= 4);
        }
    }

    #[test]
    fn a_unit_longer_than_the_cap_goes_alone() {
        assert_eq!(plan(&[0, 1, 7], 8, 3), vec![0..1, 1..7, 7..8]);
    }

    #[test]
    fn ranges_cover_every_statement_once_in_order() {
        let starts: Vec<usize> = (0..250).step_by(2).collect();
        for max in 1..12 {
            let ranges = plan(&starts, 250, max);
            let flat: Vec<usize> = ranges.iter().flat_map(|r| r.clone()).collect();
            assert_eq!(flat, (0..250).collect::<Vec<_>>(), "max {max}");
            for r in &ranges {
                assert!(
                    r.start % 2 == 0,
                    "max {max}: cut inside a unit at {}",
                    r.start
                );
                assert!(r.len() <= max.max(2), "max {max}: {r:?}");
            }
        }
    }

    #[test]
    fn nothing_to_store_is_no_batch() {
        assert!(plan(&[], 0, 10).is_empty());
    }
}
