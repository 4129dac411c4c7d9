//! Request-body types that accept exactly what the spec documents.
//!
//! poem-openapi's `String` also takes JSON numbers and booleans (`5` becomes
//! `"5"`), and its `Decimal` takes JSON numbers (through `f64` for fractions).
//! A body that contradicts the published schema must be a 400, and money must
//! never pass through floating point, so request bodies use these instead.

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use rust_decimal::Decimal;
use serde_json::Value;
use std::borrow::Cow;
use std::ops::Deref;
use std::str::FromStr;

/// A JSON string, and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Text(pub String);

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(s.to_owned())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(s)
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self == &other.0
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        <String as Type>::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        <String as Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <String as Type>::register(registry);
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(Text(s)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

/// A money amount as a decimal string (`"12.50"`), parsed exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Money(pub Decimal);

impl Deref for Money {
    type Target = Decimal;

    fn deref(&self) -> &Decimal {
        &self.0
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        m.0
    }
}

impl Type for Money {
    const IS_REQUIRED: bool = true;
    type RawValueType = Decimal;
    type RawElementValueType = Decimal;

    fn name() -> Cow<'static, str> {
        <Decimal as Type>::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        <Decimal as Type>::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&Decimal> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Decimal> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl ParseFromJSON for Money {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Decimal::from_str_exact(s.trim())
                .map(Money)
                .map_err(|_| ParseError::custom(format!("`{s}` is not a decimal amount such as \"12.50\""))),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Money {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_string()))
    }
}

impl FromStr for Money {
    type Err = rust_decimal::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::from_str_exact(s).map(Money)
    }
}

/// A value whose schema is written inline where it is used, not as a
/// `$ref`. In OpenAPI 3.0 a `$ref` cannot carry its own description or
/// `nullable`, so poem-openapi wraps it in an `allOf`, which client
/// generators (openapi-python-client) cannot read for enums and drop the
/// whole operation. Used for enum fields of request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inline<T>(pub T);

impl<T: Type> Type for Inline<T> {
    const IS_REQUIRED: bool = T::IS_REQUIRED;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(Registry::new().create_fake_schema::<T>()))
    }

    fn register(_registry: &mut Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_raw_value()
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        self.0.raw_element_iter()
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Inline<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        T::parse_from_json(value).map(Inline).map_err(ParseError::propagate)
    }
}

impl<T: ToJSON> ToJSON for Inline<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.to_json()
    }
}
