//! `tel export`: stream stored events as the original NDJSON export (byte-exact), its extended form, or CSV.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use tel_replay::db::EventOrder;
use tel_replay::db::export::export;
use tel_replay::export::{ExportFormat, export_header};

use crate::cli::{DbArgs, GlobalArgs};
use crate::cmd::db::require_migrated;
use crate::cmd::filters::EventFilterArgs;
use crate::cmd::progress::EventsBar;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel export > telemetry.ndjson                # the original export format, newest first
  tel export --extended --output all.ndjson    # every stored field; re-imports losslessly
  tel export --format csv --category docs --since 2025-12-01T00:00:00";

/// Output format of `tel export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// One JSON object per line (FORMATS.md F5).
    Ndjson,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// Arguments of `tel export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Ndjson)]
    format: FormatArg,
    /// Append every stored field after the original keys.
    #[arg(long)]
    extended: bool,
    /// Write to this file (atomically, mode 0600; a symbolic link is followed) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    filters: EventFilterArgs,
}

/// Runs `tel export`.
pub fn run(args: &ExportArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    // A symbolic link is followed: the file it points to is replaced and the link stays, as with `>`.
    let output = match &args.output {
        Some(path) => Some(
            link_target(path)
                .with_context(|| format!("cannot follow the symbolic link {}", path.display()))?,
        ),
        None => None,
    };
    let (url, mut conn) = args.db.open_read_only()?;
    require_migrated(&mut conn, &url)?;
    let query = args.filters.query(EventOrder::Descending);
    let format = match args.format {
        FormatArg::Ndjson => ExportFormat::Ndjson,
        FormatArg::Csv => ExportFormat::Csv,
    };
    let header = |total| eprint!("{}", export_header(total));
    let mut progress = EventsBar::new("export", global.quiet);
    let mut run = |out: &mut dyn Write| {
        export(
            &mut conn,
            &query,
            format,
            args.extended,
            out,
            header,
            &mut progress,
        )
        .with_context(|| {
            format!("cannot export from {url} (a new or legacy database must be migrated first: tel migrate)")
        })
    };
    match &output {
        Some(path) => write_atomically(path, |out| run(out).map(drop))?,
        None => run(&mut BufWriter::new(std::io::stdout().lock())).map(drop)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `path` through a 0600 temporary file in the same directory, renamed over `path` only when
/// `write` succeeded: readers never see a partial export, and a failure leaves the old file alone.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&fs::File>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut out = BufWriter::new(temp.as_file());
        write(&mut out)?;
        out.flush()
            .with_context(|| format!("cannot write {}", temp.path().display()))?;
    }
    temp.as_file()
        .sync_all()
        .with_context(|| format!("cannot sync {}", temp.path().display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot rename the export to {}", path.display()))?;
    Ok(())
}

/// The file `path` names once every symbolic link is followed (the target need not exist yet);
/// relative link targets are relative to the link's directory.
fn link_target(path: &Path) -> std::io::Result<PathBuf> {
    // Linux's limit on links followed in one lookup (ELOOP past it).
    const MAX_LINKS: usize = 40;
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) => dir.join(next),
                    None => next,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} links (a loop?)"
    )))
}
