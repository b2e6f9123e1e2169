//! drydock-image (in progress).
