//! Integration tests of tel-replay: export, import, the legacy replay goldens, calibration and simulation.

#[path = "replay/support.rs"]
mod support;

#[path = "replay/spec_predictions.rs"]
mod spec_predictions;

#[path = "replay/export.rs"]
mod export;

#[path = "replay/import.rs"]
mod import;

#[path = "replay/db_import.rs"]
mod db_import;

#[path = "replay/legacy.rs"]
mod legacy;

#[path = "replay/default_replay.rs"]
mod default_replay;

#[path = "replay/calibrate.rs"]
mod calibrate;

#[path = "replay/html_browser.rs"]
mod html_browser;
#[path = "replay/simulate.rs"]
mod simulate;

#[path = "replay/generate.rs"]
mod generate;

#[path = "replay/calibrate_recovery.rs"]
mod calibrate_recovery;
#[path = "replay/fuzz_import.rs"]
mod fuzz_import;
#[path = "replay/fuzz_inputs.rs"]
mod fuzz_inputs;
#[path = "replay/growing_files.rs"]
mod growing_files;
#[path = "replay/hostile.rs"]
mod hostile;
#[path = "replay/hostile_regressions.rs"]
mod hostile_regressions;

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz;

#[path = "../../../tests/support/chromium.rs"]
mod chromium;
#[path = "../../../tests/support/real_data.rs"]
mod real_data;

#[path = "replay/db.rs"]
mod db;
#[path = "replay/otlp.rs"]
mod otlp;
#[path = "../../../tests/support/skip.rs"]
mod skip;
#[path = "replay/tune.rs"]
mod tune;
