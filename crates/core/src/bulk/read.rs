//! Bytes → decoded text → header and records.

use std::borrow::Cow;

use super::{FileProblem, Warning};

/// The longest cell kept, in bytes of UTF-8. A longer one is dropped and its row gets a
/// `cell_too_long` problem, so a 10 MB field costs one row, not the import.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// A CSV file as read: its header cells and data rows, as text. The cells of all rows live in
/// one buffer (a million rows cost little more than the file itself); [`CsvTable::row`] gives
/// a view of one row.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// `"UTF-8"`, `"UTF-16LE"`, `"UTF-16BE"` or `"windows-1252"`.
    pub encoding: &'static str,
    /// Whether the file started with a byte order mark.
    pub bom: bool,
    pub delimiter: u8,
    pub headers: Vec<String>,
    /// The header's spreadsheet row: 1, or 2 after Entra's `version:v1.0` line.
    pub header_row: usize,
    pub warnings: Vec<Warning>,
    /// Every kept cell of every data row, one after another.
    text: String,
    /// Where each cell ends in `text` (it starts where the previous one ends).
    ends: Vec<u32>,
    rows: Vec<RowSpan>,
    /// (row index, cell index) of cells over [`MAX_CELL_BYTES`], in row order.
    too_long: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, Copy)]
struct RowSpan {
    /// The spreadsheet row number.
    row: u32,
    /// Index in `ends` of the row's first cell.
    first: u32,
    cells: u32,
}

/// One data row of a [`CsvTable`].
#[derive(Debug, Clone, Copy)]
pub struct CsvRow<'t> {
    /// The spreadsheet row number.
    pub row: usize,
    /// The row's position among the table's data rows.
    pub index: usize,
    table: &'t CsvTable,
    first: usize,
    cells: usize,
}

impl<'t> CsvRow<'t> {
    /// How many cells the row has.
    pub fn len(&self) -> usize {
        self.cells
    }

    pub fn is_empty(&self) -> bool {
        self.cells == 0
    }

    /// Cell `i` as written (unquoted); a cell over [`MAX_CELL_BYTES`] is empty.
    pub fn cell(&self, i: usize) -> Option<&'t str> {
        (i < self.cells).then(|| {
            let k = self.first + i;
            let start = if k == 0 { 0 } else { self.table.ends[k - 1] as usize };
            &self.table.text[start..self.table.ends[k] as usize]
        })
    }

    pub fn cells(&self) -> impl Iterator<Item = &'t str> + '_ {
        (0..self.cells).filter_map(|i| self.cell(i))
    }

    /// The file's delimiter.
    pub fn delimiter(&self) -> u8 {
        self.table.delimiter
    }

    /// Indexes of cells that were over [`MAX_CELL_BYTES`].
    pub fn too_long(&self) -> Vec<usize> {
        let i = self.index as u32;
        let from = self.table.too_long.partition_point(|&(r, _)| r < i);
        self.table.too_long[from..].iter().take_while(|&&(r, _)| r == i).map(|&(_, c)| c as usize).collect()
    }
}

impl CsvTable {
    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Data row `index` (0-based; its spreadsheet number is [`CsvRow::row`]).
    pub fn row(&self, index: usize) -> CsvRow<'_> {
        let s = self.rows[index];
        CsvRow { row: s.row as usize, index, table: self, first: s.first as usize, cells: s.cells as usize }
    }

    pub fn rows(&self) -> impl ExactSizeIterator<Item = CsvRow<'_>> + '_ {
        (0..self.rows.len()).map(|i| self.row(i))
    }
}

/// The largest file [`read`] takes: cell offsets are 32-bit.
pub const MAX_TEXT_BYTES: usize = u32::MAX as usize;

