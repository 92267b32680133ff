//! The delivery-status state machine.
//!
//! Providers deliver status webhooks at least once and in no particular order, so a status may
//! only replace one of lower rank: `queued < sent < delivered < read < played`, and `failed` is
//! final. Taking the maximum rank makes the outcome independent of arrival order.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Played,
    Failed,
    /// The provider may or may not have taken our send (it did not answer in time, or the
    /// attempt died midway). Never sent again blindly: an agent decides.
    Unknown,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 7] = [
        Self::Queued,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Played,
        Self::Failed,
        Self::Unknown,
    ];

    /// The rank stored beside the status in D1, so that SQL can guard `WHERE status_rank < ?`.
    pub fn rank(self) -> i64 {
        match self {
            // Unknown is an absence of knowledge: any later word on the message, an acceptance
            // recorded late or a provider's status, replaces it.
            Self::Queued | Self::Unknown => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Played => 4,
            // Failed outranks everything: a late "delivered" must not resurrect a failed message.
            Self::Failed => 5,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// The status after `incoming` arrives, or `None` when it would move the message backwards.
    pub fn advance(current: Self, incoming: Self) -> Option<Self> {
        (incoming.rank() > current.rank()).then_some(incoming)
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::{self, *};

    fn apply_all(order: &[DeliveryStatus]) -> DeliveryStatus {
        order.iter().fold(Queued, |current, &incoming| {
            DeliveryStatus::advance(current, incoming).unwrap_or(current)
        })
    }

    fn permutations(items: &[DeliveryStatus]) -> Vec<Vec<DeliveryStatus>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let head = rest.remove(i);
            for mut tail in permutations(&rest) {
                tail.insert(0, head);
                out.push(tail);
            }
        }
        out
    }

    #[test]
    fn every_arrival_order_of_sent_delivered_read_ends_read() {
        for order in permutations(&[Sent, Delivered, Read]) {
            assert_eq!(apply_all(&order), Read, "order {order:?}");
        }
    }

    #[test]
    fn failed_is_final_whatever_arrives_after_it() {
        for order in permutations(&[Sent, Delivered, Failed, Read]) {
            assert_eq!(apply_all(&order), Failed, "order {order:?}");
        }
    }

    #[test]
    fn a_status_never_moves_backwards() {
        assert_eq!(DeliveryStatus::advance(Read, Delivered), None);
        assert_eq!(DeliveryStatus::advance(Read, Read), None);
        assert_eq!(DeliveryStatus::advance(Delivered, Read), Some(Read));
        assert_eq!(DeliveryStatus::advance(Read, Played), Some(Played));
    }

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DeliveryStatus::parse("deleted"), None);
        assert_eq!(DeliveryStatus::parse("READ"), None);
    }
}
