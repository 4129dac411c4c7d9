//! Attribute and value names, reorders.
