//! `roster bulk plan` and `roster bulk template` on the real binary.

mod common;

use common::{code, stderr, stdout, Ws};
use serde_json::{json, Value};

fn write(ws: &Ws, name: &str, text: &str) -> String {
    let path = ws.path.with_file_name(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn plan_json_shape_and_exit_0() {
    let ws = Ws::new();
    ws.add("alice");
    let file = write(&ws, "in.csv", "Action,Username,Email,First Name\nupdate,alice,,Alice\nadd,bob,bob@example.com,Bob\n");
    let out = ws.run(&["--json", "bulk", "plan", &file]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"], json!({"create": 1, "update": 1, "delete": 0, "unchanged": 0, "error": 0}));
    assert_eq!(
        v["rows"][0],
        json!({"row": 2, "action": "update", "outcome": "update", "username": "alice",
               "changes": [{"field": "firstName", "old": null, "new": "Alice"}], "problems": []})
    );
    assert_eq!(v["rows"][1]["outcome"], "create");
    assert_eq!(v["warnings"], json!([]));
    assert_eq!(v["fileProblems"], json!([]));
    assert_eq!(ws.user_count(), 1, "a plan changes nothing");
}

#[test]
fn plan_with_errors_exits_3() {
    let ws = Ws::new();
    ws.add("alice");
    let file = write(&ws, "in.csv", "Action,Username,Email\nadd,alice,x@example.com\ndelete,bob,bob@example.com\n");
    let out = ws.run(&["--json", "bulk", "plan", &file]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["error"], 2);
    assert_eq!(v["rows"][0]["problems"][0], json!({"column": "Username", "code": "taken", "message": "Username alice is taken"}));
    assert_eq!(v["rows"][1]["problems"][0]["code"], "not_found");
    // Human output: counts, then "row N, Column: message".
    let out = ws.run(&["bulk", "plan", &file]);
    assert_eq!(code(&out), 3);
    let text = stdout(&out);
    assert!(text.starts_with("in.csv: 0 to create, 0 to update, 0 to delete, 0 unchanged, 2 rows with errors\n"), "{text}");
    assert!(text.contains("row 2, Username: Username alice is taken\n"), "{text}");
    assert!(text.contains("row 3, Username: No user with username \"bob\"\n"), "{text}");
}

#[test]
fn unreadable_file_exits_3_with_the_reason() {
    let ws = Ws::new();
    ws.add("alice");
    let file = write(&ws, "empty.csv", "");
    let out = ws.run(&["--json", "bulk", "plan", &file]);
    assert_eq!(code(&out), 3);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], json!([]));
    assert_eq!(v["fileProblems"][0]["code"], "empty");
    let out = ws.run(&["bulk", "plan", &file]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
    let missing = ws.path.with_file_name("nope.csv").display().to_string();
    assert_eq!(code(&ws.run(&["bulk", "plan", &missing])), 4);
}

#[test]
fn plan_out_csv_is_neutralised() {
    let ws = Ws::new();
    ws.add("alice");
    let file = write(&ws, "in.csv", "Action,Username,Email,First Name\nadd,=cmd,x@example.com,\nupdate,alice,,-Al\n");
    let plan = ws.path.with_file_name("plan.csv");
    let out = ws.run(&["bulk", "plan", &file, "--out", &plan.display().to_string()]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let text = std::fs::read_to_string(&plan).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Row,Action,Username,Outcome,Changes,Problems"));
    let row2 = lines.next().unwrap();
    assert!(row2.starts_with("2,add,'=cmd,error,"), "{row2}");
    for line in text.lines() {
        for cell in line.split(',') {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?} in {line}");
        }
    }
}

#[test]
fn template_written_and_plans_back() {
    let ws = Ws::new();
    ws.json(&["attr", "define", "costCenter", "--type", "number"]);
    let dir = ws.path.parent().unwrap().to_owned();
    // Default name, in the current folder.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .current_dir(&dir)
        .args(["--workspace", &ws.path.display().to_string(), "bulk", "template"])
        .env_remove("ROSTER_WORKSPACE")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let path = dir.join("bulkUserCsvSample.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(
        "Action,Username,Email,First Name,Last Name,Phone,Password,Groups,Roles,Status,Second Factor,Device Limit,Password Expiry,costCenter\r\n"
    ));
    assert_eq!(text.lines().count(), 4);
    // --out, and it plans cleanly once its update and delete users exist.
    let other = dir.join("sample.csv").display().to_string();
    assert_eq!(ws.json(&["bulk", "template", "--out", &other])["path"], other.as_str());
    assert_eq!(std::fs::read_to_string(&other).unwrap(), text);
    ws.json(&["user", "add", "--username", "john.smith", "--email", "john.smith@example.com"]);
    ws.json(&["user", "add", "--username", "old.user", "--email", "old.user@example.com"]);
    let v = ws.json(&["bulk", "plan", &other]);
    assert_eq!(v["summary"], json!({"create": 1, "update": 1, "delete": 1, "unchanged": 0, "error": 0}));
}

#[test]
fn apply_report_history_and_undo() {
    let ws = Ws::new();
    ws.add("alice");
    for i in 1..=30 {
        ws.add(&format!("u{i:02}"));
    }
    let file = write(&ws, "people.csv", "Action,Username,Email,First Name\nadd,carol,carol@example.com,Carol\nupdate,alice,,Alicia\nadd,dave,broken,\n");
    // Errors: refused with exit 3, nothing applied, the report still written.
    let report = ws.path.with_file_name("result.csv");
    let out = ws.run(&["bulk", "apply", &file, "--report", report.to_str().unwrap()]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("--skip-invalid"), "{}", stderr(&out));
    assert_eq!(ws.user_count(), 31);
    assert!(std::fs::read_to_string(&report).unwrap().contains("add,carol,carol@example.com,Carol,skipped,"));
    // --skip-invalid applies the valid rows; --failed-only writes the failed ones as they were.
    let out = ws.run(&["--json", "bulk", "apply", &file, "--skip-invalid", "--report", report.to_str().unwrap(), "--failed-only"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["created"].as_u64(), v["updated"].as_u64(), v["failed"].as_u64()), (Some(1), Some(1), Some(1)));
    let batch = v["batchId"].as_str().unwrap().to_owned();
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "Action,Username,Email,First Name\r\nadd,dave,broken,\r\n");
    assert_eq!(ws.user("alice")["firstName"], "Alicia");
    let history = ws.json(&["bulk", "history"]);
    assert_eq!(history[0]["id"], batch.as_str());
    assert_eq!(history[0]["fileName"], "people.csv");
    // Changed since: exit 5 naming the user; --force undoes anyway.
    assert_eq!(code(&ws.run(&["user", "edit", "carol", "--last", "Danvers"])), 0);
    let out = ws.run(&["bulk", "undo", &batch]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("carol: Row 2: carol changed since the batch"), "{}", stderr(&out));
    let out = ws.run(&["bulk", "undo", &batch, "--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!("Undid batch {batch}: 1 removed, 1 reverted, 0 re-created")), "{}", stdout(&out));
    assert_eq!(ws.user("alice")["firstName"], "");
    assert_eq!(ws.user_count(), 31);
    assert_eq!(code(&ws.run(&["bulk", "undo", "no-such-batch"])), 4);
}

#[test]
fn deleting_many_users_needs_yes() {
    let ws = Ws::new();
    // 11 of 311 users: under 5%, but more than 10.
    assert_eq!(code(&ws.run(&["demo", "--users", "300"])), 0);
    let mut csv = String::from("Action,Username,Email\n");
    for i in 1..=11 {
        ws.add(&format!("u{i:02}"));
        csv.push_str(&format!("delete,u{i:02},u{i:02}@example.com\n"));
    }
    let file = write(&ws, "leavers.csv", &csv);
    let out = ws.run(&["bulk", "apply", &file]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("This file deletes 11 users: add --yes to confirm"), "{}", stderr(&out));
    assert_eq!(ws.user_count(), 311);
    let out = ws.run(&["bulk", "apply", &file, "--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("0 created, 0 updated, 11 deleted"), "{}", stdout(&out));
    assert_eq!(ws.user_count(), 300);
}
