//! Reachability evidence: is the code an advisory names in the binary the package was found
//! in?
//!
//! Go's vulnerability database names the vulnerable code per record as
//! `affected[].ecosystem_specific.imports[] = {path, symbols}` (`net/http`, `Server.Serve`;
//! no symbols: the whole package). The inventory records what each Go binary links from each
//! module ([`LinkedSymbols`], read from the pclntab by `drydock-gosym`). The verdict, in this
//! order:
//!
//! 1. `symbols_present`: a named symbol (or any code of a package named without symbols) is
//!    linked; the matched ones are listed.
//! 2. `unknown`: the function table could not be read (stripped of it, corrupt, a Go
//!    release whose layout drydock does not read), or the advisory names no code. Absence is
//!    never concluded from a table that was not read.
//! 3. `package_linked_symbols_absent`: a named package is linked, none of its named symbols.
//! 4. `package_not_linked`: none of the named packages is linked.
//!
//! A package found in several binaries (or also in a `go.mod`) carries their union, so the
//! verdict is "present" if it is in any of them and "not linked" only if it is in none.

use drydock_advisory::Affected;
use drydock_package::{Ecosystem, LinkedSymbols, Package};
use serde::{Deserialize, Serialize};

/// Whether the vulnerable code of a finding is in the binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reachability", rename_all = "snake_case")]
pub enum Reachability {
    /// These symbols (`net/http.Server.Serve`; a bare import path when the advisory names the
    /// whole package) are linked.
    SymbolsPresent { symbols: Vec<String> },
    /// These packages are linked, but none of the symbols the advisory names.
    PackageLinkedSymbolsAbsent { packages: Vec<String> },
    /// None of these packages is linked.
    PackageNotLinked { packages: Vec<String> },
    /// Nothing can be said, and why.
    Unknown { reason: String },
}

impl Reachability {
    /// `symbols_present`, `package_linked_symbols_absent`, `package_not_linked`, `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reachability::SymbolsPresent { .. } => "symbols_present",
            Reachability::PackageLinkedSymbolsAbsent { .. } => "package_linked_symbols_absent",
            Reachability::PackageNotLinked { .. } => "package_not_linked",
            Reachability::Unknown { .. } => "unknown",
        }
    }

    /// Whether the evidence says the vulnerable code is not in the binary
    /// (`package_linked_symbols_absent`, `package_not_linked`).
    pub fn code_absent(&self) -> bool {
        matches!(
            self,
            Reachability::PackageLinkedSymbolsAbsent { .. } | Reachability::PackageNotLinked { .. }
        )
    }
}

impl std::fmt::Display for Reachability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reachability::SymbolsPresent { symbols } => {
                write!(f, "vulnerable symbols linked: {}", symbols.join(", "))
            }
            Reachability::PackageLinkedSymbolsAbsent { packages } => write!(
                f,
                "{} linked, none of the vulnerable symbols",
                packages.join(", ")
            ),
            Reachability::PackageNotLinked { packages } => {
                write!(f, "{} not linked into the binary", packages.join(", "))
            }
            Reachability::Unknown { reason } => write!(f, "reachability unknown: {reason}"),
        }
    }
}

