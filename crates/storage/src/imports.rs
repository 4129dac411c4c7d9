//! CSV catalog import: set-based upsert of products and variants.
