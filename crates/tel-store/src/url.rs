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
    /// An SQLite URI filename (`file:…`): SQLite would read its query parameters (`mode=memory`,
    /// `mode=ro`, `vfs=…`) and tel would then not be opening the file it reports.
    #[error(
        "unsupported database URL {redacted:?}: tel does not take SQLite URI filenames (file:...); give a path, sqlite://PATH or :memory:"
    )]
    SqliteUri {
        /// The URL as given, any password replaced by `***`.
        redacted: String,
    },
    /// An `sqlite:` URL with a query (`?mode=rwc`) or fragment: tel chooses the open mode itself.
    #[error(
        "unsupported database URL {redacted:?}: an sqlite: URL takes no ?query or #fragment (reading commands open the file read-only, writing commands create it); a file whose name holds ? or # is given as a plain path"
    )]
    SqliteQuery {
        /// The URL as given, any password replaced by `***`.
        redacted: String,
    },
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
    /// A plain path is taken literally (`?`, `#`, `%` included); `sqlite:` URLs with a query or
    /// fragment and SQLite's own `file:` URIs are refused (docs/STORE.md, "Database URL").
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(UrlError::Empty);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Self::Postgres(text.to_owned()));
        }
        if text
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
        {
            return Err(UrlError::SqliteUri {
                redacted: redact_url(text),
            });
        }
        let sqlite_url = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"));
        let path = if let Some(rest) = sqlite_url {
            if rest.contains(['?', '#']) {
                return Err(UrlError::SqliteQuery {
                    redacted: redact_url(text),
                });
            }
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

    /// The database this URL names however it is spelled, for naming its spool. PostgreSQL: libpq's
    /// reading of the URL reduced to user, hosts and ports, database name and the `hostaddr`,
    /// `options` and `service` parameters; `postgres`/`postgresql`, parameter order, percent-encoding
    /// and the password do not count, missing parts take libpq's defaults (`PGUSER`, else `USER` or
    /// `LOGNAME`; `PGHOST`; `PGPORT`, else 5432; `PGDATABASE`, else the user) and `127.0.0.1`, `::1`
    /// and `localhost` are one host. SQLite: the URL as displayed.
    pub fn identity(&self, env: EnvLookup<'_>) -> String {
        match self {
            Self::Postgres(text) => postgres_identity(text, env),
            _ => self.to_string(),
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
            // A name holding `?` or `#` is shown as the plain path, the form that parses back to it.
            Self::SqliteFile(path) if path.to_string_lossy().contains(['?', '#']) => {
                write!(f, "{}", path.display())
            }
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

/// See [`DatabaseUrl::identity`]; parsed as libpq parses a URI (the user part ends at the first `@`
/// before any `/`; query parameters override the parts before them).
fn postgres_identity(text: &str, env: EnvLookup<'_>) -> String {
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    let (userinfo, rest) = match rest.find(['@', '/']) {
        Some(at) if rest[at..].starts_with('@') => (Some(&rest[..at]), &rest[at + 1..]),
        _ => (None, rest),
    };
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (hostspec, dbname) = location.split_once('/').unwrap_or((location, ""));
    let mut user = userinfo.map(|u| percent_decode(u.split_once(':').map_or(u, |(name, _)| name)));
    let mut dbname = Some(percent_decode(dbname));
    let (mut hosts, mut ports) = (Vec::new(), Vec::new());
    for spec in hostspec.split(',').filter(|_| !hostspec.is_empty()) {
        let (host, port) = match spec.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map_or((v6, ""), |(host, tail)| {
                (host, tail.strip_prefix(':').unwrap_or(""))
            }),
            None => spec.split_once(':').unwrap_or((spec, "")),
        };
        hosts.push(percent_decode(host));
        ports.push(percent_decode(port));
    }
    let mut extra = Vec::new();
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let (key, value) = (percent_decode(key), percent_decode(value));
        match key.as_str() {
            "user" => user = Some(value),
            "dbname" => dbname = Some(value),
            "host" => hosts = value.split(',').map(str::to_owned).collect(),
            "port" => ports = value.split(',').map(str::to_owned).collect(),
            "hostaddr" | "options" | "service" => extra.push([key.as_str(), "=", &value].concat()),
            // The password, TLS, timeouts, application_name: how to connect, not to what.
            _ => {}
        }
    }
    extra.sort();
    let non_empty = |value: Option<String>| value.filter(|v| !v.is_empty());
    let user = non_empty(user)
        .or_else(|| non_empty(env("PGUSER")))
        .or_else(|| non_empty(env("USER")))
        .or_else(|| non_empty(env("LOGNAME")))
        .unwrap_or_default();
    let dbname = non_empty(dbname)
        .or_else(|| non_empty(env("PGDATABASE")))
        .unwrap_or_else(|| user.clone());
    if hosts.is_empty() {
        hosts = non_empty(env("PGHOST")).map_or_else(
            || vec![String::new()],
            |h| h.split(',').map(str::to_owned).collect(),
        );
    }
    let default_port = non_empty(env("PGPORT")).unwrap_or_else(|| "5432".to_owned());
    let servers: Vec<String> = hosts
        .iter()
        .enumerate()
        .map(|(i, host)| {
            // libpq: one port for every host, or one per host.
            let port = if ports.len() == 1 {
                ports.first()
            } else {
                ports.get(i)
            };
            let port = non_empty(port.cloned()).unwrap_or_else(|| default_port.clone());
            [canonical_host(host).as_str(), ":", &port].concat()
        })
        .collect();
    let mut identity = [
        "postgresql://",
        &user,
        "@",
        &servers.join(","),
        "/",
        &dbname,
    ]
    .concat();
    if !extra.is_empty() {
        identity.push('?');
        identity.push_str(&extra.join("&"));
    }
    identity
}

/// A host name as one server is known: lower case, without IPv6 brackets, loopback as `localhost`.
fn canonical_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.trim_start_matches('[').trim_end_matches(']') {
        "localhost" | "127.0.0.1" | "::1" => "localhost".to_owned(),
        other => other.to_owned(),
    }
}

