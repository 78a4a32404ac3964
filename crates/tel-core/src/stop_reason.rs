//! Provider stop reasons normalised into truncated / completed / other / unknown (METRICS.md B2).

use serde::{Deserialize, Serialize};

/// The normalised meaning of a provider's stop reason. The raw text is always kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReasonKind {
    /// The output hit its token ceiling (`max_tokens`, `length`, `MAX_TOKENS`, `model_context_window_exceeded`).
    Truncated,
    /// The model finished on its own (`end_turn`, `stop`, `STOP`, `stop_sequence`, `tool_use`, `tool_calls`).
    Completed,
    /// A non-empty reason that is neither.
    Other,
    /// No reason was recorded (NULL or empty), e.g. the original's fallback rows.
    Unknown,
}

impl StopReasonKind {
    /// Classifies a raw provider stop reason (exact, case-sensitive provider spellings).
    pub fn classify(raw: Option<&str>) -> Self {
        match raw {
            None | Some("") => Self::Unknown,
            Some("max_tokens" | "length" | "MAX_TOKENS" | "model_context_window_exceeded") => {
                Self::Truncated
            }
            Some("end_turn" | "stop" | "STOP" | "stop_sequence" | "tool_use" | "tool_calls") => {
                Self::Completed
            }
            Some(_) => Self::Other,
        }
    }

    /// The stored text of this value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::Completed => "completed",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_truncation_spellings_are_truncated() {
        for raw in [
            "max_tokens",
            "length",
            "MAX_TOKENS",
            "model_context_window_exceeded",
        ] {
            assert_eq!(
                StopReasonKind::classify(Some(raw)),
                StopReasonKind::Truncated,
                "{raw}"
            );
        }
        for raw in ["end_turn", "stop", "STOP", "stop_sequence", "tool_use"] {
            assert_eq!(
                StopReasonKind::classify(Some(raw)),
                StopReasonKind::Completed,
                "{raw}"
            );
        }
        assert_eq!(
            StopReasonKind::classify(Some("content_filter")),
            StopReasonKind::Other
        );
        assert_eq!(StopReasonKind::classify(Some("")), StopReasonKind::Unknown);
        assert_eq!(StopReasonKind::classify(None), StopReasonKind::Unknown);
    }
}
