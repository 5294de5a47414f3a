//! The client against a real scim2-server, with the Roster extension schema loaded and
//! without it: discovery, users and groups written and read back, paging, and the errors a
//! server answers (401, 409, 412, 400). Every write is checked with a plain GET straight to
//! the server.

mod common;

use common::{test_user, ScimServer, ServerOptions, TOKEN};
use roster_core::Secret;
use roster_scim::{
    BulkLimits, BulkOperation, BulkOptions, Client, CustomAttribute, EnterpriseUser, Filter, Group,
    ListQuery, MultiValue, PatchOp, Reference, Resource, RosterUser, ScimErrorCode, Session, User,
    ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA, USER_SCHEMA,
};
use serde_json::json;

#[test]
fn discovery_reads_what_the_server_supports() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let client = server.client();
    let caps = client.discover().unwrap();
    assert!(caps.patch && caps.etag && caps.filter && caps.change_password && caps.sort);
    assert_eq!(
        caps.bulk,
        Some(BulkLimits {
            max_operations: 1000,
            max_payload_size: 1_048_576
        })
    );
    assert_eq!(caps.max_results, Some(1000));
    assert!(
        caps.roster_extension,
        "loaded with --schema and attached to User"
    );
    assert!(caps.enterprise_extension);
    assert!(
        caps.schemas.iter().any(|s| s == ROSTER_USER_SCHEMA),
        "{:?}",
        caps.schemas
    );
    assert_eq!(caps.authentication_schemes, ["oauthbearertoken"]);
    assert_eq!(client.capabilities(), Some(caps.clone()));
    // The window shows it as JSON.
    let json = serde_json::to_value(&caps).unwrap();
    assert_eq!(json["bulk"]["maxOperations"], 1000);
    assert_eq!(json["rosterExtension"], true);

    let plain = ScimServer::start(ServerOptions::without_extension());
    let caps = plain.client().discover().unwrap();
    assert!(!caps.roster_extension);
    assert!(!caps.schemas.iter().any(|s| s == ROSTER_USER_SCHEMA));
    assert!(caps.enterprise_extension);
}

/// A user with every attribute Roster maps; the Roster extension when `extension`.
fn full_user(extension: bool) -> User {
    let mut user = test_user("alice", 1);
    user.phone_numbers = vec![MultiValue {
        value: "+447400123456".into(),
        kind: Some("work".into()),
        ..MultiValue::default()
    }];
    user.roles = vec![MultiValue::new("Auditor")];
    user.password = Some(Secret::new("a long enough password".into()));
    user.enterprise = Some(EnterpriseUser {
        cost_center: Some("4200".into()),
        department: Some("Sales".into()),
        ..EnterpriseUser::default()
    });
    if extension {
        user.roster = Some(RosterUser {
            second_factor: Some("totp".into()),
            mfa_enrolled: Some(true),
            device_limit: Some(3),
            password_expires_at: Some("2027-03-31T00:00:00Z".into()),
            sessions: Vec::new(),
            custom_attributes: vec![CustomAttribute {
                name: "costCenter".into(),
                value: "4200".into(),
            }],
        });
    }
    user
}

