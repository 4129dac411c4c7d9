//! The trade's vocabulary for generated data: what the fake-data crate does
//! not know (garments, colours as apparel suppliers name them, decoration
//! methods, campaign occasions). People, companies and addresses come from
//! `fake`.

/// Colours as apparel and drinkware catalogs name them, in catalog order.
pub const COLORS: &[&str] = &[
    "Black",
    "White",
    "Charcoal",
    "Heather Grey",
    "Ash",
    "Navy",
    "Royal Blue",
    "Sky Blue",
    "Teal",
    "Forest Green",
    "Kelly Green",
    "Olive",
    "Red",
    "Maroon",
    "Burgundy",
    "Orange",
    "Safety Orange",
    "Gold",
    "Yellow",
    "Purple",
    "Pink",
    "Sand",
    "Brown",
    "Silver",
];

/// The size ladders products come in: the long one (`XXL` spelled `2XL`)
/// and the short one of fashion labels.
pub const SIZES_LONG: &[&str] = &["XXS", "XS", "S", "M", "L", "XL", "2XL", "3XL", "4XL", "5XL", "6XL"];
pub const SIZES_SHORT: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];

/// A kind of product: its name, item-number prefix, base cost range in
/// cents, and the decoration locations it takes.
pub struct Kind {
    pub name: &'static str,
    pub prefix: &'static str,
    pub cost_cents: (i64, i64),
    pub locations: &'static [&'static str],
}

pub const WEARABLES: &[Kind] = &[
    Kind {
        name: "Tee",
        prefix: "TS",
        cost_cents: (290, 650),
        locations: &["Front", "Back", "Left chest", "Right sleeve"],
    },
    Kind {
        name: "Long Sleeve Tee",
        prefix: "LS",
        cost_cents: (480, 900),
        locations: &["Front", "Back", "Left sleeve"],
    },
    Kind {
        name: "Polo",
        prefix: "PL",
        cost_cents: (850, 1600),
        locations: &["Left chest", "Right sleeve", "Back yoke"],
    },
    Kind {
        name: "Hoodie",
        prefix: "HD",
        cost_cents: (1250, 2600),
        locations: &["Front", "Back", "Left chest", "Hood"],
    },
    Kind { name: "Quarter-Zip", prefix: "QZ", cost_cents: (1600, 3200), locations: &["Left chest", "Right sleeve"] },
    Kind { name: "Softshell Jacket", prefix: "SJ", cost_cents: (2400, 4800), locations: &["Left chest", "Back"] },
    Kind { name: "Fleece Vest", prefix: "FV", cost_cents: (1500, 2900), locations: &["Left chest", "Back"] },
    Kind { name: "Safety Vest", prefix: "SV", cost_cents: (600, 1200), locations: &["Back", "Left chest"] },
];

pub const MUGS: &[Kind] = &[
    Kind { name: "Ceramic Mug 11 oz", prefix: "MG", cost_cents: (180, 420), locations: &["Wrap", "Front"] },
    Kind { name: "Ceramic Mug 15 oz", prefix: "MG", cost_cents: (240, 520), locations: &["Wrap", "Front"] },
    Kind { name: "Travel Tumbler 20 oz", prefix: "TM", cost_cents: (550, 1400), locations: &["Front", "Lid"] },
    Kind { name: "Camp Mug 12 oz", prefix: "CM", cost_cents: (420, 900), locations: &["Front"] },
    Kind { name: "Glass Beer Mug", prefix: "GM", cost_cents: (350, 800), locations: &["Front", "Wrap"] },
];

pub const POSTERS: &[Kind] = &[
    Kind { name: "Poster 18x24", prefix: "PS", cost_cents: (220, 520), locations: &["Front"] },
    Kind { name: "Poster 24x36", prefix: "PS", cost_cents: (380, 900), locations: &["Front"] },
    Kind { name: "Poster A2", prefix: "PA", cost_cents: (260, 600), locations: &["Front"] },
    Kind { name: "Canvas Print 16x20", prefix: "CV", cost_cents: (900, 2100), locations: &["Front"] },
];

