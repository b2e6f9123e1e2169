//! drydock-cvss (in progress).
