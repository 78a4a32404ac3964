//! `tel profiles`: list the builtin estimator profiles with their content hashes, or print one as a coefficients file.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;
use tel_core::estimator::Profile;
use tel_store::coefficients::render_coefficients;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel profiles
  tel profiles --json
  tel profiles --show v2-head > my-coefficients.toml";

/// Arguments of `tel profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Print the list as a JSON array of {id, content_hash, description}.
    #[arg(long, conflicts_with = "show")]
    pub json: bool,
    /// Print this profile as a complete coefficients file (TOML) instead of the list.
    #[arg(long, value_name = "ID",
          value_parser = clap::builder::PossibleValuesParser::new(Profile::builtin_names()))]
    pub show: Option<String>,
}

/// Runs `tel profiles`.
pub fn run(args: &ProfilesArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if let Some(name) = &args.show {
        let profile = Profile::builtin(name).with_context(|| format!("unknown profile {name}"))?;
        write!(out, "{}", render_coefficients(&profile, None))?;
        return Ok(ExitCode::SUCCESS);
    }
    let profiles: Vec<Profile> = Profile::builtin_names()
        .iter()
        .filter_map(|n| Profile::builtin(n))
        .collect();
    if args.json {
        let list: Vec<_> = profiles
            .iter()
            .map(|p| json!({"id": p.id(), "content_hash": p.content_hash(), "description": p.description}))
            .collect();
        writeln!(out, "{}", serde_json::Value::from(list))?;
    } else {
        let width = profiles.iter().map(|p| p.id().len()).max().unwrap_or(0);
        for p in &profiles {
            writeln!(
                out,
                "{:<width$}  {}  {}",
                p.id(),
                p.content_hash(),
                p.description
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