pub const PENCILS: &[Kind] = &[
    Kind { name: "Hex Pencil #2", prefix: "PC", cost_cents: (12, 35), locations: &["Barrel"] },
    Kind { name: "Carpenter Pencil", prefix: "CP", cost_cents: (18, 45), locations: &["Barrel"] },
    Kind { name: "Colored Pencil Set", prefix: "CS", cost_cents: (120, 380), locations: &["Box lid"] },
    Kind { name: "Mechanical Pencil", prefix: "MP", cost_cents: (45, 160), locations: &["Barrel", "Clip"] },
];

pub const ADJECTIVES: &[&str] = &[
    "Classic",
    "Heavyweight",
    "Performance",
    "Organic",
    "Vintage",
    "Lightweight",
    "Premium",
    "Recycled",
    "Tri-Blend",
    "Essential",
    "Everyday",
    "Signature",
];

pub const MATERIALS: &[&str] = &[
    "Ring-spun cotton",
    "Organic cotton",
    "Recycled polyester",
    "Cotton-poly blend",
    "Glazed stoneware",
    "Double-walled stainless steel",
    "Satin 200 g/m² paper",
    "FSC-certified cedar",
    "Brushed fleece",
    "Moisture-wicking piqué",
];

pub const FEATURES: &[&str] = &[
    "taped neck and shoulders",
    "tear-away label",
    "dishwasher safe",
    "ships flat-packed",
    "latex-free eraser",
    "reinforced seams",
    "water-resistant finish",
    "gift box included",
    "vacuum insulated",
    "UV-resistant inks",
];

/// Occasions campaigns are run for.
pub const OCCASIONS: &[&str] = &[
    "Holiday Gifts",
    "Welcome Kits",
    "Summer Picnic",
    "Sales Kickoff",
    "Team Apparel",
    "Trade Show Kit",
    "Safety Week",
    "Anniversary Gifts",
    "Wellness Month",
    "Volunteer Day",
    "Year-End Awards",
    "Spring Launch",
    "Customer Appreciation",
    "Onboarding Kit",
    "Conference Swag",
    "Retirement Gifts",
];

pub const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Finance",
    "Marketing",
    "Operations",
    "Sales",
    "Human Resources",
    "Legal",
    "Customer Success",
    "Research",
    "Facilities",
    "IT",
    "Logistics",
    "Procurement",
    "Design",
    "Quality",
];

/// What distributors call themselves after the founder's name.
pub const DISTRIBUTOR_SUFFIXES: &[&str] =
    &["Promo", "Merch", "Promotions", "Branding", "Brand Works", "Logo Gear", "Incentives", "Promotional Products"];

/// Vendor names after the founder's name, by role.
pub const APPAREL_SUPPLIERS: &[&str] = &["Apparel", "Garment Co.", "Textiles", "Sportswear"];
pub const DRINKWARE_SUPPLIERS: &[&str] = &["Drinkware", "Ceramics", "Glassworks"];
pub const PAPER_SUPPLIERS: &[&str] = &["Print & Paper", "Stationery", "Pencil Co."];
pub const DECORATORS: &[(&str, &str)] = &[
    ("Screen Printing", "screen-printed"),
    ("Embroidery", "embroidered"),
    ("Laser Engraving", "laser-engraved"),
    ("Imprints", "full-colour printed"),
];
pub const PICK_PACK: &[&str] = &["Fulfillment", "Logistics", "Distribution Center"];

/// Delivery locations' kinds, after the city.
pub const SITES: &[&str] = &["office", "HQ", "warehouse", "plant", "distribution center", "campus", "store"];

/// What staff and admin buyers write on an order.
pub const NOTES: &[&str] = &[
    "Sizes confirmed with the client.",
    "Logo proof approved by the client.",
    "Backordered at the supplier; they promise it within a week.",
    "Split shipment: the drinkware follows separately.",
    "Deliver to reception, not the loading dock.",
    "The shopper asked for a different colour; sent the swap request to the supplier.",
    "Decorator needs a vector logo for this one.",
    "Rush: needed before the offsite.",
    "Client approved the payroll deduction.",
    "Tracking number sent to the shopper.",
];

/// What an edit of a note adds to it.
pub const NOTE_EDITS: &[&str] = &[
    "Update: resolved.",
    "Update: the supplier confirmed the date.",
    "Update: the client signed off.",
    "Update: shipped with the next batch.",
];
