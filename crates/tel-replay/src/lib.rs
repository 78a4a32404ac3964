//! tel-replay: replay the estimator over stored telemetry, analyse, import and export it.

pub mod generate;
