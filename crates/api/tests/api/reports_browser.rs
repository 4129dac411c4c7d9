//! The HTML reports in a real browser: every report page of the demo
//! campaign (and the distributor's sales), downloaded through the API, is
//! opened in headless Chromium, which must show its tables and its chart
//! and nothing wider than the printed page (A4 landscape less the page's
//! margins, 277 mm); a screenshot of each page is saved as
//! `target/report-<slug>.png` for people to look at.
//!
//! Chromium is `$CHROMIUM`, else `/usr/bin/chromium` (`make test` installs
//! Debian's `chromium` when missing). Without it the test fails: a skipped
//! browser check would look like a passing one.

use crate::helpers::TestApp;
use futures_util::StreamExt;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The printed width: A4 landscape (297 mm) less the 10 mm margins of the page's `@page` rule.
const PRINTED_WIDTH: &str = "277mm";

/// Run in the page once it is laid out at the printed width: every element
/// whose box ends right of the body, and every table wider than its box,
/// is listed in `data-overflow` (`none` when there is none).
const PROBE: &str = r#"<script>
addEventListener('load', () => {
  const body = document.body;
  body.style.margin = '0';
  body.style.width = 'WIDTH';
  const limit = body.getBoundingClientRect().right + 0.5;
  const wide = [];
  for (const el of body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > limit) wide.push(el.tagName.toLowerCase());
  }
  for (const t of body.querySelectorAll('table')) {
    if (t.scrollWidth > t.clientWidth + 1) wide.push('table(scrolls)');
  }
  body.setAttribute('data-overflow', wide.length ? [...new Set(wide)].join(' ') : 'none');
  body.setAttribute('data-printed-width', String(Math.round(limit)));
});
</script>"#;

fn chromium() -> PathBuf {
    let path = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()));
    assert!(
        path.is_file(),
        "Chromium not found at {} (set CHROMIUM to its binary, or install Debian's `chromium`: \
         `make test` does it through scripts/test-deps.sh); the HTML report check needs a real browser",
        path.display()
    );
    path
}

/// The build's `target` directory (the test binary is `target/<profile>/deps/api-*`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"))
}

