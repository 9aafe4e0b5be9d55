//! Shared helpers for the integration tests.

#![allow(dead_code, unreachable_pub)]

pub mod alloc;
pub mod hooked;
pub mod store_conformance;
pub mod workloads;

/// One conformance case: an input and the expected outcome.
#[derive(Debug)]
pub struct Case {
    pub line: usize,
    pub input: String,
    pub expect: Expect,
}

/// What a case expects.
#[derive(Debug)]
pub enum Expect {
    /// Success, with `field=value` checks.
    Ok(Vec<(String, String)>),
    /// Failure with this exact message.
    Err(String),
}

/// Expands `{X*N}` repetitions, `\uXXXX` escapes and `""` (empty input).
pub fn expand(raw: &str) -> String {
    if raw == "\"\"" {
        return String::new();
    }
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find(['{', '\\']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(body) = rest.strip_prefix('{') {
            let end = body.find('}').expect("unclosed {");
            let (text, n) = body[..end].rsplit_once('*').expect("{X*N}");
            out.push_str(&text.repeat(n.parse().expect("repeat count")));
            rest = &body[end + 1..];
        } else if let Some(hex) = rest.strip_prefix("\\u") {
            let c = u32::from_str_radix(&hex[..4], 16).expect("\\uXXXX");
            out.push(char::from_u32(c).expect("scalar value"));
            rest = &hex[4..];
        } else {
            out.push('\\');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Reads a fixture table (see `tests/fixtures/references/strict.txt`).
pub fn load(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let input = expand(cols.next().expect("input column"));
        let kind = cols
            .next()
            .unwrap_or_else(|| panic!("line {}: no outcome", i + 1));
        let expect = match kind {
            "ok" => Expect::Ok(
                cols.map(|c| {
                    let (k, v) = c
                        .split_once('=')
                        .unwrap_or_else(|| panic!("line {}: {c}", i + 1));
                    (k.to_owned(), expand(v))
                })
                .collect(),
            ),
            "err" => Expect::Err(cols.next().expect("message").to_owned()),
            other => panic!("line {}: unknown outcome {other}", i + 1),
        };
        cases.push(Case {
            line: i + 1,
            input,
            expect,
        });
    }
    cases
}

/// Runs every case; collects all failures so one run shows them all.
#[track_caller]
pub fn run<T, E: std::fmt::Display>(
    table: &str,
    cases: &[Case],
    parse: impl Fn(&str) -> Result<T, E>,
    field: impl Fn(&T, &str) -> String,
) {
    let mut failures = Vec::new();
    for case in cases {
        match (&case.expect, parse(&case.input)) {
            (Expect::Ok(fields), Ok(v)) => {
                for (k, want) in fields {
                    let got = field(&v, k);
                    if &got != want {
                        failures.push(format!(
                            "{table}:{} {:?}: {k} = {got:?}, want {want:?}",
                            case.line, case.input
                        ));
                    }
                }
            }
            (Expect::Err(want), Err(e)) => {
                if &e.to_string() != want {
                    failures.push(format!(
                        "{table}:{} {:?}: error {:?}, want {want:?}",
                        case.line,
                        case.input,
                        e.to_string()
                    ));
                }
            }
            (Expect::Ok(_), Err(e)) => failures.push(format!(
                "{table}:{} {:?}: unexpected error {e}",
                case.line, case.input
            )),
            (Expect::Err(want), Ok(_)) => failures.push(format!(
                "{table}:{} {:?}: parsed, want error {want:?}",
                case.line, case.input
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
