//! Showing strings that came from an image: the escaper lives in [`drydock_package::text`],
//! the lowest crate every printer depends on; this re-export keeps `drydock_image::text::shown`
//! working.

pub use drydock_package::text::{MAX_SHOWN, is_unsafe, shown, shown_max};