/// Reads a CSV file from its bytes. See the [module documentation](super) for what is accepted.
pub fn read(bytes: &[u8]) -> Result<CsvTable, FileProblem> {
    let (text, encoding, bom) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(FileProblem::new("empty", "The file is empty: it needs a header row and at least one user"));
    }
    if looks_binary(&text) {
        return Err(FileProblem::new("binary", "This is not a CSV file: it holds binary data. Save the sheet as CSV and try again"));
    }

    // The first non-blank line, after Entra's version line, is the header.
    let mut lines = text.split('\n').enumerate().filter(|(_, l)| !l.trim().is_empty());
    let mut header_line = lines.next().map(|(_, l)| l).unwrap_or("");
    let version_line = is_version_line(header_line);
    if version_line {
        header_line = lines.next().map(|(_, l)| l).unwrap_or("");
    }
    let delimiter = detect_delimiter(header_line);

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());

    let mut headers: Option<(Vec<String>, usize)> = None;
    let mut rows: Vec<RowSpan> = Vec::new();
    let (mut cells_text, mut ends, mut too_long) = (String::new(), Vec::<u32>::new(), Vec::<(u32, u32)>::new());
    // Line breaks inside quoted cells so far: a spreadsheet shows such a cell in one row.
    let mut extra_lines = 0usize;
    let mut record = csv::ByteRecord::new();
    let mut seen_version = false;
    let bytes_of_text = text.as_bytes();
    let (mut cursor, mut line) = (0usize, 1usize);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(FileProblem::new("unreadable", format!("The file cannot be read as CSV: {e}")));
            }
        }
        // The csv crate's position is where the previous record ended; step over line ends
        // (blank lines included) to where this one starts, counting lines as we go.
        let mut start = record.position().map_or(0, |p| p.byte() as usize).max(cursor);
        while matches!(bytes_of_text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += line_breaks(&bytes_of_text[cursor..start]);
        cursor = start;
        let row = line.saturating_sub(extra_lines).max(1);
        extra_lines += record.iter().map(line_breaks).sum::<usize>();
        // Bytes came from a String and the delimiters are ASCII: every field is UTF-8.
        let fields = record.iter().map(|f| String::from_utf8_lossy(f));
        if version_line && !seen_version {
            seen_version = true;
            continue;
        }
        match headers {
            None => headers = Some((fields.map(|f| f.trim().trim_start_matches('\u{FEFF}').trim().to_owned()).collect(), row)),
            Some(_) => {
                let (first, mark) = (ends.len(), cells_text.len());
                let mut blank = true;
                let mut long = Vec::new();
                for (i, f) in fields.enumerate() {
                    if f.len() > MAX_CELL_BYTES {
                        long.push((rows.len() as u32, i as u32));
                    } else {
                        blank &= f.trim().is_empty();
                        cells_text.push_str(&f);
                    }
                    if cells_text.len() > MAX_TEXT_BYTES {
                        return Err(FileProblem::new("too_large", "The file is over 4 GB: split it into smaller files"));
                    }
                    ends.push(cells_text.len() as u32);
                }
                if blank && long.is_empty() {
                    // A line of empty cells (";;;") is a blank line.
                    ends.truncate(first);
                    cells_text.truncate(mark);
                    continue;
                }
                too_long.extend(long);
                rows.push(RowSpan { row: row as u32, first: first as u32, cells: (ends.len() - first) as u32 });
            }
        }
    }
    let Some((headers, header_row)) = headers else {
        return Err(FileProblem::new("no_header", "The file has no header row"));
    };
    if headers.iter().all(|h| h.is_empty()) {
        return Err(FileProblem::new("no_header", "The file's header row is empty"));
    }
    let mut warnings = Vec::new();
    if rows.is_empty() {
        warnings.push(Warning::new("no_rows", "The file has a header but no rows: nothing to do"));
    }
    cells_text.shrink_to_fit();
    ends.shrink_to_fit();
    rows.shrink_to_fit();
    Ok(CsvTable { encoding, bom, delimiter, headers, header_row, warnings, text: cells_text, ends, rows, too_long })
}

/// Line breaks in `bytes`: LF, CRLF, or a lone CR (old Mac files).
fn line_breaks(bytes: &[u8]) -> usize {
    bytes.iter().enumerate().filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))).count()
}

fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str, bool), FileProblem> {
    let bad = |name: &str| {
        FileProblem::new("invalid_encoding", format!("The file says it is {name} but is not: save it as CSV UTF-8 and try again"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(|s| (Cow::Borrowed(s), "UTF-8", true)).map_err(|_| bad("UTF-8"));
    }
    for (bom, enc) in [(&b"\xFF\xFE"[..], encoding_rs::UTF_16LE), (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return enc
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| (s, enc.name(), true))
                .ok_or_else(|| bad(enc.name()));
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((Cow::Borrowed(s), "UTF-8", false)),
        Err(_) => {
            let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Ok((s, "windows-1252", false))
        }
    }
}

/// NUL anywhere, or more than 1 in 20 characters a control character other than tab and
/// line breaks (Windows-1252 decodes any byte, so binary data arrives here as text).
fn looks_binary(text: &str) -> bool {
    if text.contains('\0') {
        return true;
    }
    let (mut total, mut control) = (0usize, 0usize);
    for c in text.chars().take(64 * 1024) {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') || c == '\u{FFFD}' {
            control += 1;
        }
    }
    control * 20 > total
}

fn is_version_line(line: &str) -> bool {
    let first = line.split([',', ';', '\t']).next().unwrap_or("").trim().trim_matches('"');
    first.to_ascii_lowercase().starts_with("version:")
        && line.split([',', ';', '\t']).skip(1).all(|c| c.trim().trim_matches('"').is_empty())
}

/// The most frequent of `,` `;` and tab outside double quotes; comma on a tie or none.
fn detect_delimiter(line: &str) -> u8 {
    let (mut comma, mut semi, mut tab) = (0, 0, 0);
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => comma += 1,
            ';' if !quoted => semi += 1,
            '\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if semi > comma && semi >= tab {
        b';'
    } else if tab > comma && tab > semi {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter("a,b;c,d"), b',');
        assert_eq!(detect_delimiter("a;b;c"), b';');
        assert_eq!(detect_delimiter("a\tb\tc"), b'\t');
        assert_eq!(detect_delimiter("\"a,b\";c"), b';');
        assert_eq!(detect_delimiter("single"), b',');
    }

    #[test]
    fn quoted_newlines_keep_spreadsheet_rows() {
        let t = read(b"Username,Email\r\n\"a\nb\nc\",x@example.com\r\n\r\nbob,bob@example.com\r\n").unwrap();
        assert_eq!(t.header_row, 1);
        assert_eq!(t.rows().map(|r| r.row).collect::<Vec<_>>(), vec![2, 4], "blank line is row 3");
        assert_eq!(t.row(0).cell(0), Some("a\nb\nc"));
    }

    #[test]
    fn lone_carriage_returns_count_as_lines() {
        let t = read(b"Username,Email\r\ra,a@example.com\r\"b\rc\",x\rd,d@example.com\r").unwrap();
        assert_eq!(t.rows().map(|r| r.row).collect::<Vec<_>>(), vec![3, 4, 5]);
    }

    #[test]
    fn version_line_is_skipped() {
        let t = read(b"version:v1.0,,\nUser name,Email,x\nbob,b@example.com,\n").unwrap();
        assert_eq!(t.headers, vec!["User name", "Email", "x"]);
        assert_eq!(t.header_row, 2);
        assert_eq!(t.row(0).row, 3);
    }

    #[test]
    fn encodings() {
        assert_eq!(read(b"\xEF\xBB\xBFa\nb\n").unwrap().headers, vec!["a"]);
        let t = read(b"Name\nZo\xEB M\xFCller\n").unwrap();
        assert_eq!(t.encoding, "windows-1252");
        assert_eq!(t.row(0).cell(0), Some("Zoë Müller"));
        assert_eq!(read(b"").unwrap_err().code, "empty");
        assert_eq!(read(b" \r\n\t\n").unwrap_err().code, "empty");
        assert_eq!(read(b"a,b\n\0\0\x01\x02").unwrap_err().code, "binary");
        assert_eq!(read(b"\xFF\xFEa").unwrap_err().code, "invalid_encoding");
    }
}