/// One `imports[]` entry of a Go record.
#[derive(Debug, Deserialize)]
struct Import {
    path: String,
    #[serde(default)]
    symbols: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct EcosystemSpecific {
    #[serde(default)]
    imports: Vec<Import>,
}

/// The evidence for a finding on `p` from its matched records; `None` when `p` was not found
/// in a Go binary.
pub(crate) fn evidence(p: &Package, records: &[Affected]) -> Option<Reachability> {
    if p.ecosystem != Ecosystem::Golang {
        return None;
    }
    let linked = p.linked.as_ref()?;
    let imports: Vec<Import> = records
        .iter()
        .filter_map(|a| a.ecosystem_specific.as_ref())
        .filter_map(|v| serde_json::from_value::<EcosystemSpecific>(v.clone()).ok())
        .flat_map(|e| e.imports)
        .collect();
    Some(verdict(linked, &imports))
}

fn verdict(linked: &LinkedSymbols, imports: &[Import]) -> Reachability {
    if imports.is_empty() {
        return Reachability::Unknown {
            reason: "the advisory names no affected packages or symbols".into(),
        };
    }
    let mut present: Vec<String> = Vec::new();
    let mut linked_paths: Vec<String> = Vec::new();
    for i in imports {
        let Some(have) = linked.packages.get(&i.path) else {
            continue;
        };
        linked_paths.push(i.path.clone());
        if i.symbols.is_empty() {
            present.push(i.path.clone());
        }
        present.extend(
            i.symbols
                .iter()
                .filter(|s| have.contains(*s))
                .map(|s| format!("{}.{s}", i.path)),
        );
    }
    let dedup = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    if !present.is_empty() {
        return Reachability::SymbolsPresent {
            symbols: dedup(present),
        };
    }
    if let Some(reason) = &linked.unreadable {
        return Reachability::Unknown {
            reason: reason.clone(),
        };
    }
    if !linked_paths.is_empty() {
        return Reachability::PackageLinkedSymbolsAbsent {
            packages: dedup(linked_paths),
        };
    }
    Reachability::PackageNotLinked {
        packages: dedup(imports.iter().map(|i| i.path.clone()).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked(pairs: &[(&str, &[&str])], unreadable: Option<&str>) -> LinkedSymbols {
        LinkedSymbols {
            packages: pairs
                .iter()
                .map(|(p, s)| (p.to_string(), s.iter().map(|s| s.to_string()).collect()))
                .collect(),
            unreadable: unreadable.map(str::to_string),
        }
    }

    fn imports(v: serde_json::Value) -> Vec<Import> {
        serde_json::from_value::<EcosystemSpecific>(v)
            .expect("imports")
            .imports
    }

    #[test]
    fn verdicts() {
        let bin = linked(
            &[
                ("net/http", &["Server.Serve", "Header.Get"]),
                ("fmt", &["Println"]),
            ],
            None,
        );
        let serve = imports(serde_json::json!({"imports": [
            {"path": "net/http", "symbols": ["Server.Serve", "ListenAndServe"]}]}));
        assert_eq!(
            verdict(&bin, &serve),
            Reachability::SymbolsPresent {
                symbols: vec!["net/http.Server.Serve".into()]
            }
        );
        let absent = imports(serde_json::json!({"imports": [
            {"path": "net/http", "symbols": ["ListenAndServeTLS"]}]}));
        assert!(matches!(
            verdict(&bin, &absent),
            Reachability::PackageLinkedSymbolsAbsent { .. }
        ));
        let other = imports(serde_json::json!({"imports": [{"path": "net/smtp"}]}));
        assert!(matches!(
            verdict(&bin, &other),
            Reachability::PackageNotLinked { .. }
        ));
        let whole = imports(serde_json::json!({"imports": [{"path": "fmt"}]}));
        assert_eq!(
            verdict(&bin, &whole),
            Reachability::SymbolsPresent {
                symbols: vec!["fmt".into()]
            }
        );
        assert!(matches!(verdict(&bin, &[]), Reachability::Unknown { .. }));
    }

    #[test]
    fn an_unread_table_is_never_absence() {
        let unread = linked(&[], Some("the function table is corrupt"));
        let other = imports(serde_json::json!({"imports": [{"path": "net/smtp"}]}));
        assert_eq!(
            verdict(&unread, &other),
            Reachability::Unknown {
                reason: "the function table is corrupt".into()
            }
        );
    }

    #[test]
    fn serializes_tagged() {
        let r = Reachability::SymbolsPresent {
            symbols: vec!["net/http.Server.Serve".into()],
        };
        assert_eq!(
            serde_json::to_value(&r).expect("json"),
            serde_json::json!({"reachability": "symbols_present", "symbols": ["net/http.Server.Serve"]})
        );
    }
}
