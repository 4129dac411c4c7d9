//! XLSX through `rust_xlsxwriter` in constant-memory mode: one sheet per
//! table, each row written once and flushed to a temporary file, so memory
//! stays flat whatever the size. Money and counts are numeric cells (money
//! with a 2-decimal format); text cells get the same formula-injection
//! rule as CSV. The finished workbook is written to a temporary file and
//! copied out from there. A table longer than a sheet can hold (Excel's
//! 1,048,576 rows; the Itemized Shopper of a million-line campaign is
//! longer) goes on in a sheet named `<table> (2)`, and so on, each with the
//! header row.

use super::{Head, Renderer, entry_name};
use crate::cell::{Cell, Column, Kind, RowKind, local_time, neutralise};
use crate::run::{MetaItem, ReportError};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// The rows of a sheet, header included (Excel's limit).
const SHEET_ROWS: u32 = 1_048_576;

pub(crate) struct Xlsx {
    book: Workbook,
    sheet: Option<usize>,
    names: Vec<String>,
    /// The table being written: its name, columns, and how many sheets it has.
    table: String,
    columns: Vec<Column>,
    part: usize,
    rows_per_sheet: u32,
    row: u32,
    width: u16,
    tz: Tz,
    money: Format,
    header: Format,
    subtotal: Format,
    subtotal_money: Format,
}

fn failed(e: XlsxError) -> ReportError {
    ReportError::render(e)
}

impl Xlsx {
    pub(crate) fn new(tz: Tz) -> Result<Xlsx, ReportError> {
        Ok(Xlsx {
            book: Workbook::new(),
            sheet: None,
            names: Vec::new(),
            table: String::new(),
            columns: Vec::new(),
            part: 1,
            rows_per_sheet: SHEET_ROWS,
            row: 0,
            width: 0,
            tz,
            money: Format::new().set_num_format("#,##0.00"),
            header: Format::new().set_bold(),
            subtotal: Format::new().set_bold(),
            subtotal_money: Format::new().set_bold().set_num_format("#,##0.00"),
        })
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, ReportError> {
        let i = self.sheet.ok_or_else(|| ReportError::render("no sheet"))?;
        self.book.worksheet_from_index(i).map_err(failed)
    }

    fn put(&mut self, col: u16, cell: &Cell, bold: bool) -> Result<(), ReportError> {
        let (row, tz) = (self.row, self.tz);
        let (money, plain) = if bold {
            (self.subtotal_money.clone(), self.subtotal.clone())
        } else {
            (self.money.clone(), Format::new())
        };
        let sheet = self.sheet()?;
        match cell {
            Cell::Empty => {}
            Cell::Text(t) => {
                sheet.write_string_with_format(row, col, neutralise(t).as_ref(), &plain).map_err(failed)?;
            }
            Cell::Int(n) => {
                // Counts are far below 2^53: exact as a spreadsheet number.
                #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
                let n = *n as f64;
                sheet.write_number_with_format(row, col, n, &plain).map_err(failed)?;
            }
            Cell::Money(d) | Cell::Number(d) => {
                sheet.write_number_with_format(row, col, d.to_f64().unwrap_or_default(), &money).map_err(failed)?;
            }
            Cell::Time(t) => {
                sheet.write_string_with_format(row, col, local_time(*t, tz), &plain).map_err(failed)?;
            }
        }
        Ok(())
    }

    fn column(&mut self, i: usize) -> Result<u16, ReportError> {
        u16::try_from(i).map_err(|_| ReportError::render("too many columns for a sheet"))
    }
}

impl Renderer for Xlsx {
    fn begin(&mut self, _head: &Head<'_>) -> Result<(), ReportError> {
        Ok(())
    }

    fn begin_table(&mut self, name: &str, columns: &[Column]) -> Result<(), ReportError> {
        self.table = name.to_owned();
        self.columns = columns.to_vec();
        self.part = 1;
        self.open_sheet(name)
    }

    fn row(&mut self, cells: &[Cell], kind: RowKind) -> Result<(), ReportError> {
        self.make_room(1)?;
        for (i, c) in cells.iter().enumerate() {
            let col = self.column(i)?;
            self.put(col, c, kind == RowKind::Subtotal)?;
        }
        self.row += 1;
        Ok(())
    }

