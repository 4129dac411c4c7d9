//! Attribute and attribute-value writes (values keep dense positions).
