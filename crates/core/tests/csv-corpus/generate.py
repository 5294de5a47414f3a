#!/usr/bin/env python3
"""Writes the awkward CSV corpus that crates/core/tests/csv_corpus.rs checks.
Run once from this directory; the files are committed. The 10 MB field file is made by the
test at run time and is not here."""
import os

H = "Action,Username,Email,First Name,Last Name,Phone,Password,Groups,Roles,Status,Second Factor,Device Limit,Password Expiry,costCenter"

def w(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(name, "wb") as f:
        f.write(data)

w("utf8_bom.csv", b"\xef\xbb\xbf" + "Action,Username,Email,First Name,Last Name\nadd,zoe,zoe@example.com,Zoë,Łukasiewicz\nadd,li,li@example.com,李,王\n".encode())
w("utf8_no_bom.csv", H + "\n"
  "add,alice,alice@example.com,Alice,Liddell,+1 415 555 2671,correct horse battery,Sales|London,Admin,active,totp,3,2027-01-31,42\n"
  "update,bob,,Robert,,,,,,disabled,,,,\n"
  "delete,carol,carol@example.com,,,,,,,,,,,\n")
utf16 = "Action,Username,Email,First Name,Last Name\r\nadd,zoe,zoe@example.com,Zoë,Müller\r\nadd,ann,ann@example.com,Ann,Ødegård\r\n"
w("utf16le_bom.csv", b"\xff\xfe" + utf16.encode("utf-16-le"))
w("utf16be_bom.csv", b"\xfe\xff" + utf16.encode("utf-16-be"))
w("cp1252_names.csv", "Action,Username,Email,First Name,Last Name\r\nadd,zoe,zoe@example.com,Zoë,Müller\r\nadd,francois,francois@example.com,François,Señor\r\n".encode("cp1252"))
w("semicolons.csv", "\ufeffAction;Username;Email;First Name;Groups\r\nadd;ana;ana@example.com;Ana, María;Sales|Madrid\r\nadd;jo;jo@example.com;Jo;\r\n")
w("tabs.tsv", "Action\tUsername\tEmail\tFirst Name\tRoles\nadd\tkim\tkim@example.com\tKim\tAdmin;Helpdesk\nadd\tlee\tlee@example.com\tLee, Jr.\t\n")
w("quoted_newlines.csv", 'Action,Username,Email,First Name,Last Name\n'
  'add,amy,amy@example.com,"Smith, Amy","Line\none"\n'
  'add,ben,ben@example.com,"Ben ""Benny""",Ng\n'
  'add,cat,cat@example.com,Cat,"A,B"\n')
w("crlf.csv", "Action,Username,Email\r\nadd,dan,dan@example.com\r\nADD,eve,eve@example.com\r\n")
w("blank_lines.csv", "\nAction,Username,Email\n\nadd,fay,fay@example.com\n\n\nadd,gus,gus@example.com\n,,\n")
w("entra_version_line.csv", "version:v1.0\r\n"
  "Name [displayName] Required,User name [userPrincipalName] Required,Initial password [passwordProfile] Required,Block sign in (Yes/No) [accountEnabled] Required,First name [givenName],Last name [surname],Job title [jobTitle]\r\n"
  "Chris Green,chris@contoso.com,Sunny-Day-4812,No,Chris,Green,Engineer\r\n"
  "Ben Andrews,ben@contoso.com,Rainy-Night-9921,Yes,Ben,Andrews,\r\n")
w("google_template.csv", "First Name [Required],Last Name [Required],Email Address [Required],Password [Required],Org Unit Path [Required],Mobile Phone,Recovery Email\n"
  "Ana,Lima,ana@example.com,Tall-Green-Tree-1,/,+44 7400 123456,ana@home.example\n"
  "Raj,Patel,raj@example.com,Blue-Ocean-Wave-2,/Sales,,\n")
w("okta_template.csv", "login,firstName,lastName,middleName,honorificPrefix,email,secondEmail,mobilePhone,primaryPhone\n"
  "isaac.brock@example.com,Isaac,Brock,,,isaac.brock@example.com,,+1-415-555-2671,\n"
  "ian.r@example.com,Ian,Ross,Q,Dr,ian.r@example.com,,,+1 415 555 2671\n")
w("bracketed_notes.csv", "Action [add/update/delete],Username [Required],E-mail [required],first_name,LAST-NAME,Device Limit (1-100)\n"
  "add,hal,hal@example.com,Hal,Jordan,10\n")
w("duplicate_rows.csv", "Username,Email\n"
  "alice,alice@example.com\n"
  "bob,bob@example.com\n"
  "ALICE,alice2@example.com\n"
  "carol,Bob@Example.com\n"
  "alice,alice@example.com\n")
w("header_only.csv", H + "\r\n")
w("empty.csv", b"")
w("whitespace_only.csv", "  \r\n\t\r\n\r\n")
w("binary.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4)
w("formula_cells.csv", "Action,Username,Email,First Name,Last Name\n"
  'add,mal,mal@example.com,"=HYPERLINK(""http://evil.example"",""click"")",@SUM(A1)\n'
  "add,mel,mel@example.com,-2+3,+cmd\n")
w("invalid_phones.csv", "Action,Username,Email,Phone\n"
  "add,p1,p1@example.com,+44 7400 123456\n"
  "add,p2,p2@example.com,+44 123\n"
  "add,p3,p3@example.com,+49 1\n"
  "add,p4,p4@example.com,+33 12\n"
  "add,p5,p5@example.com,555-0000\n"
  "add,p6,p6@example.com,call me\n"
  "add,p7,p7@example.com,+91 12345\n")
w("unknown_actions.csv", "Action,Username,Email\n"
  "create,a1,a1@example.com\n"
  "REMOVE,a2,a2@example.com\n"
  ",a3,a3@example.com\n"
  "Add,a4,a4@example.com\n")
w("no_action_column.csv", "Username,Email,First Name\nn1,n1@example.com,Nia\nn2,n2@example.com,Noor\nn3,not-an-email,Ned\n")
w("delete_without_email.csv", "Action,Username,Email\ndelete,d1,\ndelete,d2,d2@example.com\ndelete,,d3@example.com\n")
w("clear_update.csv", H + "\n"
  "update,u1,,<clear>,,<CLEAR>,,<clear>,,,,<clear>,<clear>,<clear>\n"
  "update,u2,<clear>,,,,,,,<clear>,<clear>,,,\n"
  "update,u3,new@example.com,,,,,,,,,,,7\n")
w("wrong_cell_count.csv", "Action,Username,Email\n"
  "add,w1,w1@example.com\n"
  "add,w2\n"
  "add,w3,w3@example.com,surprise\n"
  "add,w4,w4@example.com,,\n")
w("unknown_column.csv", "Action,Username,Email,Shoe Size,Department\nadd,k1,k1@example.com,9,Sales\n")
w("duplicate_column.csv", "Action,Username,Email,mail\nadd,x,x@example.com,x@example.com\n")
w("invalid_fields.csv", H + "\n"
  "add,bad name,nope,,,,aaaaaaaaaaaa,,,gone,sms,0,2026-02-30,abc\n"
  "update,ok.user,,,,,,Sales|a\x07b,,,,101,31/12/2026,\n")
w("no_user_columns.csv", "First Name,Last Name\nAlice,Liddell\n")
w("excel_semicolon_crlf_bom_1252.csv", "Action;Username;Email;First Name;Last Name\r\nadd;jose;jose@example.com;José;Muñoz\r\n".encode("cp1252"))
w("action_without_email_column.csv", "Action,Username,First Name\nadd,o1,Otto\nupdate,o2,Olga\n")
w("updates_only_no_email_column.csv", "Action,Username,First Name,Status\nupdate,o1,Otto,disabled\nUPDATE,o2,,\n")
w("same_user_twice.csv", "Action,Username,Email,First Name\nupdate,t1,,Tom\ndelete,T1,t1@example.com,\nadd,t2,t2@example.com,Tia\nupdate,t2,,Tina\nadd,t3,t3@example.com,Ted\n")
