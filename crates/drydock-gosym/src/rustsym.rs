//! Rust function paths from a binary's symbol table (ELF `.symtab`/`.dynsym`, Mach-O and PE
//! symbols), demangled (legacy `_ZN…E` and v0 `_R…`) and written the way RustSec's
//! `affects.functions` names functions: `crate::module::Type::method`, without generic
//! arguments, hashes or crate disambiguators.
//!
//! | symbol, demangled | paths |
//! | --- | --- |
//! | `smallvec::SmallVec<A>::push` (legacy) | `smallvec::SmallVec::push` |
//! | `<smallvec::SmallVec<[u8; 4]>>::push` (v0) | `smallvec::SmallVec::push` |
//! | `<chrono::Utc as core::fmt::Display>::fmt` | `chrono::Utc::fmt`, `core::fmt::Display::fmt` |
//! | `time::now::{{closure}}` | `time::now::{{closure}}` (inside `time::now`) |
//!
//! Unlike Go's function table, a symbol table does not name functions inlined into all their
//! callers, and one without symbols (`strip`) says nothing: [`Error::NoSymbols`].

use std::collections::{BTreeMap, BTreeSet};

use object::{Object, ObjectSymbol, SymbolKind};

use crate::Error;

/// Symbol names longer than this are not Rust paths anyone names in an advisory (and would
/// only cost demangling time).
const MAX_NAME: usize = 4096;

/// The Rust functions of one binary, by crate (the path's first segment, `-` written `_` as
/// in paths: `libpulse_binding`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RustSymbols {
    pub crates: BTreeMap<String, BTreeSet<String>>,
}

/// Reads the Rust function symbols of an ELF, Mach-O or PE binary; [`Error::NoSymbols`] when
/// it has none (stripped, or not Rust).
pub fn read_rust(binary: &[u8]) -> Result<RustSymbols, Error> {
    let file = object::File::parse(binary)
        .map_err(|e| Error::Corrupt(format!("not a readable object file: {e}")))?;
    let mut crates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for sym in file.symbols().chain(file.dynamic_symbols()) {
        if sym.kind() != SymbolKind::Text || !sym.is_definition() {
            continue;
        }
        let Ok(name) = sym.name() else { continue };
        if name.len() > MAX_NAME {
            continue;
        }
        let Ok(d) = rustc_demangle::try_demangle(name) else {
            continue;
        };
        for p in paths(&format!("{d:#}")) {
            if let Some((krate, _)) = p.split_once("::") {
                crates.entry(krate.to_string()).or_default().insert(p);
            }
        }
    }
    if crates.is_empty() {
        return Err(Error::NoSymbols);
    }
    Ok(RustSymbols { crates })
}

/// The paths a demangled symbol stands for: one, or two for a trait method (under the type
/// and under the trait).
pub fn paths(demangled: &str) -> Vec<String> {
    let s = demangled.trim();
    let Some(inner) = s.strip_prefix('<') else {
        return vec![strip_generics(s)];
    };
    let Some(end) = closing(inner) else {
        return Vec::new();
    };
    let (qualified, rest) = (&inner[..end], strip_generics(&inner[end + 1..]));
    let mut out = Vec::new();
    let (self_ty, tr) = match top_level_as(qualified) {
        Some(i) => (&qualified[..i], Some(&qualified[i + 4..])),
        None => (qualified, None),
    };
    for part in std::iter::once(self_ty).chain(tr) {
        let base = type_path(part);
        if !base.is_empty() {
            out.push(format!("{base}{rest}"));
        }
    }
    out
}

/// The path of a type written in a qualified path (`&'a mut foo::Bar<T>` → `foo::Bar`);
/// empty for types that are no path (`[u8]`, `(A, B)`, `fn()`).
fn type_path(ty: &str) -> String {
    let mut t = ty.trim();
    loop {
        let before = t;
        for prefix in ["&", "mut ", "*const ", "*mut ", "dyn ", "impl "] {
            t = t.strip_prefix(prefix).unwrap_or(t).trim_start();
        }
        if let Some(rest) = t.strip_prefix('\'') {
            t = rest.split_once(' ').map_or("", |(_, r)| r).trim_start();
        }
        if t == before {
            break;
        }
    }
    if t.starts_with('<') {
        return paths(t).into_iter().next().unwrap_or_default();
    }
    if !t.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return String::new();
    }
    strip_generics(t)
}

/// The index of the `>` closing a `<` just before `s` (an arrow's `>` is no bracket).
fn closing(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if prev != '-' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
        prev = c;
    }
    None
}

