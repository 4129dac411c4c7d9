//! Delivery-location input rules.

use crate::campaign::{MAX_SHORT_TEXT_CHARS, text};
use crate::issue::FieldIssue;
use domain::campaign::LocationFields;

/// The officially assigned ISO 3166-1 alpha-2 codes (249), sorted.
pub const COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", //
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW",
    "BY", "BZ", //
    "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY",
    "CZ", //
    "DE", "DJ", "DK", "DM", "DO", "DZ", //
    "EC", "EE", "EG", "EH", "ER", "ES", "ET", //
    "FI", "FJ", "FK", "FM", "FO", "FR", //
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW",
    "GY", //
    "HK", "HM", "HN", "HR", "HT", "HU", //
    "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", //
    "JE", "JM", "JO", "JP", //
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", //
    "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", //
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV",
    "MW", "MX", "MY", "MZ", //
    "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", //
    "OM", //
    "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", //
    "QA", //
    "RE", "RO", "RS", "RU", "RW", //
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX",
    "SY", "SZ", //
    "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", //
    "UA", "UG", "UM", "US", "UY", "UZ", //
    "VA", "VC", "VE", "VG", "VI", "VN", "VU", //
    "WF", "WS", //
    "YE", "YT", //
    "ZA", "ZM", "ZW",
];

/// Whether `code` is an assigned ISO 3166-1 alpha-2 code (upper case).
pub fn is_country(code: &str) -> bool {
    COUNTRIES.binary_search(&code).is_ok()
}

/// Every rule a location must meet: a nickname of 1–200 characters, other
/// texts at most 200, and an assigned ISO 3166-1 alpha-2 country code in
/// upper case.
pub fn location(l: &LocationFields) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    text(&mut issues, "nickname", l.nickname.trim(), 1, MAX_SHORT_TEXT_CHARS);
    for (field, value) in [
        ("company_name", &l.company_name),
        ("street_and_number", &l.street_and_number),
        ("suite_unit", &l.suite_unit),
        ("city", &l.city),
        ("zip_code", &l.zip_code),
        ("region", &l.region),
        ("delivery_contact", &l.delivery_contact),
    ] {
        text(&mut issues, field, value, 0, MAX_SHORT_TEXT_CHARS);
    }
    if !is_country(&l.country) {
        let upper = l.country.to_ascii_uppercase();
        let message = if l.country != upper && is_country(&upper) {
            format!("must be upper case: `{upper}`")
        } else {
            format!("`{}` is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. US, DE)", l.country)
        };
        issues.push(FieldIssue::new("country", "invalid", message));
    }
    issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(nickname: &str, country: &str) -> LocationFields {
        LocationFields {
            nickname: nickname.into(),
            company_name: String::new(),
            street_and_number: "Main St 1".into(),
            suite_unit: String::new(),
            city: "Springfield".into(),
            zip_code: "12345".into(),
            region: String::new(),
            country: country.into(),
            delivery_contact: String::new(),
        }
    }

    #[test]
    fn the_country_list_is_sorted_and_well_formed() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        assert!(COUNTRIES.iter().all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())));
        for c in ["US", "DE", "GB", "SS", "AX", "ZW"] {
            assert!(is_country(c), "{c}");
        }
        for c in ["UK", "XX", "us", "USA", "", "EU"] {
            assert!(!is_country(c), "{c}");
        }
    }

    #[test]
    fn issues_name_their_fields() {
        assert_eq!(location(&loc("HQ", "US")), []);
        let issues = location(&loc(" ", "us"));
        let fields: Vec<_> = issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect();
        assert_eq!(fields, [("country", "invalid"), ("nickname", "required")]);
        assert!(issues[0].message.contains("upper case"));
        let mut long = loc("HQ", "XX");
        long.city = "c".repeat(201);
        let fields: Vec<_> = location(&long).into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["city", "country"]);
    }
}