/// Decodes `%HH` escapes (as libpq does in URIs); anything else, a malformed escape included, is kept.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        match (bytes[i], escape) {
            (b'%', Some(hex)) => {
                out.push(hex.iter().fold(0, |n, d| n * 16 + hex_value(*d)));
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of an ASCII hex digit.
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
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
    fn sqlite_uri_filenames_and_sqlite_urls_with_a_query_are_refused_naming_the_url() {
        for text in ["file:x.db?mode=memory", "file:///tmp/x.db", "FILE:x.db"] {
            let err = DatabaseUrl::parse(text).unwrap_err();
            assert!(matches!(err, UrlError::SqliteUri { .. }), "{text}: {err:?}");
            assert!(err.to_string().contains(text), "{err}");
        }
        for text in [
            "sqlite://w.db?mode=rwc",
            "sqlite:w.db#frag",
            "sqlite:///a/w.db?cache=shared",
        ] {
            let err = DatabaseUrl::parse(text).unwrap_err();
            assert!(
                matches!(err, UrlError::SqliteQuery { .. }),
                "{text}: {err:?}"
            );
            assert!(err.to_string().contains(text), "{err}");
        }
    }

    #[test]
    fn plain_paths_are_literal_and_display_in_a_form_that_parses_back() {
        for text in ["w.db?mode=rwc", "dir/a#b.db", "x%41.db", "sqlite://x%41.db"] {
            let url = DatabaseUrl::parse(text).unwrap();
            assert!(matches!(url, DatabaseUrl::SqliteFile(_)), "{text}");
            assert_eq!(DatabaseUrl::parse(&url.to_string()), Ok(url), "{text}");
        }
        assert_eq!(
            DatabaseUrl::parse("w.db?mode=rwc").unwrap().sqlite_path(),
            Some(Path::new("w.db?mode=rwc"))
        );
    }

    #[test]
    fn postgres_identity_is_libpq_s_reading_of_the_url() {
        let env = |name: &str| (name == "USER").then(|| "me".to_owned());
        let identity = |text: &str| DatabaseUrl::parse(text).unwrap().identity(&env);
        assert_eq!(
            identity("postgres://u:pw@127.0.0.1:55432/tel2?sslmode=require"),
            "postgresql://u@localhost:55432/tel2"
        );
        assert_eq!(identity("postgres:///"), "postgresql://me@:5432/me");
        assert_eq!(
            identity("postgresql://[2001:DB8::1],b.example:6543/d?service=s&options=o"),
            "postgresql://me@2001:db8::1:5432,b.example:6543/d?options=o&service=s"
        );
        assert_eq!(
            identity("postgres://u@h1,h2/d?port=1,2"),
            "postgresql://u@h1:1,h2:2/d"
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
        for text in [
            "sqlite://u:s3cret@h/x.db?mode=rwc",
            "file://u:s3cret@h/x.db",
        ] {
            let err = DatabaseUrl::parse(text).unwrap_err().to_string();
            assert!(!err.contains("s3cret") && err.contains("***"), "{err}");
        }
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
