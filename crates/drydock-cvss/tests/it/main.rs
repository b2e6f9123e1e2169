//! Integration tests of drydock-cvss: FIRST's published examples and a differential test
//! against Red Hat's reference implementation.

mod first;
mod redhat;
