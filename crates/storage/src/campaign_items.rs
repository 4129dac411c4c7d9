//! Campaign-item writes.
