//! Product-type fields.