fn user_lifecycle(options: ServerOptions) {
    let extension = options.roster_extension;
    let server = ScimServer::start(options);
    let client = server.client();
    let caps = client.discover().unwrap();

    // Create.
    let mut user = full_user(true);
    caps.fit_user(&mut user);
    assert_eq!(user.roster.is_some(), extension);
    let created = client.create(&user).unwrap();
    let id = created.id.clone().expect("the server gives an id");
    let version = created.version().expect("an ETag").to_owned();
    let stored = server.get(&format!("/Users/{id}"));
    assert_eq!(stored["userName"], "alice1");
    assert_eq!(stored["externalId"], "ext-alice1");
    assert_eq!(
        stored["name"],
        json!({"givenName": "Given1", "familyName": "Family1"})
    );
    assert_eq!(
        stored["emails"],
        json!([{"value": "alice1@example.com", "type": "work", "primary": true}])
    );
    assert_eq!(
        stored["phoneNumbers"],
        json!([{"value": "+447400123456", "type": "work"}])
    );
    assert_eq!(stored["roles"], json!([{"value": "Auditor"}]));
    assert_eq!(stored["active"], true);
    assert_eq!(stored[ENTERPRISE_USER_SCHEMA]["costCenter"], "4200");
    assert!(stored.get("password").is_none(), "never returned");
    if extension {
        assert_eq!(
            stored[ROSTER_USER_SCHEMA],
            json!({
                "secondFactor": "totp", "mfaEnrolled": true, "deviceLimit": 3,
                "passwordExpiresAt": "2027-03-31T00:00:00Z",
                "customAttributes": [{"name": "costCenter", "value": "4200"}]
            })
        );
    } else {
        assert!(stored.get(ROSTER_USER_SCHEMA).is_none());
    }

    // Get: the same as the server holds.
    let read: User = client.get(&id).unwrap();
    assert_eq!(
        serde_json::to_value(&read).unwrap()["emails"],
        stored["emails"]
    );
    assert_eq!(read.roster, created.roster);

    // Patch only what changed, with If-Match.
    let mut changed = read.clone();
    changed.name.as_mut().unwrap().given_name = Some("Alicia".into());
    changed.active = Some(false);
    if let Some(roster) = &mut changed.roster {
        roster.device_limit = None;
        roster.second_factor = Some("hardware_key".into());
    }
    let patch = PatchOp::diff(&read, &changed);
    let paths: Vec<&str> = patch
        .operations
        .iter()
        .filter_map(|o| o.path.as_deref())
        .collect();
    if extension {
        assert_eq!(
            paths,
            [
                "active",
                "name.givenName",
                &format!("{ROSTER_USER_SCHEMA}:deviceLimit"),
                &format!("{ROSTER_USER_SCHEMA}:secondFactor")
            ]
        );
    } else {
        assert_eq!(paths, ["active", "name.givenName"]);
    }
    let patched = client.patch::<User>(&id, &patch, Some(&version)).unwrap();
    let new_version = patched.version.clone().expect("a new ETag");
    assert_ne!(new_version, version);
    let stored = server.get(&format!("/Users/{id}"));
    assert_eq!(stored["name"]["givenName"], "Alicia");
    assert_eq!(stored["name"]["familyName"], "Family1", "untouched");
    assert_eq!(stored["active"], false);
    assert_eq!(stored["meta"]["version"], new_version.as_str());
    if extension {
        assert_eq!(stored[ROSTER_USER_SCHEMA]["secondFactor"], "hardware_key");
        assert!(stored[ROSTER_USER_SCHEMA].get("deviceLimit").is_none());
        assert_eq!(stored[ROSTER_USER_SCHEMA]["mfaEnrolled"], true, "untouched");
    }

    // The stale version is refused (412) and changes nothing.
    let stale = client
        .patch::<User>(
            &id,
            &PatchOp::new(vec![]).replace("active", true),
            Some(&version),
        )
        .unwrap_err();
    assert_eq!(stale.code(), ScimErrorCode::PreconditionFailed, "{stale}");
    assert_eq!(stale.status(), Some(412));
    assert!(!stale.maybe_applied());
    assert_eq!(server.get(&format!("/Users/{id}"))["active"], false);

    // Replace whole: what is left out is gone.
    let mut whole: User = client.get(&id).unwrap();
    whole.phone_numbers.clear();
    whole.roles.clear();
    whole.display_name = Some("Alicia L.".into());
    let replaced = client.replace(&whole).unwrap();
    assert_ne!(replaced.version(), Some(new_version.as_str()));
    let stored = server.get(&format!("/Users/{id}"));
    assert_eq!(stored["displayName"], "Alicia L.");
    assert!(stored.get("phoneNumbers").is_none(), "{stored}");
    assert!(stored.get("roles").is_none(), "{stored}");
    assert_eq!(stored["userName"], "alice1");
    assert_eq!(
        stored[ENTERPRISE_USER_SCHEMA]["department"], "Sales",
        "kept by the PUT"
    );
    // A replace naming the old version is refused too.
    let error = client.replace(&whole).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::PreconditionFailed);

    // Found by externalId and by userName (case-insensitively: the server compares so).
    let found = client
        .find_user_by_external_id("ext-alice1")
        .unwrap()
        .unwrap();
    assert_eq!(found.id.as_deref(), Some(id.as_str()));
    assert_eq!(
        client.find_user_by_user_name("ALICE1").unwrap().unwrap().id,
        found.id
    );
    assert!(client.find_user_by_external_id("nobody").unwrap().is_none());

    // Delete.
    client.delete::<User>(&id, replaced.version()).unwrap();
    assert_eq!(server.raw("GET", &format!("/Users/{id}"), None).0, 404);
    let error = client.delete::<User>(&id, None).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::NotFound);
    let error = client.get::<User>(&id).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::NotFound);
    assert_eq!(error.status(), Some(404));

    let dump = server.stop_and_dump();
    assert!(dump.is_empty(), "the only user was deleted: {dump:?}");
}

