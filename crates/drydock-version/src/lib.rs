//! drydock-version (in progress).
