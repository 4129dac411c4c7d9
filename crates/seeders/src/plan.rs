//! What the seeders create, as plain data: no database here, so the plan can
//! be checked (and printed) without one.
//!
//! Everything is fixed text except the campaign dates, which are offsets from
//! the `today` the plan is built for (so the active campaign is open whenever
//! the demo data is loaded).

use chrono::{NaiveDate, TimeDelta};
use domain::Role;
use domain::campaign::{CampaignFields, CheckoutField, LocationFields, Status};
use rust_decimal::Decimal;

/// The super admin's password (development only; shorter than the password
/// rule allows, which is why it is never accepted through the API).
pub const SUPER_ADMIN_PASSWORD: &str = "admin";
/// One demo password per distributor role.
pub const MANAGER_PASSWORD: &str = "manager-demo";
pub const SALES_PASSWORD: &str = "sales-demo";
pub const BUYER_PASSWORD: &str = "buyer-demo";
pub const SHOPPER_PASSWORD: &str = "shopper-demo";

/// The demo password of every account with `role`.
pub fn demo_password(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => SUPER_ADMIN_PASSWORD,
        Role::DistributorManager => MANAGER_PASSWORD,
        Role::SalesExecutive => SALES_PASSWORD,
        Role::AdminBuyer => BUYER_PASSWORD,
        Role::Shopper => SHOPPER_PASSWORD,
    }
}

/// An account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub username: &'static str,
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub role: Role,
    pub reports_enabled: bool,
}

impl Person {
    pub fn password(&self) -> &'static str {
        demo_password(self.role)
    }
}

/// A campaign to create as a draft and then move, one lifecycle step at a
/// time, to `status`. Locations are added while it is still a draft.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignPlan {
    pub status: Status,
    pub settings: CampaignFields,
    /// Usernames of the distributor's accounts (shoppers, admin buyers, sales executives).
    pub members: Vec<&'static str>,
    pub locations: Vec<LocationFields>,
}

/// A distributor with its accounts and campaigns.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributorPlan {
    pub name: &'static str,
    pub email: &'static str,
    pub address: &'static str,
    pub ow_cost: Decimal,
    pub campaign_cost: Decimal,
    pub transaction_cost: Decimal,
    pub max_sales_count: i32,
    pub people: Vec<Person>,
    pub campaigns: Vec<CampaignPlan>,
    /// The distributor's catalog and the items of its campaigns.
    pub catalog: Option<crate::catalog::CatalogPlan>,
}

/// Everything a seed run makes sure exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub super_admins: Vec<Person>,
    pub distributors: Vec<DistributorPlan>,
}

impl Plan {
    /// Every account with the distributor (index into `distributors`) it belongs to.
    pub fn people(&self) -> impl Iterator<Item = (&Person, Option<usize>)> {
        self.super_admins
            .iter()
            .map(|p| (p, None))
            .chain(self.distributors.iter().enumerate().flat_map(|(i, d)| d.people.iter().map(move |p| (p, Some(i)))))
    }