#[test]
fn a_user_is_created_read_patched_replaced_and_deleted_with_the_extension() {
    user_lifecycle(ServerOptions::with_extension());
}

#[test]
fn a_user_is_created_read_patched_replaced_and_deleted_without_the_extension() {
    user_lifecycle(ServerOptions::without_extension());
}

#[test]
fn the_password_reaches_the_server_and_never_comes_back() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let client = server.client();
    let mut user = test_user("pw", 1);
    user.password = Some(Secret::new("correct horse battery staple".into()));
    let created = client.create(&user).unwrap();
    assert!(created.password.is_none());
    let id = created.id.unwrap();
    client
        .patch::<User>(
            &id,
            &PatchOp::new(vec![]).set_password(&Secret::new("another long password".into())),
            None,
        )
        .unwrap();
    assert!(server
        .get(&format!("/Users/{id}"))
        .get("password")
        .is_none());
    let dump = server.stop_and_dump();
    let stored = dump
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("in the dump");
    assert_eq!(
        stored["password"], "another long password",
        "the server keeps what was sent"
    );
}

#[test]
fn without_the_extension_roster_attributes_are_refused_unless_fitted() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let client = server.client();
    let caps = client.discover().unwrap();
    let mut user = full_user(true);
    user.fill_schemas();
    let error = client.create(&user).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Invalid);
    assert_eq!(error.status(), Some(400));
    assert!(
        error.detail().unwrap().contains(ROSTER_USER_SCHEMA),
        "the server's detail is kept: {error}"
    );
    assert!(!error.maybe_applied());
    assert!(server.all("Users").is_empty());

    caps.fit_user(&mut user);
    assert_eq!(user.schemas, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
    client.create(&user).unwrap();
    assert_eq!(server.all("Users").len(), 1);
}