/// Runs Chromium headless on `page` with `args`; its standard output.
async fn run_chromium(page: &Path, profile: &Path, args: &[String]) -> String {
    let mut command = tokio::process::Command::new(chromium());
    command
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(90), command.output())
        .await
        .unwrap_or_else(|_| panic!("Chromium did not finish within 90 s on {}", page.display()))
        .unwrap_or_else(|e| panic!("Chromium could not be started: {e}"));
    assert!(
        out.status.success(),
        "Chromium failed on {}: {}\n{}",
        page.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The page as Chromium rendered it at the printed width (its DOM after
/// the probe ran), and the probe's verdict.
async fn rendered(html: &str, dir: &Path, name: &str) -> (String, String) {
    let probe = PROBE.replace("WIDTH", PRINTED_WIDTH);
    let page = dir.join(format!("{name}.probe.html"));
    std::fs::write(&page, html.replacen("</body>", &format!("{probe}</body>"), 1)).unwrap();
    let profile = dir.join(format!("{name}.profile"));
    let args = ["--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000", "--dump-dom"];
    let dom = run_chromium(&page, &profile, &args.map(str::to_owned)).await;
    let verdict = dom
        .split("data-overflow=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{name}: the probe did not run; the DOM: {}", &dom[..dom.len().min(2000)]))
        .to_owned();
    (dom, verdict)
}

/// The lines of the long order [`a_long_order`] adds: every item of the
/// demo campaign. Pick, Pack and Bag has a Product and a Quantity column per
/// line of the longest order (51 columns here in CSV and XLSX); the page
/// folds them into one pick-list column, so it fits the printed width
/// however long the order is.
const LONG_ORDER_LINES: i64 = 21;

/// One order of the demo campaign with [`LONG_ORDER_LINES`] lines, so the
/// Pick, Pack and Bag table gets a Product and Quantity column per line.
async fn a_long_order(pool: &PgPool, campaign: i64) {
    sqlx::query(
        "WITH src AS (SELECT * FROM orders WHERE campaign_id = $1 AND status <> 'cancelled' ORDER BY id LIMIT 1), \
              items AS (SELECT id, price, sku, product_name, distributor_id FROM campaign_items \
                        WHERE campaign_id = $1 ORDER BY id LIMIT $2), \
              o AS (INSERT INTO orders (number, distributor_id, account_id, campaign_id, checkout_fields, location, \
                                        department, items_count, subtotal, allowance_applied, payroll_deduction) \
                    SELECT 'WIDE-1', src.distributor_id, src.account_id, src.campaign_id, src.checkout_fields, \
                           src.location, src.department, (SELECT count(*) FROM items), \
                           (SELECT sum(price) FROM items), (SELECT sum(price) FROM items), 0 \
                    FROM src RETURNING id) \
         INSERT INTO order_items (order_id, distributor_id, campaign_item_id, sku, product_name, quantity, \
                                  unit_price, line_total) \
         SELECT o.id, i.distributor_id, i.id, i.sku, i.product_name, 1, i.price, i.price FROM o, items i",
    )
    .bind(campaign)
    .bind(LONG_ORDER_LINES)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_report_page_renders_in_chromium_within_the_printed_width(pool: PgPool) {
    let browser = chromium();
    seeders::demo(&pool).await.unwrap();
    let campaign: i64 = sqlx::query_scalar(
        "SELECT c.id FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
         WHERE d.name = 'Acme Promo' AND c.status = 'active' ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    a_long_order(&pool, campaign).await;
    let app = TestApp::new(pool.clone()).await;
    let password = seeders::logins().into_iter().find(|l| l.usernames.contains(&"manager")).unwrap().password;
    let login = app.login_as("manager", password).await;
    login.expect(200);
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    let work = crate::helpers::temp_files_dir();
    let target = target_dir();

    // The probe itself finds an overflow: a table of 40 money cells (which
    // never wrap) is wider than the page whatever the styles say.
    let cells: String = (0..40).map(|_| "<td class=\"money\">123,456.78</td>").collect();
    let sample = app.get(&format!("/api/v1/reports/bin/campaigns/{campaign}?format=html"), &token).await;
    sample.expect(200);
    let wide = sample.text.replacen("</header>", &format!("</header><table><tr>{cells}</tr></table>"), 1);
    let (_, verdict) = rendered(&wide, &work, "control").await;
    assert!(verdict.contains("table"), "the probe missed a table wider than the page: {verdict}");

    let today = chrono::Utc::now().date_naive();
    let mut pages: Vec<(String, String)> = reports::catalog()
        .iter()
        .filter(|d| d.scope == reports::Scope::Campaign)
        .map(|d| (d.slug.to_owned(), format!("/api/v1/reports/{}/campaigns/{campaign}?format=html", d.slug)))
        .collect();
    pages.push((
        "distributor-sales".to_owned(),
        format!(
            "/api/v1/reports/distributor-sales?from={}&to={}&format=html",
            today - chrono::TimeDelta::days(30),
            today + chrono::TimeDelta::days(1)
        ),
    ));
    let mut downloaded = Vec::new();
    for (slug, url) in pages {
        let r = app.get_with(&url, &token, &[("Accept", "text/html")]).await;
        r.expect(200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"), "{slug}");
        downloaded.push((slug, r.text));
    }

    let checks = futures_util::stream::iter(downloaded.iter().map(|(slug, html)| {
        let (work, target) = (&work, &target);
        async move {
            let mut problems = Vec::new();
            let (dom, verdict) = rendered(html, work, slug).await;
            if verdict != "none" {
                problems.push(format!("{slug}: wider than the printed page ({PRINTED_WIDTH}): {verdict}"));
            }
            // Every table of the report is on the page, with its rows, and
            // its charts (every report whose tables the catalog charts).
            let tables = dom.matches("<table").count();
            let expected = html.matches("<section class=\"report-table\"").count();
            if tables == 0 || tables != expected {
                problems.push(format!("{slug}: {tables} tables rendered, {expected} in the page"));
            }
            if !dom.contains("<tbody><tr>") {
                problems.push(format!("{slug}: a table without rows"));
            }
            let charts = dom.matches("<svg").count();
            let charted = reports::catalog()
                .iter()
                .find(|d| d.slug == slug.as_str())
                .is_some_and(|d| d.tables.iter().any(|t| t.chart.is_some()));
            if charted && charts == 0 {
                problems.push(format!("{slug}: no chart"));
            }
            if charts > 0 && !dom.contains("<rect") && !dom.contains("<path") && !dom.contains("<polyline") {
                problems.push(format!("{slug}: an empty chart"));
            }
            // The screenshot, for people to look at.
            let page = work.join(format!("{slug}.html"));
            std::fs::write(&page, html).unwrap();
            std::fs::write(target.join(format!("report-{slug}.html")), html).unwrap();
            let shot = target.join(format!("report-{slug}.png"));
            let _ = std::fs::remove_file(&shot);
            let profile = work.join(format!("{slug}.shot-profile"));
            let args = [format!("--screenshot={}", shot.display()), "--window-size=1123,1400".to_owned()];
            run_chromium(&page, &profile, &args).await;
            let png = std::fs::read(&shot).unwrap_or_default();
            if !png.starts_with(b"\x89PNG\r\n\x1a\n") || png.len() < 10_000 {
                problems.push(format!("{slug}: no screenshot at {} ({} bytes)", shot.display(), png.len()));
            }
            problems
        }
    }))
    .buffer_unordered(2)
    .collect::<Vec<Vec<String>>>()
    .await;
    let problems: Vec<String> = checks.into_iter().flatten().collect();
    let _ = std::fs::remove_dir_all(&work);
    assert!(problems.is_empty(), "{} ({}):\n{}", problems.len(), browser.display(), problems.join("\n"));
}