    /// Every rule the API would enforce on this data, so the demo data is
    /// what a client could have created: valid usernames, emails, names,
    /// campaign settings (and activation, for campaigns past draft), checkout
    /// fields, locations; members of the campaign's own distributor with a
    /// member role; no duplicate usernames, emails, campaign names or
    /// location nicknames. Passwords are not checked: `admin` is deliberately
    /// short.
    pub fn problems(&self) -> Vec<String> {
        use validators::account::{email_issue, placement_issue, text_issue, username_issue};
        let mut problems = Vec::new();
        let mut usernames: Vec<String> = Vec::new();
        let mut emails: Vec<String> = Vec::new();
        for (p, d) in self.people() {
            let issues = [
                username_issue(p.username),
                email_issue("email", p.email),
                text_issue("first_name", p.first_name, validators::account::MAX_NAME_CHARS),
                text_issue("last_name", p.last_name, validators::account::MAX_NAME_CHARS),
                placement_issue(p.role, d.map(|_| 1)),
            ];
            problems.extend(issues.into_iter().flatten().map(|i| format!("account {}: {i:?}", p.username)));
            for (seen, value, what) in [(&mut usernames, p.username, "username"), (&mut emails, p.email, "email")] {
                let folded = value.to_lowercase();
                if seen.contains(&folded) {
                    problems.push(format!("{what} {value} is used twice"));
                }
                seen.push(folded);
            }
        }
        for d in &self.distributors {
            let mut names: Vec<String> = Vec::new();
            for c in &d.campaigns {
                let name = &c.settings.name;
                let folded = name.to_lowercase();
                if names.contains(&folded) {
                    problems.push(format!("campaign {name} of {} is listed twice", d.name));
                }
                names.push(folded);
                let mut issues = validators::campaign::settings(&c.settings);
                if c.status != Status::Draft {
                    issues.extend(validators::campaign::activation(&c.settings));
                }
                problems.extend(issues.into_iter().map(|i| format!("campaign {name}: {i:?}")));
                let mut nicknames: Vec<String> = Vec::new();
                for l in &c.locations {
                    let issues = validators::location::location(l);
                    problems
                        .extend(issues.into_iter().map(|i| format!("campaign {name} location {}: {i:?}", l.nickname)));
                    let folded = l.nickname.to_lowercase();
                    if nicknames.contains(&folded) {
                        problems.push(format!("campaign {name}: location {} is listed twice", l.nickname));
                    }
                    nicknames.push(folded);
                }
                for (i, member) in c.members.iter().enumerate() {
                    match d.people.iter().find(|p| p.username == *member) {
                        None => {
                            problems.push(format!("campaign {name}: member {member} is not an account of {}", d.name))
                        }
                        Some(p) if !is_member_role(p.role) => {
                            problems.push(format!("campaign {name}: {member} is a {}, not a member role", p.role))
                        }
                        Some(_) => {}
                    }
                    if c.members[..i].contains(member) {
                        problems.push(format!("campaign {name}: member {member} is listed twice"));
                    }
                }
            }
            if let Some(catalog) = &d.catalog {
                let campaigns: Vec<&str> = d.campaigns.iter().map(|c| c.settings.name.as_str()).collect();
                problems.extend(catalog.problems(&campaigns).into_iter().map(|p| format!("{}: {p}", d.name)));
            }
            if !d.people.iter().any(|p| p.role == Role::DistributorManager) {
                problems.push(format!("{} has no manager to author its campaigns", d.name));
            }
            let sales = d.people.iter().filter(|p| p.role == Role::SalesExecutive).count();
            if sales > usize::try_from(d.max_sales_count).unwrap_or(0) {
                problems.push(format!("{} has more sales executives than its max_sales_count", d.name));
            }
        }
        problems
    }
}

/// The roles a campaign accepts as members (the API's rule).
pub fn is_member_role(role: Role) -> bool {
    matches!(role, Role::Shopper | Role::AdminBuyer | Role::SalesExecutive)
}

/// The super admin `admin` / `admin`.
fn super_admin() -> Person {
    Person {
        username: "admin",
        email: "admin@promostore.example",
        first_name: "Ada",
        last_name: "Admin",
        role: Role::SuperAdmin,
        reports_enabled: true,
    }
}

