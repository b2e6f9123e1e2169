//! drydock-inventory (in progress).
