//! The only part of tel-replay that talks to the database: pipelines that read or write it through tel-store.

pub mod import;