/// Acme Promo's manager `manager` / `manager-demo`.
fn acme_manager() -> Person {
    Person {
        username: "manager",
        email: "manager@acme-promo.example",
        first_name: "Max",
        last_name: "Manager",
        role: Role::DistributorManager,
        reports_enabled: true,
    }
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

fn acme(people: Vec<Person>, campaigns: Vec<CampaignPlan>) -> DistributorPlan {
    DistributorPlan {
        name: "Acme Promo",
        email: "hello@acme-promo.example",
        address: "1 Market St, Springfield",
        ow_cost: money(150),
        campaign_cost: money(25_000),
        transaction_cost: money(30),
        max_sales_count: 5,
        people,
        campaigns,
        catalog: None,
    }
}

/// The smallest useful data: the super admin and Acme Promo with its manager.
pub fn minimal() -> Plan {
    Plan { super_admins: vec![super_admin()], distributors: vec![acme(vec![acme_manager()], Vec::new())] }
}

/// The demo data for `today` (UTC): [`minimal`] plus, for Acme Promo and
/// Globex Merch, two sales executives, an admin buyer and four shoppers
/// each, and one campaign in every status with members and locations.
pub fn demo(today: NaiveDate) -> Plan {
    let on = |offset: i64| today.checked_add_signed(TimeDelta::days(offset)).unwrap_or(today);

    let mut acme_people = vec![acme_manager()];
    acme_people.extend(staff_and_client(&ACME_NAMES));
    let acme_campaigns = campaigns(&INITECH, &ACME_NAMES, &on, acme_checkout_fields);

    let mut globex_people = vec![Person {
        username: "globex.manager",
        email: "greta.holm@globex-merch.example",
        first_name: "Greta",
        last_name: "Holm",
        role: Role::DistributorManager,
        reports_enabled: true,
    }];
    globex_people.extend(staff_and_client(&GLOBEX_NAMES));
    let globex_campaigns = campaigns(&VANDELAY, &GLOBEX_NAMES, &on, globex_checkout_fields);

    Plan {
        super_admins: vec![super_admin()],
        distributors: vec![
            DistributorPlan { catalog: Some(crate::catalog::acme()), ..acme(acme_people, acme_campaigns) },
            DistributorPlan {
                name: "Globex Merch",
                email: "hello@globex-merch.example",
                address: "500 Harbor Blvd, Portland, OR 97209",
                ow_cost: money(200),
                campaign_cost: money(19_900),
                transaction_cost: money(25),
                max_sales_count: 3,
                people: globex_people,
                campaigns: globex_campaigns,
                catalog: Some(crate::catalog::globex()),
            },
        ],
    }
}

/// The accounts of a distributor below its manager: usernames, emails and names.
struct Names {
    /// `(username, email, first, last)`: two sales executives, the admin buyer, four shoppers.
    sales: [(&'static str, &'static str, &'static str, &'static str); 2],
    buyer: (&'static str, &'static str, &'static str, &'static str),
    shoppers: [(&'static str, &'static str, &'static str, &'static str); 4],
}

const ACME_NAMES: Names = Names {
    sales: [
        ("acme.sales1", "sally.reed@acme-promo.example", "Sally", "Reed"),
        ("acme.sales2", "omar.haddad@acme-promo.example", "Omar", "Haddad"),
    ],
    buyer: ("acme.buyer", "linda.moreau@initech.example", "Linda", "Moreau"),
    shoppers: [
        ("acme.shopper1", "peter.novak@initech.example", "Peter", "Novak"),
        ("acme.shopper2", "joanna.ruiz@initech.example", "Joanna", "Ruiz"),
        ("acme.shopper3", "marcus.chen@initech.example", "Marcus", "Chen"),
        ("acme.shopper4", "priya.natarajan@initech.example", "Priya", "Natarajan"),
    ],
};

const GLOBEX_NAMES: Names = Names {
    sales: [
        ("globex.sales1", "tom.becker@globex-merch.example", "Tom", "Becker"),
        ("globex.sales2", "aisha.bello@globex-merch.example", "Aisha", "Bello"),
    ],
    buyer: ("globex.buyer", "frank.costa@vandelay.example", "Frank", "Costa"),
    shoppers: [
        ("globex.shopper1", "elaine.brooks@vandelay.example", "Elaine", "Brooks"),
        ("globex.shopper2", "george.lind@vandelay.example", "George", "Lind"),
        ("globex.shopper3", "hannah.kim@vandelay.example", "Hannah", "Kim"),
        ("globex.shopper4", "luis.ortega@vandelay.example", "Luis", "Ortega"),
    ],
};

fn staff_and_client(names: &Names) -> Vec<Person> {
    let person =
        |(username, email, first_name, last_name): (&'static str, &'static str, &'static str, &'static str),
         role: Role| Person {
            username,
            email,
            first_name,
            last_name,
            role,
            reports_enabled: role >= Role::AdminBuyer,
        };
    let mut people: Vec<Person> = names.sales.iter().map(|n| person(*n, Role::SalesExecutive)).collect();
    people.push(person(names.buyer, Role::AdminBuyer));
    people.extend(names.shoppers.iter().map(|n| person(*n, Role::Shopper)));
    people
}

/// A distributor's client company and the campaigns run for it.
struct Client {
    company: &'static str,
    /// Campaign names by status: draft, active, closed, complete.
    campaigns: [&'static str; 4],
    departments: [&'static str; 5],
    po_prefix: &'static str,
    /// The first two take part in every campaign; the third only in the active one.
    locations: [Address; 3],
    contact: &'static str,
}

struct Address {
    nickname: &'static str,
    street_and_number: &'static str,
    suite_unit: &'static str,
    city: &'static str,
    zip_code: &'static str,
    region: &'static str,
    country: &'static str,
}

const INITECH: Client = Client {
    company: "Initech",
    campaigns: ["Initech Holiday Gifts", "Initech Welcome Kits", "Initech Summer Picnic", "Initech Sales Kickoff"],
    departments: ["Engineering", "Finance", "Marketing", "Operations", "Sales"],
    po_prefix: "PO-INI",
    locations: [
        Address {
            nickname: "Austin HQ",
            street_and_number: "4120 Riverside Dr",
            suite_unit: "Suite 200",
            city: "Austin",
            zip_code: "78741",
            region: "TX",
            country: "US",
        },
        Address {
            nickname: "Dallas office",
            street_and_number: "1900 N Akard St",
            suite_unit: "Floor 8",
            city: "Dallas",
            zip_code: "75201",
            region: "TX",
            country: "US",
        },
        Address {
            nickname: "Toronto office",
            street_and_number: "155 Wellington St W",
            suite_unit: "Unit 1400",
            city: "Toronto",
            zip_code: "M5V 3H1",
            region: "ON",
            country: "CA",
        },
    ],
    contact: "Linda Moreau, +1 512 555 0142",
};

const VANDELAY: Client = Client {
    company: "Vandelay Industries",
    campaigns: [
        "Vandelay Trade Show Kit",
        "Vandelay Team Apparel",
        "Vandelay Safety Week",
        "Vandelay Anniversary Gifts",
    ],
    departments: ["Customer Service", "Import", "Export", "Logistics", "Research"],
    po_prefix: "PO-VDL",
    locations: [
        Address {
            nickname: "New York HQ",
            street_and_number: "350 Hudson St",
            suite_unit: "Floor 12",
            city: "New York",
            zip_code: "10014",
            region: "NY",
            country: "US",
        },
        Address {
            nickname: "Newark warehouse",
            street_and_number: "85 Doremus Ave",
            suite_unit: "Dock 4",
            city: "Newark",
            zip_code: "07105",
            region: "NJ",
            country: "US",
        },
        Address {
            nickname: "Hamburg office",
            street_and_number: "Großer Burstah 31",
            suite_unit: "3. OG",
            city: "Hamburg",
            zip_code: "20457",
            region: "Hamburg",
            country: "DE",
        },
    ],
    contact: "Frank Costa, +1 212 555 0187",
};

fn field(name: &str, kind: &str, required: bool, options: &[&str]) -> CheckoutField {
    CheckoutField {
        name: name.to_owned(),
        kind: kind.to_owned(),
        required,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    }
}

/// Acme's campaigns ask for the department as a select of the departments,
/// the employee id, the delivery location and (for apparel) a shirt size.
fn acme_checkout_fields(client: &Client, apparel: bool) -> Vec<CheckoutField> {
    let mut fields = vec![
        field("Department", "select", true, &client.departments),
        field("Employee ID", "text", true, &[]),
        field("Delivery location", "location", true, &[]),
    ];
    if apparel {
        fields.push(field("Shirt size", "select", true, &["XS", "S", "M", "L", "XL", "XXL"]));
    }
    fields
}

/// Globex's campaigns use the `department` kind (one of the campaign's
/// departments) and a numeric cost center, so the demo data has every kind.
fn globex_checkout_fields(_client: &Client, apparel: bool) -> Vec<CheckoutField> {
    let mut fields = vec![
        field("Department", "department", true, &[]),
        field("Employee ID", "text", true, &[]),
        field("Delivery location", "location", true, &[]),
        field("Cost center", "number", false, &[]),
    ];
    if apparel {
        fields.push(field("Shirt size", "select", true, &["S", "M", "L", "XL"]));
    }
    fields
}

/// One campaign in each status for `client`, dates relative to today.
fn campaigns(
    client: &Client,
    names: &Names,
    on: &dyn Fn(i64) -> NaiveDate,
    checkout_fields: fn(&Client, bool) -> Vec<CheckoutField>,
) -> Vec<CampaignPlan> {
    let [draft, active, closed, complete] = client.campaigns;
    let [sales1, sales2] = names.sales.map(|n| n.0);
    let [s1, s2, s3, s4] = names.shoppers.map(|n| n.0);
    let buyer = names.buyer.0;
    let company = client.company;
    let settings = |name: &str, start: i64, end: i64| CampaignFields {
        company_name: company.to_owned(),
        start_date: Some(on(start)),
        end_date: Some(on(end)),
        departments: client.departments.iter().map(|d| (*d).to_owned()).collect(),
        ..CampaignFields::named(name)
    };
    let locations = |n: usize| -> Vec<LocationFields> {
        client.locations[..n]
            .iter()
            .map(|a| LocationFields {
                nickname: a.nickname.to_owned(),
                company_name: company.to_owned(),
                street_and_number: a.street_and_number.to_owned(),
                suite_unit: a.suite_unit.to_owned(),
                city: a.city.to_owned(),
                zip_code: a.zip_code.to_owned(),
                region: a.region.to_owned(),
                country: a.country.to_owned(),
                delivery_contact: client.contact.to_owned(),
            })
            .collect()
    };
    vec![
        CampaignPlan {
            status: Status::Draft,
            settings: CampaignFields {
                company_allowance: Some(money(7_500)),
                items_count_limit: Some(1),
                price_limit: Some(money(7_500)),
                checkout_fields: checkout_fields(client, false),
                message: format!("Happy holidays from {company}! Choose one gift on us."),
                ..settings(draft, 30, 60)
            },
            members: vec![sales2],
            locations: locations(2),
        },
        CampaignPlan {
            status: Status::Active,
            settings: CampaignFields {
                company_allowance: Some(money(15_000)),
                personal_pay: true,
                items_count_limit: Some(5),
                price_limit: Some(money(25_000)),
                email_shopper: true,
                checkout_fields: checkout_fields(client, true),
                message: format!(
                    "Welcome to the {company} company store! Pick up to 5 items; the first $150.00 is on us, \
                     and you can pay the rest by card."
                ),
                bfl_cost: money(2_500),
                distributor_po: Some(format!("{}-2041", client.po_prefix)),
                pick_pack_partner_message: "Pack each order separately and label it with the employee ID.".to_owned(),
                ..settings(active, -7, 90)
            },
            members: vec![s1, s2, s3, buyer, sales1],
            locations: locations(3),
        },
        CampaignPlan {
            status: Status::Closed,
            settings: CampaignFields {
                company_allowance: Some(money(4_000)),
                items_count_limit: Some(2),
                checkout_fields: checkout_fields(client, true),
                message: format!("{company} summer event: two items each, shipped to your office."),
                distributor_po: Some(format!("{}-1987", client.po_prefix)),
                ..settings(closed, -75, -15)
            },
            members: vec![s1, s2, s3, s4, buyer, sales1],
            locations: locations(2),
        },
        CampaignPlan {
            status: Status::Complete,
            settings: CampaignFields {
                company_allowance: Some(money(10_000)),
                personal_pay: true,
                price_limit: Some(money(20_000)),
                email_shopper: true,
                checkout_fields: checkout_fields(client, false),
                message: format!("Gear up for the {company} year ahead: $100.00 to spend on team gear."),
                distributor_po: Some(format!("{}-1820", client.po_prefix)),
                ..settings(complete, -200, -150)
            },
            members: vec![s1, s4, buyer, sales2],
            locations: locations(2),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plans_meet_every_api_rule() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap_or_default();
        assert_eq!(minimal().problems(), Vec::<String>::new());
        assert_eq!(demo(today).problems(), Vec::<String>::new());
    }

    #[test]
    fn the_plan_is_the_same_for_the_same_day() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap_or_default();
        assert_eq!(demo(today), demo(today));
    }
}
