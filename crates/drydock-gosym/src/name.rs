//! Function names as the linker writes them → (import path, symbol) as Go's vulnerability
//! database names them in `affected[].ecosystem_specific.imports[]`.
//!
//! | linker name | import path | symbol |
//! | --- | --- | --- |
//! | `net/http.(*Server).Serve` | `net/http` | `Server.Serve` |
//! | `net/http.Header.Get` | `net/http` | `Header.Get` |
//! | `slices.Sort[go.shape.int]` | `slices` | `Sort` |
//! | `example.com/m.(*List[go.shape.int]).Push` | `example.com/m` | `List.Push` |
//! | `net/http.(*Server).Serve.func1` | `net/http` | `Server.Serve` (a closure counts as its function) |
//! | `gopkg.in/yaml%2ev3.Unmarshal` | `gopkg.in/yaml.v3` | `Unmarshal` |
//!
//! Linker-made names (`go:…`, `type:…`, `type..…`) have no import path and are left out.

/// Splits a linker function name into its import path and symbol; `None` for names that
/// belong to no package.
///
/// ```
/// assert_eq!(
///     drydock_gosym::split("net/http.(*Server).Serve"),
///     Some(("net/http".to_string(), "Server.Serve".to_string()))
/// );
/// ```
pub fn split(name: &str) -> Option<(String, String)> {
    if ["go:", "go.", "type:", "type.."]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return None;
    }
    // The import path ends at the first dot after its last slash; type arguments in
    // brackets can hold slashes and dots of their own, so they are cut first.
    let head = name.find('[').map_or(name, |i| &name[..i]);
    let last_slash = head.rfind('/').map_or(0, |i| i + 1);
    let dot = last_slash + head[last_slash..].find('.')?;
    let path = unescape(&name[..dot]);
    let symbol = symbol(&name[dot + 1..]);
    (!path.is_empty() && !symbol.is_empty()).then_some((path, symbol))
}

/// `(*T[go.shape.int]).M.func1` → `T.M`.
fn symbol(rest: &str) -> String {
    let mut plain = String::with_capacity(rest.len());
    let mut depth = 0usize;
    for c in rest.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '(' | ')' | '*' if depth == 0 => {}
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut parts: Vec<&str> = plain.split('.').collect();
    // Closures, `go`/`defer` wrappers and method values belong to the function they are in.
    while parts.len() > 1 && parts.last().is_some_and(|p| is_generated(p)) {
        parts.pop();
    }
    let mut out = parts.join(".");
    if let Some(s) = out.strip_suffix("-fm") {
        out.truncate(s.len());
    }
    out
}

fn is_generated(part: &str) -> bool {
    let numbered = |prefix: &str| {
        part.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    part.is_empty()
        || part.bytes().all(|b| b.is_ascii_digit())
        || numbered("func")
        || numbered("gowrap")
        || numbered("deferwrap")
}

/// Undoes the linker's `%XX` escapes in import paths (a dot in the last element, `%`,
/// spaces, quotes, non-ASCII bytes).
fn unescape(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits: the value fits a byte.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'%'));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> Option<(&'static str, String)> {
        split(name).map(|(p, s)| (&*p.leak(), s))
    }

    #[test]
    fn govulncheck_names() {
        let cases = [
            ("net/http.(*Server).Serve", "net/http", "Server.Serve"),
            ("net/http.Header.Get", "net/http", "Header.Get"),
            ("net/http.ListenAndServe", "net/http", "ListenAndServe"),
            ("runtime.main", "runtime", "main"),
            ("main.main", "main", "main"),
            ("slices.Sort[go.shape.int]", "slices", "Sort"),
            (
                "example.com/m.(*List[go.shape.*uint8,net/http.Header]).Push",
                "example.com/m",
                "List.Push",
            ),
            ("net/http.(*Server).Serve.func1", "net/http", "Server.Serve"),
            ("net/http.(*conn).serve.func1.2", "net/http", "conn.serve"),
            ("net/http.(*Server).Serve-fm", "net/http", "Server.Serve"),
            (
                "net.(*Resolver).goLookupIPCNAMEOrder.gowrap3",
                "net",
                "Resolver.goLookupIPCNAMEOrder",
            ),
            (
                "gopkg.in/yaml%2ev3.Unmarshal",
                "gopkg.in/yaml.v3",
                "Unmarshal",
            ),
            (
                "golang.org/x/net/http2.(*Framer).ReadFrame",
                "golang.org/x/net/http2",
                "Framer.ReadFrame",
            ),
            (
                "vendor/golang.org/x/net/http/httpguts.ValidHeaderFieldName",
                "vendor/golang.org/x/net/http/httpguts",
                "ValidHeaderFieldName",
            ),
            ("encoding/json.glob..func1", "encoding/json", "glob"),
        ];
        for (name, path, sym) in cases {
            assert_eq!(s(name), Some((path, sym.to_string())), "{name}");
        }
    }

    #[test]
    fn linker_names_have_no_package() {
        for n in [
            "go:buildid",
            "type:.eq.main.T",
            "type..eq.[2]interface {}",
            "go.buildid",
            "noDot",
            "",
        ] {
            assert_eq!(split(n), None, "{n}");
        }
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape("a%2eb%"), "a.b%");
        assert_eq!(unescape("a%zz"), "a%zz");
    }
}
