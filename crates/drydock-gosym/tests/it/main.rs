//! Integration tests: real Go binaries against `go tool nm`.

mod nm;
