//! Fuzz tests of database URL parsing: never a panic, and never a password in a rendered URL or an error.

use proptest::prelude::*;
use tel_store::{DatabaseUrl, redact_url};

use crate::fuzz::fuzz_config;

/// Passwords as users type them, raw URL delimiters included; `Pw9` marks them so no other part matches.
fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!$&'()*+,;=%/?#@:~ ]{3,12}".prop_map(|p| format!("Pw9{p}"))
}

/// A query-parameter password: as libpq reads it, it ends at the next `&`.
fn param_password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!$'()*+,;=%/?@:~]{3,12}".prop_map(|p| format!("Pw9{p}"))
}

fn scheme() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "postgres",
            "postgresql",
            "POSTGRES",
            "mysql",
            "sqlite",
            "http",
            "",
            " postgres",
            "1pg",
        ])
        .prop_map(str::to_owned),
        "[a-z+.-]{1,8}",
    ]
}

/// The text `URL` shows: its `Display` when it parses, else its error.
fn shown(text: &str) -> String {
    match DatabaseUrl::parse(text) {
        Ok(url @ DatabaseUrl::Postgres(_)) => url.to_string(),
        Ok(_) => String::new(),
        Err(error) => error.to_string(),
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_database_urls_never_panic_nor_show_a_password(
        scheme in scheme(),
        user in "[a-z_]{0,8}",
        password in password(),
        host in "[a-z0-9.-]{0,10}(:[0-9]{1,6})?",
        path in "(/[A-Za-z0-9_.-]{0,8}){0,2}",
        query_password in prop::option::of(param_password()),
        junk in "[ -~]{0,12}",
        arbitrary in any::<String>(),
    ) {
        DatabaseUrl::parse(&arbitrary).ok();
        redact_url(&arbitrary);
        let query = query_password
            .as_ref()
            .map(|p| format!("?sslmode=require&password={p}"))
            .unwrap_or_default();
        for url in [
            format!("{scheme}://{user}:{password}@{host}{path}{query}"),
            format!("  {scheme}://{user}:{password}@{host}{path}{query}{junk}"),
            format!("{user}:{password}@{scheme}://{host}{path}"),
        ] {
            let text = shown(&url);
            prop_assert!(!text.contains(&password), "{:?} shows {:?}", url, text);
            if let Some(p) = &query_password {
                prop_assert!(!text.contains(p.as_str()), "{:?} shows {:?}", url, text);
            }
        }
    }
}

#[test]
fn password_with_a_raw_slash_or_question_mark_is_not_shown() {
    for url in [
        "postgres://tel:pa/QZ@db/tel",
        "postgres://tel:pa?QZ@db/tel",
        "postgres://tel:pa#QZ@db/tel",
        "postgres://db/tel?password=pa/QZ#x",
    ] {
        let shown = DatabaseUrl::parse(url).expect("postgres").to_string();
        assert!(!shown.contains("QZ"), "{url} shown as {shown}");
    }
}

#[test]
fn text_before_the_scheme_separator_is_not_echoed_in_errors() {
    let error = DatabaseUrl::parse("tel:s3cret@mysql://db/tel")
        .expect_err("not a scheme")
        .to_string();
    assert!(!error.contains("s3cret"), "{error}");
    assert!(error.starts_with("malformed database URL"), "{error}");
}
