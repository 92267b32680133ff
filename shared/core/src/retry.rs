//! How long to wait before retrying a failed delivery.

/// Exponential backoff with jitter, in whole seconds (what Queues' delaySeconds takes).
/// attempt is 1 for the first retry. `unit` ∈ [0,1) is the caller's random draw, so this stays
/// pure and testable.
///
/// "Equal jitter": the ceiling `d = min(cap, base·2^(attempt-1))` grows exponentially, and the
/// wait is drawn from `[d/2, d]`. Half of it is guaranteed, so retries never stampede back at
/// once; the other half spreads them out.
pub fn backoff_seconds(attempt: u32, base_s: u32, cap_s: u32, unit: f64) -> u32 {
    // 2^32 already exceeds any u32 cap, so a larger exponent changes nothing (and would overflow).
    let exponent = attempt.saturating_sub(1).min(32);
    let ceiling = u64::from(base_s)
        .saturating_mul(1u64 << exponent)
        .min(u64::from(cap_s));
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = ceiling as f64 / 2.0;
    let wait = (half + unit * half).round() as u64;
    // `ceiling` fits in a u32 because it is at most `cap_s`.
    u32::try_from(wait.min(ceiling)).unwrap_or(cap_s)
}

/// A uniform draw from [0, 1) for [`backoff_seconds`], from the platform's random source.
pub fn jitter_unit() -> f64 {
    let bits = u64::from_le_bytes(crate::ids::random_bytes::<8>());
    // The top 53 bits fill an f64 mantissa exactly: every value is equally likely and < 1.
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_between_half_and_all_of_a_doubling_ceiling() {
        assert_eq!(backoff_seconds(1, 10, 3600, 0.0), 5);
        assert_eq!(backoff_seconds(1, 10, 3600, 0.999), 10);
        assert_eq!(backoff_seconds(2, 10, 3600, 0.0), 10);
        assert_eq!(backoff_seconds(3, 10, 3600, 0.5), 30);
        assert_eq!(backoff_seconds(4, 10, 3600, 0.999), 80);
    }

    #[test]
    fn never_exceeds_the_cap_even_for_huge_attempts() {
        assert_eq!(backoff_seconds(10, 10, 300, 0.999), 300);
        assert_eq!(backoff_seconds(10, 10, 300, 0.0), 150);
        let most = backoff_seconds(u32::MAX, u32::MAX, u32::MAX, 0.999_999_999_99);
        assert_eq!(most, u32::MAX);
        for attempt in [33, 64, 1000, u32::MAX] {
            assert!(backoff_seconds(attempt, 7, 43_200, 0.5) <= 43_200);
        }
    }

    #[test]
    fn degenerate_inputs_stay_in_range() {
        assert_eq!(backoff_seconds(5, 0, 300, 0.5), 0);
        assert_eq!(backoff_seconds(5, 10, 0, 0.5), 0);
        // Attempt 0 is treated like the first retry rather than underflowing.
        assert_eq!(backoff_seconds(0, 10, 300, 0.0), 5);
        assert_eq!(backoff_seconds(1, 10, 300, f64::NAN), 5);
        assert_eq!(backoff_seconds(1, 10, 300, 7.0), 10);
        assert_eq!(backoff_seconds(1, 10, 300, -1.0), 5);
        // An odd ceiling rounds to whole seconds without leaving [d/2, d].
        assert_eq!(backoff_seconds(1, 1, 300, 0.0), 1);
    }

    #[test]
    fn jitter_units_are_in_the_unit_interval_and_vary() {
        let draws: Vec<f64> = (0..64).map(|_| jitter_unit()).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(draws.iter().any(|u| *u != draws[0]));
    }
}
