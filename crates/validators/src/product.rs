//! Product fields.
