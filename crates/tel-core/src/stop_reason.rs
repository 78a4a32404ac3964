//! Provider stop reasons normalised into truncated / completed / other / unknown (METRICS.md B2).

use serde::{Deserialize, Serialize};

/// Provider spellings of "the output hit its token ceiling" (lower-cased; docs/REPORT.md cites each source).
const TRUNCATED: [&str; 5] = [
    // Anthropic Messages, Bedrock Converse `stopReason`; Gemini, Vertex AI and Cohere spell it `MAX_TOKENS`.
    "max_tokens",
    // OpenAI Chat Completions, Mistral, OpenTelemetry GenAI `finish_reason`.
    "length",
    // Anthropic and Bedrock Converse: the context window ran out while generating.
    "model_context_window_exceeded",
    // OpenAI Responses `incomplete_details.reason`.
    "max_output_tokens",
    // Mistral: the model's own context length was reached.
    "model_length",
];

/// Provider spellings of "the model finished on its own" (lower-cased).
const COMPLETED: [&str; 9] = [
    // Anthropic, Bedrock Converse.
    "end_turn",
    "stop_sequence",
    "tool_use",
    // OpenAI, Mistral; Gemini and Vertex AI spell it `STOP`.
    "stop",
    "tool_calls",
    // Cohere (`COMPLETE`, `STOP_SEQUENCE` above, `TOOL_CALL`).
    "complete",
    "tool_call",
    // OpenAI Responses `status`.
    "completed",
    // OpenAI's deprecated function calling.
    "function_call",
];

/// The normalised meaning of a provider's stop reason. The raw text is always kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReasonKind {
    /// The output hit its token ceiling (`max_tokens`, `length`, `MAX_TOKENS`, `max_output_tokens`, …).
    Truncated,
    /// The model finished on its own (`end_turn`, `stop`, `STOP`, `COMPLETE`, `tool_calls`, …).
    Completed,
    /// A non-empty reason that is neither (`content_filter`, `SAFETY`, `refusal`, and the OpenAI
    /// Responses status `incomplete`, which is also what a content filter gives).
    Other,
    /// No reason was recorded (NULL or empty), e.g. the original's fallback rows.
    Unknown,
}

impl StopReasonKind {
    /// Classifies a raw provider stop reason. Spellings are compared ignoring ASCII case: no
    /// provider uses case to tell two reasons apart (`MAX_TOKENS` and `max_tokens` mean the same).
    pub fn classify(raw: Option<&str>) -> Self {
        let Some(raw) = raw.filter(|r| !r.is_empty()) else {
            return Self::Unknown;
        };
        let is = |set: &[&str]| set.iter().any(|s| s.eq_ignore_ascii_case(raw));
        if is(&TRUNCATED) {
            Self::Truncated
        } else if is(&COMPLETED) {
            Self::Completed
        } else {
            Self::Other
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

    /// Each provider's documented spelling, as the provider writes it.
    const PROVIDER_TRUNCATION_SPELLINGS: [&str; 8] = [
        "max_tokens",                    // Anthropic, Bedrock Converse
        "length",                        // OpenAI Chat Completions, Mistral
        "MAX_TOKENS",                    // Gemini, Vertex AI, Cohere
        "model_context_window_exceeded", // Anthropic, Bedrock Converse
        "max_output_tokens",             // OpenAI Responses
        "model_length",                  // Mistral
        "Length",
        "Max_Tokens",
    ];

    #[test]
    fn providers_truncation_spellings_are_truncated() {
        for raw in PROVIDER_TRUNCATION_SPELLINGS {
            assert_eq!(
                StopReasonKind::classify(Some(raw)),
                StopReasonKind::Truncated,
                "{raw}"
            );
        }
    }

    #[test]
    fn providers_completion_spellings_are_completed() {
        for raw in [
            "end_turn",
            "stop",
            "STOP",
            "stop_sequence",
            "STOP_SEQUENCE",
            "tool_use",
            "tool_calls",
            "COMPLETE",
            "TOOL_CALL",
            "completed",
        ] {
            assert_eq!(
                StopReasonKind::classify(Some(raw)),
                StopReasonKind::Completed,
                "{raw}"
            );
        }
    }

    #[test]
    fn ambiguous_or_missing_reasons_are_other_or_unknown() {
        for raw in ["content_filter", "SAFETY", "refusal", "incomplete", "max"] {
            assert_eq!(
                StopReasonKind::classify(Some(raw)),
                StopReasonKind::Other,
                "{raw}"
            );
        }
        assert_eq!(StopReasonKind::classify(Some("")), StopReasonKind::Unknown);
        assert_eq!(StopReasonKind::classify(None), StopReasonKind::Unknown);
    }
}
