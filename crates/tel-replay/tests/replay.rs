//! Integration tests of tel-replay (one binary; submodules under `tests/replay/`).

mod replay {
    mod html_browser;
}
