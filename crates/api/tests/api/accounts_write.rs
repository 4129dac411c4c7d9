//! Filled in by the Organization namespace work.