    fn end_table(&mut self, meta: &[MetaItem], _chart: Option<&str>) -> Result<(), ReportError> {
        if meta.is_empty() {
            return Ok(());
        }
        let rows = u32::try_from(meta.len()).unwrap_or(u32::MAX).saturating_add(1);
        self.make_room(rows)?;
        self.row += 1;
        let width = self.width.max(2);
        for m in meta {
            self.put(width - 2, &Cell::Text(m.label.clone()), true)?;
            self.put(width - 1, &m.value, true)?;
            self.row += 1;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Option<std::fs::File>, ReportError> {
        if self.sheet.is_none() {
            // A workbook needs a sheet.
            self.book.add_worksheet_with_constant_memory().map_err(failed)?;
        }
        let mut file = tempfile::tempfile()?;
        self.book.save_to_writer(&mut file).map_err(failed)?;
        use std::io::Seek;
        file.rewind()?;
        Ok(Some(file))
    }
}

impl Xlsx {
    /// Goes on in the table's next sheet when `rows` more do not fit.
    fn make_room(&mut self, rows: u32) -> Result<(), ReportError> {
        if self.row.saturating_add(rows) <= self.rows_per_sheet {
            return Ok(());
        }
        self.part += 1;
        let name = format!("{} ({})", self.table, self.part);
        self.open_sheet(&name)
    }

    /// A new constant-memory sheet named after `name`, with the header row.
    fn open_sheet(&mut self, name: &str) -> Result<(), ReportError> {
        let columns = std::mem::take(&mut self.columns);
        let opened = self.write_header(name, &columns);
        self.columns = columns;
        opened
    }

    fn write_header(&mut self, name: &str, columns: &[Column]) -> Result<(), ReportError> {
        let sheet_name = entry_name(name, &mut self.names, 31);
        let header = self.header.clone();
        let sheet = self.book.add_worksheet_with_constant_memory().map_err(failed)?;
        sheet.set_name(sheet_name).map_err(failed)?;
        for (i, c) in columns.iter().enumerate() {
            let col = u16::try_from(i).map_err(|_| ReportError::render("too many columns for a sheet"))?;
            let width: f64 = match c.kind {
                Kind::Text => 18.0,
                Kind::Timestamp => 21.0,
                _ => 12.0,
            };
            sheet.set_column_width(col, width.max(c.name.chars().count() as f64 * 0.9)).map_err(failed)?;
            sheet.write_string_with_format(0, col, neutralise(&c.name).as_ref(), &header).map_err(failed)?;
        }
        self.sheet = Some(self.names.len() - 1);
        self.width = self.column(columns.len())?;
        self.row = 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use super::*;
    use std::io::Read;

    #[test]
    fn a_table_longer_than_a_sheet_goes_on_in_the_next_one_with_its_header() {
        let mut x = Xlsx::new(Tz::UTC).unwrap();
        x.rows_per_sheet = 4;
        let columns = [
            Column { name: "Order #".into(), kind: Kind::Text, fold: None },
            Column { name: "Quantity".into(), kind: Kind::Integer, fold: None },
        ];
        x.begin_table("Itemized Shopper", &columns).unwrap();
        for n in 0..7 {
            x.row(&[Cell::Text(format!("A-{n}")), Cell::Int(n)], RowKind::Data).unwrap();
        }
        x.end_table(&[MetaItem { label: "Total quantity".into(), value: Cell::Int(21) }], None).unwrap();
        let mut file = Box::new(x).finish().unwrap().unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut book = String::new();
        zip.by_name("xl/workbook.xml").unwrap().read_to_string(&mut book).unwrap();
        for name in ["Itemized Shopper", "Itemized Shopper (2)", "Itemized Shopper (3)"] {
            assert!(book.contains(&format!("name=\"{name}\"")), "{name} in {book}");
        }
        let mut third = String::new();
        zip.by_name("xl/worksheets/sheet3.xml").unwrap().read_to_string(&mut third).unwrap();
        // Header, the 7th row, a blank row, the meta: rows 1, 2 and 4.
        assert!(third.contains("r=\"A1\"") && third.contains("r=\"A2\"") && third.contains("r=\"A4\""), "{third}");
        assert!(!third.contains("r=\"A5\""), "{third}");
    }
}
