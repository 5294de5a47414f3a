//! The awkward-file corpus: every file in `tests/csv-corpus/` read, mapped and checked by
//! `roster_core::bulk`, against the outcome expected for it. None may panic.

use std::collections::BTreeMap;

use roster_core::bulk::{self, ParsedRow, Prepared};
use roster_core::{AttributeDefinition, AttributeName, AttributeType, Settings, UserStatus};

fn defs() -> Vec<AttributeDefinition> {
    vec![AttributeDefinition { name: AttributeName::parse("costCenter").unwrap(), kind: AttributeType::Number, required: false }]
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/csv-corpus/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn prepare(bytes: &[u8]) -> Result<Prepared, Vec<bulk::FileProblem>> {
    bulk::prepare(bytes, &Settings::default(), &defs())
}

/// `ok=N problems=[code×n,…] warnings=[…]` or `file=[codes]`.
fn summary(bytes: &[u8]) -> String {
    match prepare(bytes) {
        Err(problems) => format!("file={:?}", problems.iter().map(|p| p.code).collect::<Vec<_>>()),
        Ok(p) => {
            let ok = p.rows.iter().filter(|r| r.result.is_ok()).count();
            let mut codes: BTreeMap<String, usize> = BTreeMap::new();
            for r in &p.rows {
                if let Err(problems) = &r.result {
                    for pr in problems {
                        *codes.entry(pr.code.clone()).or_default() += 1;
                    }
                }
            }
            let codes: Vec<String> = codes.into_iter().map(|(c, n)| format!("{c}×{n}")).collect();
            let warnings: Vec<&str> = p.warnings.iter().map(|w| w.code).collect();
            format!("ok={ok} problems=[{}] warnings=[{}]", codes.join(","), warnings.join(","))
        }
    }
}

/// File → expected outcome: `file=[codes]` for a refused file, else the ok rows, the row
/// problems by code and the warnings in order.
const EXPECTED: &[(&str, &str)] = &[
    ("action_without_email_column.csv", r#"file=["missing_column"]"#),
    ("binary.bin", r#"file=["binary"]"#),
    ("blank_lines.csv", "ok=2 problems=[] warnings=[]"),
    ("bracketed_notes.csv", "ok=1 problems=[] warnings=[]"),
    ("clear_update.csv", "ok=2 problems=[not_clearable×3] warnings=[]"),
    ("cp1252_names.csv", "ok=2 problems=[] warnings=[]"),
    ("crlf.csv", "ok=2 problems=[] warnings=[]"),
    ("delete_without_email.csv", "ok=1 problems=[required×2] warnings=[]"),
    ("duplicate_column.csv", r#"file=["duplicate_column"]"#),
    ("duplicate_rows.csv", "ok=2 problems=[duplicate_in_file×4] warnings=[]"),
    ("empty.csv", r#"file=["empty"]"#),
    ("entra_version_line.csv", "ok=2 problems=[] warnings=[unknown_column,unknown_column,email_from_username]"),
    ("excel_semicolon_crlf_bom_1252.csv", "ok=1 problems=[] warnings=[]"),
    ("formula_cells.csv", "ok=2 problems=[] warnings=[]"),
    ("google_template.csv", "ok=2 problems=[] warnings=[unknown_column,unknown_column,username_from_email]"),
    ("header_only.csv", "ok=0 problems=[] warnings=[no_rows]"),
    (
        "invalid_fields.csv",
        "ok=0 problems=[invalid_characters×2,invalid_date×2,invalid_email×1,invalid_number×1,invalid_value×4,weak_password×1] warnings=[]",
    ),
    ("invalid_phones.csv", "ok=1 problems=[invalid_phone×6] warnings=[]"),
    ("no_action_column.csv", "ok=2 problems=[invalid_email×1] warnings=[]"),
    ("no_user_columns.csv", r#"file=["missing_column"]"#),
    ("okta_template.csv", "ok=2 problems=[] warnings=[unknown_column,unknown_column,unknown_column,unknown_column]"),
    ("quoted_newlines.csv", "ok=2 problems=[invalid_characters×1] warnings=[]"),
    ("same_user_twice.csv", "ok=3 problems=[duplicate_in_file×2] warnings=[]"),
    ("semicolons.csv", "ok=2 problems=[] warnings=[]"),
    ("tabs.tsv", "ok=2 problems=[] warnings=[]"),
    ("unknown_actions.csv", "ok=1 problems=[missing_cell×1,unknown_action×2] warnings=[]"),
    ("unknown_column.csv", "ok=1 problems=[] warnings=[unknown_column,unknown_column]"),
    ("updates_only_no_email_column.csv", "ok=2 problems=[] warnings=[]"),
    ("utf16be_bom.csv", "ok=2 problems=[] warnings=[]"),
    ("utf16le_bom.csv", "ok=2 problems=[] warnings=[]"),
    ("utf8_bom.csv", "ok=2 problems=[] warnings=[]"),
    ("utf8_no_bom.csv", "ok=3 problems=[] warnings=[]"),
    ("whitespace_only.csv", r#"file=["empty"]"#),
    ("wrong_cell_count.csv", "ok=2 problems=[wrong_cell_count×2] warnings=[]"),
];

#[test]
fn every_corpus_file_has_its_expected_outcome() {
    let dir = format!("{}/tests/csv-corpus", env!("CARGO_MANIFEST_DIR"));
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".py"))
        .collect();
    on_disk.sort();
    let listed: Vec<String> = EXPECTED.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(on_disk, listed, "every corpus file has an expected outcome, and only those");
    assert!(listed.len() >= 25);
    let mut failures = Vec::new();
    for (name, expected) in EXPECTED {
        let got = summary(&corpus(name));
        if got != *expected {
            failures.push(format!("{name}:\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn problems(p: &Prepared) -> Vec<(usize, String, String, String)> {
    p.rows
        .iter()
        .filter_map(|r| r.result.as_ref().err())
        .flatten()
        .map(|pr| (pr.row, pr.column.clone(), pr.code.clone(), pr.message.clone()))
        .collect()
}

fn first_names(p: &Prepared) -> Vec<String> {
    p.rows
        .iter()
        .filter_map(|r| match &r.result {
            Ok(ParsedRow::Add(a)) => a.user.first_name.as_ref().map(|n| n.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn encodings_decode_names() {
    for file in ["utf16le_bom.csv", "utf16be_bom.csv", "cp1252_names.csv"] {
        let p = prepare(&corpus(file)).unwrap();
        assert_eq!(first_names(&p)[0], "Zoë", "{file}");
        let last = match &p.rows[0].result {
            Ok(ParsedRow::Add(a)) => a.user.last_name.as_ref().unwrap().to_string(),
            _ => unreachable!(),
        };
        assert_eq!(last, "Müller", "{file}");
    }
    assert_eq!(prepare(&corpus("cp1252_names.csv")).unwrap().table.encoding, "windows-1252");
    assert_eq!(prepare(&corpus("utf16be_bom.csv")).unwrap().table.encoding, "UTF-16BE");
    let p = prepare(&corpus("excel_semicolon_crlf_bom_1252.csv")).unwrap();
    assert_eq!(p.table.delimiter, b';');
    assert_eq!(first_names(&p), vec!["José"]);
    assert_eq!(first_names(&prepare(&corpus("utf8_bom.csv")).unwrap()), vec!["Zoë", "李"]);
}

#[test]
fn delimiters_and_lists() {
    let p = prepare(&corpus("semicolons.csv")).unwrap();
    assert_eq!(p.table.delimiter, b';');
    assert_eq!(first_names(&p)[0], "Ana, María");
    let Ok(ParsedRow::Add(a)) = &p.rows[0].result else { panic!() };
    assert_eq!(a.groups.iter().map(|g| g.as_str()).collect::<Vec<_>>(), vec!["Sales", "Madrid"]);
    let p = prepare(&corpus("tabs.tsv")).unwrap();
    assert_eq!(p.table.delimiter, b'\t');
    let Ok(ParsedRow::Add(a)) = &p.rows[0].result else { panic!() };
    assert_eq!(a.roles.iter().map(|g| g.as_str()).collect::<Vec<_>>(), vec!["Admin", "Helpdesk"], "; separates when it is not the delimiter");
}

#[test]
fn row_numbers_are_the_spreadsheet_rows() {
    let p = prepare(&corpus("quoted_newlines.csv")).unwrap();
    assert_eq!(p.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![2, 3, 4], "a quoted line break stays in its row");
    assert_eq!(
        problems(&p),
        vec![(2, "Last Name".into(), "invalid_characters".into(), "Last name cannot contain control characters such as tabs or line breaks".into())]
    );
    assert_eq!(first_names(&p), vec![r#"Ben "Benny""#, "Cat"]);
    let p = prepare(&corpus("blank_lines.csv")).unwrap();
    assert_eq!(p.table.header_row, 2);
    assert_eq!(p.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![4, 7], "blank lines are rows a spreadsheet shows");
    let p = prepare(&corpus("entra_version_line.csv")).unwrap();
    assert_eq!(p.table.header_row, 2);
    assert_eq!(p.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![3, 4]);
}

#[test]
fn vendor_templates_import_as_they_are() {
    let p = prepare(&corpus("entra_version_line.csv")).unwrap();
    let statuses: Vec<_> = p
        .rows
        .iter()
        .map(|r| match &r.result {
            Ok(ParsedRow::Add(a)) => (a.user.username.to_string(), a.user.email.to_string(), a.status, a.user.password.is_some()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("chris@contoso.com".into(), "chris@contoso.com".into(), Some(UserStatus::Active), true),
            ("ben@contoso.com".into(), "ben@contoso.com".into(), Some(UserStatus::Disabled), true),
        ],
        "Block sign in = Yes means disabled"
    );
    let w: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(w[0].contains("\"Name [displayName] Required\""), "{w:?}");
    let p = prepare(&corpus("google_template.csv")).unwrap();
    let Ok(ParsedRow::Add(a)) = &p.rows[0].result else { panic!("{:?}", p.rows[0]) };
    assert_eq!((a.user.username.as_str(), a.user.phone.as_ref().unwrap().as_e164()), ("ana@example.com", "+447400123456"));
    let p = prepare(&corpus("okta_template.csv")).unwrap();
    let Ok(ParsedRow::Add(a)) = &p.rows[0].result else { panic!("{:?}", p.rows[0]) };
    assert_eq!((a.user.username.as_str(), a.user.first_name.as_ref().unwrap().as_str()), ("isaac.brock@example.com", "Isaac"));
    let p = prepare(&corpus("bracketed_notes.csv")).unwrap();
    let Ok(ParsedRow::Add(a)) = &p.rows[0].result else { panic!("{:?}", p.rows[0]) };
    assert_eq!(a.device_limit.unwrap().get(), 10);
}

#[test]
fn exact_messages() {
    let p = prepare(&corpus("duplicate_rows.csv")).unwrap();
    let got = problems(&p);
    assert_eq!(got[0], (4, "Username".into(), "duplicate_in_file".into(), "Username \"ALICE\" is already on row 2: a file changes each user once".into()));
    assert_eq!(got[1], (5, "Email".into(), "duplicate_in_file".into(), "Email \"Bob@Example.com\" is already added on row 3".into()));
    assert_eq!(got.len(), 4);

    let p = prepare(&corpus("unknown_actions.csv")).unwrap();
    assert_eq!(
        problems(&p),
        vec![
            (2, "Action".into(), "unknown_action".into(), "\"create\" is not an action: use add, update or delete".into()),
            (3, "Action".into(), "unknown_action".into(), "\"REMOVE\" is not an action: use add, update or delete".into()),
            (4, "Action".into(), "missing_cell".into(), "Enter an action: add, update or delete".into()),
        ]
    );

    let p = prepare(&corpus("delete_without_email.csv")).unwrap();
    let got = problems(&p);
    assert_eq!(got[0], (2, "Email".into(), "required".into(), "Enter the user's email too: a delete needs both the username and the email".into()));
    assert_eq!(got[1], (4, "Username".into(), "required".into(), "Enter a username".into()), "the form's own message");
    assert!(matches!(&p.rows[1].result, Ok(ParsedRow::Delete { username, email }) if username.as_str() == "d2" && email.as_str() == "d2@example.com"));

    let p = prepare(&corpus("invalid_phones.csv")).unwrap();
    let got = problems(&p);
    assert!(got.iter().all(|(_, col, code, _)| col == "Phone" && code == "invalid_phone"));
    let messages: Vec<&str> = got.iter().map(|p| p.3.as_str()).collect();
    assert_eq!(messages, PHONE_MESSAGES, "the form's own messages");

    let p = prepare(&corpus("wrong_cell_count.csv")).unwrap();
    assert_eq!(problems(&p)[0], (3, "".into(), "wrong_cell_count".into(), "This row has 2 cells but the header has 3: check for a missing or extra delimiter".into()));

    let p = prepare(&corpus("invalid_fields.csv")).unwrap();
    let got = problems(&p);
    let row2: Vec<(&str, &str)> = got.iter().filter(|p| p.0 == 2).map(|p| (p.1.as_str(), p.2.as_str())).collect();
    assert_eq!(
        row2,
        vec![
            ("Username", "invalid_characters"),
            ("Email", "invalid_email"),
            ("Password", "weak_password"),
            ("costCenter", "invalid_number"),
            ("Status", "invalid_value"),
            ("Second Factor", "invalid_value"),
            ("Device Limit", "invalid_value"),
            ("Password Expiry", "invalid_date"),
        ],
        "form order first, then the other columns"
    );
    assert!(got.iter().any(|p| p.3 == "Password expiry must be a date as YYYY-MM-DD (got \"31/12/2026\")"));
    assert!(got.iter().any(|p| p.1 == "Groups" && p.3 == "A group name cannot contain | ; or control characters"));

    let p = prepare(&corpus("same_user_twice.csv")).unwrap();
    assert_eq!(
        problems(&p),
        vec![
            (3, "Username".into(), "duplicate_in_file".into(), "Username \"T1\" is already on row 2: a file changes each user once".into()),
            (5, "Username".into(), "duplicate_in_file".into(), "Username \"t2\" is already on row 4: a file changes each user once".into()),
        ]
    );

    let Err(fp) = prepare(&corpus("action_without_email_column.csv")) else { panic!() };
    assert_eq!(fp[0].message, "The file has add or delete rows, so it needs an Email column");
    let Err(fp) = prepare(&corpus("duplicate_column.csv")) else { panic!() };
    assert_eq!(fp[0].message, "Columns \"Email\" and \"mail\" both give Email: keep one of them");
    let p = prepare(&corpus("unknown_column.csv")).unwrap();
    assert_eq!(p.warnings[0].message, "Column \"Shoe Size\" is not one Roster knows; it is ignored");
}

const PHONE_MESSAGES: &[&str] = &[
    "\"+44 123\" is not a valid phone number for country code +44",
    "\"+49 1\" is not a phone number: use digits, with the country code like +44 7400 123456",
    "\"+33 12\" is not a phone number: use digits, with the country code like +44 7400 123456",
    "\"555-0000\" is not a valid phone number for country code +1",
    "\"call me\" is not a phone number: use digits, with the country code like +44 7400 123456",
    "\"+91 12345\" is not a valid phone number for IN",
];

#[test]
fn clear_in_an_update() {
    use roster_core::bulk::Change;
    let p = prepare(&corpus("clear_update.csv")).unwrap();
    let Ok(ParsedRow::Update(u)) = &p.rows[0].result else { panic!("{:?}", p.rows[0]) };
    assert_eq!(u.username.as_str(), "u1");
    assert!(u.email.is_none() && u.last_name.is_keep() && u.password.is_none() && u.status.is_none());
    assert!(matches!(u.first_name, Change::Clear) && matches!(u.phone, Change::Clear) && matches!(u.groups, Change::Clear));
    assert!(matches!(u.device_limit, Change::Clear) && matches!(u.password_expiry, Change::Clear));
    assert!(matches!(u.attributes.as_slice(), [(n, Change::Clear)] if n == "costCenter"));
    assert_eq!(u.edit.first_name.as_deref(), Some(""), "the form's edit clears with an empty string");
    assert_eq!(u.edit.attributes, vec![("costCenter".to_string(), String::new())]);
    let cols: Vec<String> = problems(&p).into_iter().map(|p| p.1).collect();
    assert_eq!(cols, vec!["Email", "Status", "Second Factor"]);
    let Ok(ParsedRow::Update(u)) = &p.rows[2].result else { panic!() };
    assert_eq!(u.email.as_ref().unwrap().as_str(), "new@example.com");
    assert_eq!(u.edit.email.as_deref(), Some("new@example.com"));
}

#[test]
fn formula_looking_names_are_data() {
    let p = prepare(&corpus("formula_cells.csv")).unwrap();
    let names = first_names(&p);
    assert_eq!(names[0], r#"=HYPERLINK("http://evil.example","click")"#);
    assert_eq!(bulk::neutralise(&names[0]), format!("'{}", names[0]), "neutralised when Roster writes it back");
    assert_eq!(bulk::neutralise(&names[1]), "'-2+3");
}

#[test]
fn a_ten_megabyte_field_costs_one_row() {
    let mut bytes = b"Action,Username,Email,First Name\nadd,big,big@example.com,\"".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    bytes.extend(b"\"\nadd,small,small@example.com,Sam\n");
    let p = prepare(&bytes).unwrap();
    assert_eq!(
        problems(&p),
        vec![(2, "First Name".into(), "cell_too_long".into(), "This cell is longer than 64 KiB; Roster does not read it".into())]
    );
    assert!(p.rows[1].result.is_ok());
    assert_eq!(p.rows[1].row, 3);
}

#[test]
fn garbage_never_panics() {
    // A few hostile shapes beyond the corpus: unbalanced quotes, lone CRs, odd BOMs, NULs.
    let inputs: &[&[u8]] = &[
        b"\"",
        b"Username,Email\n\"unterminated,x@example.com\n",
        b"Username,Email\rbob,bob@example.com\r",
        b"\xFE\xFF\x00",
        b"\xEF\xBB\xBF",
        b"version:v1.0\n",
        b",,,\n,,,\n",
        b"Username;Email,Phone\tx\n",
        b"\xFF\xFE\x00\xD8",
        b"Action\nadd\n",
    ];
    for input in inputs {
        let _ = summary(input);
    }
}
