//! Vendor fields.
