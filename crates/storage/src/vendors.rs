//! Vendor writes.
