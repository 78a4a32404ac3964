//! Database URLs: resolution order, the accepted forms, and a Display that never shows a password.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::env::{EnvLookup, GENERIC_DATABASE_URL_VAR, TEL_DATABASE_URL_VAR};

/// The URL used when neither a flag nor an environment variable names one.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://tel.db";

/// Which database a [`DatabaseUrl`] points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite database file (created when missing, in an existing directory).
    SqliteFile(PathBuf),
    /// A private in-memory SQLite database (`:memory:`).
    SqliteMemory,
    /// A PostgreSQL server (`postgres://` or `postgresql://`); the text is kept verbatim for libpq.
    Postgres(String),
}

/// The database backend of a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (file or memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// Where the URL in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// The `--database-url` option.
    Flag,
    /// The `TEL_DATABASE_URL` variable.
    TelEnv,
    /// The `DATABASE_URL` variable.
    GenericEnv,
    /// [`DEFAULT_DATABASE_URL`].
    Default,
}

/// A database URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// An empty URL.
    #[error("empty database URL: expected sqlite://PATH, a file path, :memory: or postgres://...")]
    Empty,
    /// Text before `://` that is not a scheme (it may hold a password, so it is not shown).
    #[error(
        "malformed database URL: the text before :// is not a scheme; expected sqlite://PATH, a file path, :memory: or postgres://..."
    )]
    Malformed,
    /// A scheme tel does not support.
    #[error(
        "unsupported database URL scheme {scheme:?} in {redacted}: expected sqlite://, postgres:// or postgresql://"
    )]
    UnsupportedScheme {
        /// The scheme before `://`.
        scheme: String,
        /// The URL with any password replaced by `***`.
        redacted: String,
    },
}

/// RFC 3986 scheme syntax: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl DatabaseUrl {
    /// Parses one of the accepted forms: `sqlite:///abs/path.db`, `sqlite://rel.db`, a plain path,
    /// `:memory:` (also `sqlite::memory:` / `sqlite://:memory:`), `postgres://…`, `postgresql://…`.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(UrlError::Empty);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Self::Postgres(text.to_owned()));
        }
        let path = if let Some(rest) = text.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = text.strip_prefix("sqlite:") {
            rest
        } else if let Some((scheme, _)) = text.split_once("://") {
            if !is_scheme(scheme) {
                return Err(UrlError::Malformed);
            }
            return Err(UrlError::UnsupportedScheme {
                scheme: scheme.to_owned(),
                redacted: redact_url(text),
            });
        } else {
            text
        };
        match path {
            ":memory:" => Ok(Self::SqliteMemory),
            "" => Err(UrlError::Empty),
            _ => Ok(Self::SqliteFile(PathBuf::from(path))),
        }
    }

    /// The backend this URL uses.
    pub fn backend(&self) -> Backend {
        match self {
            Self::SqliteFile(_) | Self::SqliteMemory => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::SqliteFile(path) => Some(path),
            _ => None,
        }
    }
}

/// Shows the URL with any password replaced by `***` (userinfo and `password=` parameters).
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SqliteFile(path) => write!(f, "sqlite://{}", path.display()),
            Self::SqliteMemory => f.write_str(":memory:"),
            Self::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// Replaces the password of `scheme://user:password@host…` and the value of any `password=`
/// query parameter with `***`.
///
/// The userinfo ends at the last `@`: a hostile or mistyped password may hold a raw `/`, `?`, `#` or
/// `@`, and hiding too much of an odd URL is better than showing a password.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (userinfo, after) = match rest.rsplit_once('@') {
        Some((userinfo, after)) => match userinfo.split_once(':') {
            Some((user, _password)) => ([user, ":***@"].concat(), after),
            None => ([&redact_password_params(userinfo), "@"].concat(), after),
        },
        None => (String::new(), rest),
    };
    [scheme, "://", &userinfo, &redact_password_params(after)].concat()
}

/// Replaces the value of every `password=` parameter (up to the next `&`) after the first `?`.
fn redact_password_params(text: &str) -> String {
    let Some((path, query)) = text.split_once('?') else {
        return text.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => [key, "=***"].concat(),
            _ => param.to_owned(),
        })
        .collect();
    [path, "?", &params.join("&")].concat()
}

