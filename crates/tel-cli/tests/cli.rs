//! Integration tests of the `tel` binary (one binary; submodules under `tests/cli/`).

mod cli {
    mod help;
    mod report;
}