#[test]
fn sessions_are_kept_by_the_server_and_revoked_by_patch() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let client = server.client();
    // Sign-ins are the directory's; here the test plays it and writes them in.
    let (status, body) = server.raw(
        "POST",
        "/Users",
        Some(&json!({
            "schemas": [USER_SCHEMA, ROSTER_USER_SCHEMA],
            "userName": "sam",
            ROSTER_USER_SCHEMA: {"sessions": [
                {"id": "s1", "device": "laptop", "ip": "10.0.0.1", "userAgent": "Firefox",
                 "startedAt": "2026-11-01T10:00:00Z", "lastSeenAt": "2026-11-02T10:00:00Z"},
                {"id": "s2", "device": "phone"},
                {"id": "s3", "device": "tablet"}
            ]}
        })),
    );
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();

    let user: User = client.get(&id).unwrap();
    let sessions = &user
        .roster
        .as_ref()
        .unwrap_or_else(|| panic!("no sessions: {body}"))
        .sessions;
    assert_eq!(sessions.len(), 3);
    assert_eq!(
        sessions[0],
        Session {
            id: "s1".into(),
            device: Some("laptop".into()),
            ip: Some("10.0.0.1".into()),
            user_agent: Some("Firefox".into()),
            started_at: Some("2026-11-01T10:00:00Z".into()),
            last_seen_at: Some("2026-11-02T10:00:00Z".into()),
        }
    );

    // Changing other Roster attributes leaves the sessions alone.
    let mut changed = user.clone();
    changed.roster.as_mut().unwrap().mfa_enrolled = Some(false);
    client
        .patch::<User>(&id, &PatchOp::diff(&user, &changed), user.version())
        .unwrap();
    let stored = server.get(&format!("/Users/{id}"));
    assert_eq!(
        stored[ROSTER_USER_SCHEMA]["sessions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(stored[ROSTER_USER_SCHEMA]["mfaEnrolled"], false);

    client
        .patch::<User>(&id, &PatchOp::new(vec![]).revoke_session("s2"), None)
        .unwrap();
    let stored = server.get(&format!("/Users/{id}"));
    let ids: Vec<&str> = stored[ROSTER_USER_SCHEMA]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["s1", "s3"]);

    // A replace sends the sessions back as read, so it does not revoke them.
    let read: User = client.get(&id).unwrap();
    client.replace(&read).unwrap();
    assert_eq!(
        server.get(&format!("/Users/{id}"))[ROSTER_USER_SCHEMA]["sessions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    client
        .patch::<User>(&id, &PatchOp::new(vec![]).revoke_all_sessions(), None)
        .unwrap();
    let stored = server.get(&format!("/Users/{id}"));
    assert!(
        stored
            .get(ROSTER_USER_SCHEMA)
            .and_then(|r| r.get("sessions"))
            .is_none(),
        "{stored}"
    );
}

#[test]
fn groups_hold_members() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let client = server.client();
    client.discover().unwrap();
    let ids: Vec<String> = (0..4)
        .map(|n| client.create(&test_user("member", n)).unwrap().id.unwrap())
        .collect();

    let mut group = Group::new("Sales");
    group.external_id = Some("grp-sales".into());
    group.members = vec![Reference::user(&ids[0]), Reference::user(&ids[1])];
    let created = client.create(&group).unwrap();
    let gid = created.id.clone().unwrap();
    let members = |server: &ScimServer| -> Vec<String> {
        let stored = server.get(&format!("/Groups/{gid}"));
        let mut members: Vec<String> = stored["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| m["value"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        members.sort();
        members
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        members(&server),
        sorted(vec![ids[0].clone(), ids[1].clone()])
    );
    assert_eq!(
        server.get(&format!("/Groups/{gid}"))["displayName"],
        "Sales"
    );

    // Add two, remove one, with If-Match.
    let patch = PatchOp::new(vec![])
        .add_members([ids[2].as_str(), ids[3].as_str()])
        .remove_members([ids[0].as_str()]);
    let patched = client
        .patch::<Group>(&gid, &patch, created.version())
        .unwrap();
    assert_eq!(
        members(&server),
        sorted(vec![ids[1].clone(), ids[2].clone(), ids[3].clone()])
    );

    // Rename by replace, keeping the members read.
    let mut read: Group = client.get(&gid).unwrap();
    assert_eq!(read.version(), patched.version.as_deref());
    read.display_name = "Sales EMEA".into();
    client.replace(&read).unwrap();
    assert_eq!(
        server.get(&format!("/Groups/{gid}"))["displayName"],
        "Sales EMEA"
    );
    assert_eq!(members(&server).len(), 3);
    assert_eq!(
        client
            .find_group_by_external_id("grp-sales")
            .unwrap()
            .unwrap()
            .id
            .as_deref(),
        Some(gid.as_str())
    );
    assert_eq!(
        client
            .find_group_by_display_name("Sales EMEA")
            .unwrap()
            .unwrap()
            .id
            .as_deref(),
        Some(gid.as_str())
    );

    client.delete::<Group>(&gid, None).unwrap();
    assert_eq!(server.raw("GET", &format!("/Groups/{gid}"), None).0, 404);
    assert_eq!(
        server.all("Users").len(),
        4,
        "deleting a group deletes no user"
    );
}

/// 250 users, made with one bulk request.
fn fill(server: &ScimServer, client: &Client, n: usize) {
    let ops: Vec<BulkOperation> = (0..n)
        .map(|i| BulkOperation::create(format!("u{i}"), &test_user("page", i)))
        .collect();
    let report = client.bulk(&ops, &BulkOptions::default(), &()).unwrap();
    assert_eq!(report.succeeded(), n);
    assert_eq!(server.all("Users").len(), n);
}

#[test]
fn paging_reads_250_users_in_small_pages() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let client = server.client();
    client.discover().unwrap();
    fill(&server, &client, 250);

    let query = ListQuery {
        page_size: 40,
        ..ListQuery::default()
    };
    let mut starts = Vec::new();
    let paging = client
        .for_each_page(&query, |page: roster_scim::ListResponse<User>| {
            starts.push((page.start_index, page.items_per_page, page.resources.len()));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(paging.pages, 7, "{starts:?}");
    assert_eq!(paging.received, 250);
    assert_eq!(paging.total_results, 250);
    assert_eq!(starts[0], (Some(1), Some(40), 40));
    assert_eq!(starts[6], (Some(241), Some(10), 10));

    let users: Vec<User> = client.list(&query).unwrap();
    let mut names: Vec<&str> = users.iter().map(|u| u.user_name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 250, "every user once");

    // A filtered list pages too.
    let some: Vec<User> = client
        .list(&ListQuery {
            filter: Some(Filter::eq("emails.value", "page7@example.com")),
            page_size: 10,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].user_name, "page7");
}

#[test]
fn paging_follows_a_server_that_caps_count() {
    // maxResults 30: asked for 100 per page, the server sends 30.
    let server = ScimServer::start(ServerOptions::without_extension().config(
        json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576}),
        json!({"supported": true, "maxResults": 30}),
    ));
    let client = server.client();
    fill(&server, &client, 250);
    // Not discovered: the client does not know the cap and asks for 100.
    let query = ListQuery {
        page_size: 100,
        ..ListQuery::default()
    };
    let mut sizes = Vec::new();
    let paging = client
        .for_each_page(&query, |page: roster_scim::ListResponse<User>| {
            sizes.push(page.resources.len());
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(sizes, [30, 30, 30, 30, 30, 30, 30, 30, 10]);
    assert_eq!(paging.received, 250);
    let users: Vec<User> = client.list(&query).unwrap();
    let mut ids: Vec<&str> = users.iter().filter_map(|u| u.id.as_deref()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250);

    // Discovered: pages are asked at the cap.
    assert_eq!(client.discover().unwrap().max_results, Some(30));
    let paging = client
        .for_each_page(&query, |_: roster_scim::ListResponse<User>| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(paging.pages, 9);
}

#[test]
fn a_wrong_token_is_unauthorized_and_never_shown() {
    let server = ScimServer::start(ServerOptions::without_extension());
    let wrong = "wrong-token-8c2d4e6f";
    let client = server.client_with(|c| c.token = Secret::new(wrong.into()));
    let error = client.discover().unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Unauthorized, "{error}");
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.attempts(), 1, "a 401 is not retried");
    let error = client.get::<User>("x").unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Unauthorized);
    let error = client.create(&test_user("x", 1)).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Unauthorized);
    for text in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{client:?}"),
    ] {
        assert!(!text.contains(wrong), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert!(server.all("Users").is_empty());
}

#[test]
fn a_taken_user_name_is_a_conflict() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let client = server.client();
    client.create(&test_user("dup", 1)).unwrap();
    let mut again = test_user("dup", 1);
    again.user_name = "DUP1".into(); // unique regardless of case
    again.external_id = Some("another".into());
    let error = client.create(&again).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Conflict, "{error}");
    assert_eq!(error.status(), Some(409));
    assert_eq!(error.scim_type(), Some("uniqueness"));
    assert!(error.detail().is_some_and(|d| !d.is_empty()));
    assert!(!error.maybe_applied());
    // create_once does not mistake it for its own lost create.
    let error = client.create_once(&again).unwrap_err();
    assert_eq!(error.code(), ScimErrorCode::Conflict);
    let users = server.all("Users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["externalId"], "ext-dup1");
}