/// Where ` as ` splits `Type as Trait` outside any brackets.
fn top_level_as(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' if prev == '-' => {}
            '>' | ')' | ']' => depth = depth.saturating_sub(1),
            ' ' if depth == 0 && s[i..].starts_with(" as ") => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

/// Drops every `<…>` (generic arguments, `::<…>` turbofish included).
fn strip_generics(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' if prev != '-' && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out.replace("::::", "::").trim_end_matches("::").to_string()
}

/// The first of `paths` (one crate's, from [`RustSymbols`]) that is the code RustSec's
/// `function` names, or inside it.
///
/// Advisories name public paths (`time::OffsetDateTime::now_local`), symbols the defining
/// module's (`time::offset_date_time::OffsetDateTime::now_local`), so modules between the
/// crate and the name are not compared: a path matches when it has the same crate and
/// contains the function's name — from its last type or trait on (`OffsetDateTime::now_local`;
/// a bare type names all its methods), or the function alone, not as a method
/// (`time::now`). Matching errs towards "present".
pub fn rust_function_linked<'a>(paths: &'a BTreeSet<String>, function: &str) -> Option<&'a str> {
    let f: Vec<&str> = function.split("::").collect();
    let (krate, rest) = f.split_first()?;
    let upper = |s: &str| s.starts_with(|c: char| c.is_uppercase());
    let from = rest
        .iter()
        .rposition(|s| upper(s))
        .unwrap_or(rest.len().checked_sub(1)?);
    let key = &rest[from..];
    let method_or_type = upper(key[0]);
    paths.iter().map(String::as_str).find(|p| {
        let segs: Vec<&str> = p.split("::").collect();
        segs.first() == Some(krate)
            && (1..segs.len())
                .any(|i| segs[i..].starts_with(key) && (method_or_type || !upper(segs[i - 1])))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangled_names_become_paths() {
        for (name, want) in [
            (
                "smallvec::SmallVec<A>::push",
                &["smallvec::SmallVec::push"][..],
            ),
            (
                "<smallvec::SmallVec<[u8; 4]>>::push",
                &["smallvec::SmallVec::push"],
            ),
            (
                "<chrono::offset::utc::Utc as core::fmt::Display>::fmt",
                &["chrono::offset::utc::Utc::fmt", "core::fmt::Display::fmt"],
            ),
            (
                "<&'a mut flatbuffers::Table<'a> as flatbuffers::follow::Follow<'a>>::follow",
                &[
                    "flatbuffers::Table::follow",
                    "flatbuffers::follow::Follow::follow",
                ],
            ),
            ("<[u8] as foo::Bar>::baz", &["foo::Bar::baz"]),
            ("time::now::{{closure}}", &["time::now::{{closure}}"]),
            (
                "core::ptr::drop_in_place<smallvec::SmallVec<[u8; 4]>>",
                &["core::ptr::drop_in_place"],
            ),
            ("a::f::<fn() -> u8>", &["a::f"]),
            ("<a::B<fn(u8) -> u8> as c::D>::e", &["a::B::e", "c::D::e"]),
        ] {
            assert_eq!(paths(name), want, "{name}");
        }
        // Unbalanced input is no path, not a panic.
        assert!(paths("<a::B as c").is_empty());
    }

    #[test]
    fn demangles_both_manglings() {
        let legacy =
            rustc_demangle::demangle("_ZN8smallvec17SmallVec$LT$A$GT$4push17h0123456789abcdefE");
        assert_eq!(paths(&format!("{legacy:#}")), ["smallvec::SmallVec::push"]);
        // v0 of `<smallvec::SmallVec<[u8; 4]>>::push`, as rustc writes it.
        let v0 = rustc_demangle::demangle("_RNvMCs1234_8smallvecINtB2_8SmallVecAhj4_E4push");
        assert_eq!(paths(&format!("{v0:#}")), ["smallvec::SmallVec::push"]);
    }

    #[test]
    fn advisory_functions_match_symbol_paths() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let time = set(&[
            "time::now",
            "time::offset_date_time::OffsetDateTime::now_local::{{closure}}",
            "time::Tm::at",
        ]);
        assert_eq!(rust_function_linked(&time, "time::now"), Some("time::now"));
        assert!(rust_function_linked(&time, "time::OffsetDateTime::now_local").is_some());
        // `at` here is a method of `Tm`, not the free function `time::at`.
        assert_eq!(rust_function_linked(&time, "time::at"), None);
        assert_eq!(
            rust_function_linked(&time, "time::Tm::at"),
            Some("time::Tm::at")
        );
        let sv = set(&["smallvec::SmallVec::push", "smallvec::SmallVec::grow"]);
        assert_eq!(
            rust_function_linked(&sv, "smallvec::SmallVec::insert_many"),
            None
        );
        // A bare type names all its methods.
        assert!(rust_function_linked(&sv, "smallvec::SmallVec").is_some());
        assert_eq!(rust_function_linked(&sv, "other::SmallVec::push"), None);
        assert_eq!(rust_function_linked(&sv, ""), None);
    }
}
