//! The operator report over stored telemetry: computation, SVG charts and the self-contained HTML page.

pub mod svg;