#[test]
fn a_server_without_etags_gets_no_if_match() {
    let server = ScimServer::start(ServerOptions {
        roster_extension: false,
        service_provider_config: Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false},
            "filter": {"supported": true, "maxResults": 100},
            "changePassword": {"supported": true},
            "sort": {"supported": false},
            "etag": {"supported": false}
        })),
    });
    let client = server.client();
    let caps = client.discover().unwrap();
    assert!(!caps.etag);
    assert_eq!(caps.bulk, None);
    let created = client.create(&test_user("e", 2)).unwrap();
    let id = created.id.clone().unwrap();
    client
        .patch::<User>(&id, &PatchOp::new(vec![]).replace("active", false), None)
        .unwrap();
    // The old version would be refused (the server still checks a version it is given); the
    // client does not send it.
    client
        .patch::<User>(
            &id,
            &PatchOp::new(vec![]).replace("active", true),
            created.version(),
        )
        .unwrap();
    assert_eq!(server.get(&format!("/Users/{id}"))["active"], true);
}

#[test]
fn resources_carry_their_core_schema_and_extensions() {
    let server = ScimServer::start(ServerOptions::with_extension());
    let client = server.client();
    let mut user = full_user(true);
    user.schemas.clear();
    let created = client.create(&user).unwrap();
    let stored = server.get(&format!("/Users/{}", created.id.unwrap()));
    let mut schemas: Vec<&str> = stored["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    schemas.sort();
    assert_eq!(
        schemas,
        [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, ROSTER_USER_SCHEMA]
    );
    assert_eq!(User::ENDPOINT, "Users");
}