/// Resolves the database URL: `explicit` (the `--database-url` option), else `TEL_DATABASE_URL`,
/// else `DATABASE_URL`, else [`DEFAULT_DATABASE_URL`]. Empty values count as unset.
pub fn resolve_database_url(
    explicit: Option<&str>,
    env: EnvLookup<'_>,
) -> Result<(DatabaseUrl, UrlSource), UrlError> {
    let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let (text, source) = if let Some(flag) = explicit.filter(|v| !v.trim().is_empty()) {
        (flag.to_owned(), UrlSource::Flag)
    } else if let Some(value) = non_empty(env(TEL_DATABASE_URL_VAR)) {
        (value, UrlSource::TelEnv)
    } else if let Some(value) = non_empty(env(GENERIC_DATABASE_URL_VAR)) {
        (value, UrlSource::GenericEnv)
    } else {
        (DEFAULT_DATABASE_URL.to_owned(), UrlSource::Default)
    };
    Ok((DatabaseUrl::parse(&text)?, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_parse_to_their_backend() {
        for (text, expected) in [
            (
                "sqlite:///abs/path.db",
                DatabaseUrl::SqliteFile("/abs/path.db".into()),
            ),
            ("sqlite://rel.db", DatabaseUrl::SqliteFile("rel.db".into())),
            ("data/tel.db", DatabaseUrl::SqliteFile("data/tel.db".into())),
            (":memory:", DatabaseUrl::SqliteMemory),
            ("sqlite::memory:", DatabaseUrl::SqliteMemory),
            (
                "postgres://u@h/db",
                DatabaseUrl::Postgres("postgres://u@h/db".into()),
            ),
            (
                "postgresql://h/db",
                DatabaseUrl::Postgres("postgresql://h/db".into()),
            ),
        ] {
            assert_eq!(DatabaseUrl::parse(text), Ok(expected), "{text}");
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite:///abs/path.db")
                .unwrap()
                .to_string(),
            "sqlite:///abs/path.db"
        );
    }

    #[test]
    fn passwords_never_appear_in_display_or_errors() {
        let url =
            DatabaseUrl::parse("postgres://tel:s3cret@db:5432/tel?sslmode=require&password=s3cret")
                .unwrap();
        let shown = url.to_string();
        assert_eq!(
            shown,
            "postgres://tel:***@db:5432/tel?sslmode=require&password=***"
        );
        let err = DatabaseUrl::parse("mysql://root:s3cret@db/x")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(err.contains("mysql"), "{err}");
    }

    #[test]
    fn resolution_prefers_flag_then_tel_env_then_generic_env_then_default() {
        let env_both = |name: &str| match name {
            "TEL_DATABASE_URL" => Some("sqlite://tel-env.db".to_owned()),
            "DATABASE_URL" => Some("postgres://generic/db".to_owned()),
            _ => None,
        };
        let env_generic = |name: &str| (name == "DATABASE_URL").then(|| "generic.db".to_owned());
        let env_empty = |name: &str| (name == "TEL_DATABASE_URL").then(String::new);
        let none = |_: &str| None;
        let resolved = |explicit: Option<&str>, env: EnvLookup<'_>| {
            let (url, source) = resolve_database_url(explicit, env).unwrap();
            (url.to_string(), source)
        };
        assert_eq!(
            resolved(Some("flag.db"), &env_both),
            ("sqlite://flag.db".into(), UrlSource::Flag)
        );
        assert_eq!(
            resolved(None, &env_both),
            ("sqlite://tel-env.db".into(), UrlSource::TelEnv)
        );
        assert_eq!(
            resolved(None, &env_generic),
            ("sqlite://generic.db".into(), UrlSource::GenericEnv)
        );
        assert_eq!(
            resolved(None, &env_empty),
            ("sqlite://tel.db".into(), UrlSource::Default)
        );
        assert_eq!(
            resolved(None, &none),
            ("sqlite://tel.db".into(), UrlSource::Default)
        );
    }
}
