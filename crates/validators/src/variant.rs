//! Variant fields and value combinations.
