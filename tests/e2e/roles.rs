//! The role × tenant matrix: for each role, acting in its own company (A) or in another company
//! (B), which operations on A's objects are allowed, refused (403, code 9) or hidden (404, code 10);
//! and that a refused write changes nothing.
//!
//! Each test builds its own world: companies A and B, one user of each role in each (created by
//! the bootstrap ADMIN), folders in A created by A's CLIENT, CLIENT ADMIN and CLIENT SERVICE, and
//! one folder in B created by B's CLIENT. Mismatches are collected and reported together, so one
//! failing run shows the whole picture.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{PASSWORD, TestApp, jpeg, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ROLES: [&str; 6] = [
    "ADMIN",
    "OPERATOR",
    "CLIENT",
    "CLIENT ADMIN",
    "CLIENT OPERATOR",
    "CLIENT SERVICE",
];

/// What a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exp {
    /// 2xx (the operation's success status).
    Y,
    /// 403, code 9.
    F,
    /// 404, code 10.
    N,
}
use Exp::{F, N, Y};

/// Which company the acting user belongs to; the objects acted on are always in A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Co {
    A,
    B,
}

/// The folder creators in A, in table column order.
const CREATORS: [&str; 3] = ["CLIENT", "CLIENT ADMIN", "CLIENT SERVICE"];

#[derive(Debug, Clone)]
struct Actor {
    user_id: String,
    token: String,
}

#[derive(Debug, Clone)]
struct Folder {
    id: String,
    media_id: String,
    bytes: Vec<u8>,
}

struct World {
    app: TestApp,
    admin: String,
    default_company: String,
    a: String,
    b: String,
    users_a: BTreeMap<&'static str, Actor>,
    users_b: BTreeMap<&'static str, Actor>,
    /// A's folders by creator role.
    folders_a: BTreeMap<&'static str, Folder>,
    folder_b: Folder,
}

fn slug(role: &str) -> String {
    role.to_lowercase().replace(' ', "-")
}

impl World {
    async fn new() -> Self {
        let app = spawn_app().await;
        let admin = app.admin_token().await;
        let (s, me) = app.json(Method::GET, "/api/companies/", &admin, None).await;
        assert_eq!(s, StatusCode::OK, "{me}");
        let default_company = me["items"][0]["company_id"].as_str().unwrap().to_string();
        let a = app.create_company(&admin, "Company A").await;
        let b = app.create_company(&admin, "Company B").await;
        let mut users_a = BTreeMap::new();
        let mut users_b = BTreeMap::new();
        for role in ROLES {
            let (id, token) = app
                .user(&admin, &a, role, &format!("{}@a.example.com", slug(role)))
                .await;
            users_a.insert(role, Actor { user_id: id, token });
            let (id, token) = app
                .user(&admin, &b, role, &format!("{}@b.example.com", slug(role)))
                .await;
            users_b.insert(role, Actor { user_id: id, token });
        }
        let mut w = World {
            app,
            admin,
            default_company,
            a,
            b,
            users_a,
            users_b,
            folders_a: BTreeMap::new(),
            folder_b: Folder {
                id: String::new(),
                media_id: String::new(),
                bytes: Vec::new(),
            },
        };
        for creator in CREATORS {
            let f = w.new_folder(creator).await;
            w.folders_a.insert(creator, f);
        }
        let tb = w.users_b["CLIENT"].token.clone();
        w.folder_b = w.folder_by(&tb, 3).await;
        w
    }

    fn actor(&self, role: &str, co: Co) -> &Actor {
        match co {
            Co::A => &self.users_a[role],
            Co::B => &self.users_b[role],
        }
    }

    /// A fresh folder in A created by A's user of role `creator`.
    async fn new_folder(&self, creator: &str) -> Folder {
        let t = self.users_a[creator].token.clone();
        self.folder_by(&t, self.folders_a.len() as u32 + 7).await
    }

    async fn folder_by(&self, token: &str, seed: u32) -> Folder {
        let bytes = jpeg(40 + seed, 30);
        let payload = json!({"media:tags": {"photo": ["photo_selfie"]}, "folder:meta_data": {"case": "roles"}});
        let (s, b) = self
            .app
            .upload(
                "/api/folders/",
                token,
                vec![("photo", "selfie.jpg", bytes.clone())],
                Some(payload),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        Folder {
            id: b["folder_id"].as_str().unwrap().to_string(),
            media_id: b["media"][0]["media_id"].as_str().unwrap().to_string(),
            bytes,
        }
    }

    /// What the bootstrap ADMIN sees of a folder, without the short-lived URLs.
    async fn folder_snapshot(&self, id: &str) -> Value {
        let (s, b) = self
            .app
            .json(
                Method::GET,
                &format!("/api/folders/{id}?with_media=true"),
                &self.admin,
                None,
            )
            .await;
        if s != StatusCode::OK {
            return json!({"status": s.as_u16()});
        }
        let media: Vec<Value> = b["media"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| json!([m["media_id"], m["tags"], m["meta_data"], m["time_updated"]]))
            .collect();
        json!({"id": b["folder_id"], "meta": b["meta_data"], "t": b["time_updated"], "media": media})
    }

    /// What the bootstrap ADMIN sees at `path` (users, companies: no URLs in them).
    async fn snapshot(&self, path: &str) -> Value {
        let (s, b) = self.app.json(Method::GET, path, &self.admin, None).await;
        json!({"status": s.as_u16(), "body": b})
    }

    /// A fresh user of `role` in A, as a victim of patch/delete cases.
    async fn victim(&self, role: &str, n: usize) -> Actor {
        let (user_id, token) = self
            .app
            .user(
                &self.admin,
                &self.a,
                role,
                &format!("victim-{}-{n}@a.example.com", slug(role)),
            )
            .await;
        Actor { user_id, token }
    }
}

/// Mismatches collected over a table.
#[derive(Default)]
struct Report(Vec<String>);

impl Report {
    /// Checks `got` against `exp` (success = `ok`); returns true when the call was refused.
    fn check(&mut self, ctx: &str, got: &(StatusCode, Value), exp: Exp, ok: u16) -> bool {
        let s = got.0.as_u16();
        let (want_status, want_code) = match exp {
            Y => (ok, None),
            F => (403, Some(9)),
            N => (404, Some(10)),
        };
        if s != want_status {
            self.0.push(format!(
                "{ctx}: expected {want_status} ({exp:?}), got {s} {}",
                got.1
            ));
        } else if let Some(code) = want_code {
            let b = &got.1;
            if b["error_code"] != json!(code)
                || !b["error_message"].is_string()
                || b.get("error_details").is_none()
            {
                self.0.push(format!(
                    "{ctx}: expected error body with code {code}, got {b}"
                ));
            }
        }
        exp != Y
    }

    fn same(&mut self, ctx: &str, before: &Value, after: &Value) {
        if before != after {
            self.0.push(format!(
                "{ctx}: refused write changed state:\n  before {before}\n  after  {after}"
            ));
        }
    }

    fn fact(&mut self, ctx: &str, ok: bool, what: impl std::fmt::Display) {
        if !ok {
            self.0.push(format!("{ctx}: {what}"));
        }
    }

    #[track_caller]
    fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} mismatch(es):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// A table over A's three folders: per role, `[own: by CLIENT, by CLIENT ADMIN, by CLIENT SERVICE, other company]`.
type FolderTable = [(&'static str, [Exp; 4]); 6];

/// The cases of a folder table: `(role, company, creator of the target folder, expectation)`.
fn folder_cases(table: &FolderTable) -> Vec<(&'static str, Co, &'static str, Exp)> {
    let mut out = Vec::new();
    for (role, row) in table {
        for (i, creator) in CREATORS.iter().enumerate() {
            out.push((*role, Co::A, *creator, row[i]));
            out.push((*role, Co::B, *creator, row[3]));
        }
    }
    out
}

/// Reading a folder, its media, and the media file.
const READ: FolderTable = [
    ("ADMIN", [Y, Y, Y, Y]),
    ("OPERATOR", [Y, Y, Y, Y]),
    ("CLIENT", [Y, N, N, N]),
    ("CLIENT ADMIN", [Y, Y, Y, N]),
    ("CLIENT OPERATOR", [Y, Y, Y, N]),
    ("CLIENT SERVICE", [N, N, Y, N]),
];

/// Adding media, tagging media, editing folder meta_data.
const WRITE: FolderTable = [
    ("ADMIN", [Y, Y, Y, Y]),
    ("OPERATOR", [F, F, F, F]),
    ("CLIENT", [Y, N, N, N]),
    ("CLIENT ADMIN", [Y, Y, Y, N]),
    ("CLIENT OPERATOR", [F, F, F, N]),
    ("CLIENT SERVICE", [N, N, Y, N]),
];

/// Deleting a folder.
const DELETE: FolderTable = [
    ("ADMIN", [Y, Y, Y, Y]),
    ("OPERATOR", [F, F, F, F]),
    ("CLIENT", [F, N, N, N]),
    ("CLIENT ADMIN", [Y, Y, Y, N]),
    ("CLIENT OPERATOR", [F, F, F, N]),
    ("CLIENT SERVICE", [N, N, F, N]),
];

#[tokio::test]
async fn read_folder() {
    let w = World::new().await;
    let mut r = Report::default();
    for (role, co, creator, exp) in folder_cases(&READ) {
        let f = &w.folders_a[creator];
        let t = &w.actor(role, co).token;
        let ctx = format!("{role} of {co:?} GET folder of A's {creator}");
        let got = w
            .app
            .json(Method::GET, &format!("/api/folders/{}", f.id), t, None)
            .await;
        if !r.check(&ctx, &got, exp, 200) {
            r.fact(&ctx, got.1["folder_id"] == json!(f.id), "wrong folder");
            r.fact(
                &ctx,
                got.1["media"].as_array().is_some_and(|m| m.len() == 1),
                "media missing",
            );
        }
    }
    r.finish();
}

#[tokio::test]
async fn list_folders_shows_only_visible_ids() {
    let w = World::new().await;
    let [fc, fca, fcs] = CREATORS.map(|c| w.folders_a[c].id.as_str());
    let fb = w.folder_b.id.as_str();
    let all = vec![fc, fca, fcs, fb];
    let table: [(&str, Vec<&str>, Vec<&str>); 6] = [
        // role, visible when in A, visible when in B
        ("ADMIN", all.clone(), all.clone()),
        ("OPERATOR", all.clone(), all.clone()),
        ("CLIENT", vec![fc], vec![fb]),
        ("CLIENT ADMIN", vec![fc, fca, fcs], vec![fb]),
        ("CLIENT OPERATOR", vec![fc, fca, fcs], vec![fb]),
        ("CLIENT SERVICE", vec![fcs], vec![]),
    ];
    let mut r = Report::default();
    for (role, in_a, in_b) in &table {
        for (co, want) in [(Co::A, in_a), (Co::B, in_b)] {
            let ctx = format!("{role} of {co:?} GET /api/folders/");
            let (s, b) = w
                .app
                .json(Method::GET, "/api/folders/", &w.actor(role, co).token, None)
                .await;
            r.fact(&ctx, s == StatusCode::OK, format!("status {s} {b}"));
            let got: BTreeSet<String> = b["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["folder_id"].as_str().unwrap_or("").to_string())
                .collect();
            let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
            r.fact(
                &ctx,
                got == want,
                format!("visible {got:?}, expected {want:?}"),
            );
            r.fact(
                &ctx,
                b["total_count"] == json!(want.len()),
                format!("total {} expected {}", b["total_count"], want.len()),
            );
        }
    }
    // Naming the other company in the filter shows nothing (and does not fail differently).
    let (s, b) = w
        .app
        .json(
            Method::GET,
            &format!("/api/folders/?company_id={}", w.a),
            &w.users_b["CLIENT ADMIN"].token,
            None,
        )
        .await;
    r.fact(
        "B's CLIENT ADMIN ?company_id=A",
        s == StatusCode::OK && b["total_count"] == json!(0),
        format!("{s} {b}"),
    );
    r.finish();
}

#[tokio::test]
async fn add_media() {
    let w = World::new().await;
    let mut r = Report::default();
    for (role, co, creator, exp) in folder_cases(&WRITE) {
        let f = &w.folders_a[creator];
        let ctx = format!("{role} of {co:?} POST media to folder of A's {creator}");
        let before = w.folder_snapshot(&f.id).await;
        let files = vec![("more", "more.jpg", jpeg(20, 20))];
        let got = w
            .app
            .upload(
                &format!("/api/folders/{}/media/", f.id),
                &w.actor(role, co).token,
                files,
                None,
            )
            .await;
        let after = w.folder_snapshot(&f.id).await;
        if r.check(&ctx, &got, exp, 201) {
            r.same(&ctx, &before, &after);
        } else {
            let n = |v: &Value| v["media"].as_array().map_or(0, Vec::len);
            r.fact(
                &ctx,
                n(&after) == n(&before) + 1,
                "media count did not grow by one",
            );
        }
    }
    r.finish();
}

#[tokio::test]
async fn patch_media_tags() {
    let w = World::new().await;
    let mut r = Report::default();
    for (role, co, creator, exp) in folder_cases(&WRITE) {
        let f = &w.folders_a[creator];
        let ctx = format!("{role} of {co:?} PATCH tags of media of A's {creator}");
        let before = w.folder_snapshot(&f.id).await;
        let path = format!("/api/media/{}", f.media_id);
        let got = w
            .app
            .json(
                Method::PATCH,
                &path,
                &w.actor(role, co).token,
                Some(json!({"tags": ["photo_id_front"]})),
            )
            .await;
        let after = w.folder_snapshot(&f.id).await;
        if r.check(&ctx, &got, exp, 200) {
            r.same(&ctx, &before, &after);
        } else {
            r.fact(
                &ctx,
                got.1["tags"] == json!(["photo_id_front"]),
                format!("tags not set: {}", got.1),
            );
            // Put the original tags back for the next case.
            let (s, _) = w
                .app
                .json(
                    Method::PATCH,
                    &path,
                    &w.admin,
                    Some(json!({"tags": ["photo_selfie"]})),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
        }
    }
    r.finish();
}

#[tokio::test]
async fn read_media_and_its_file() {
    let w = World::new().await;
    let mut r = Report::default();
    for (role, co, creator, exp) in folder_cases(&READ) {
        let f = &w.folders_a[creator];
        let t = &w.actor(role, co).token;
        let ctx = format!("{role} of {co:?} GET media of A's {creator}");
        let got = w
            .app
            .json(Method::GET, &format!("/api/media/{}", f.media_id), t, None)
            .await;
        if !r.check(&ctx, &got, exp, 200) {
            r.fact(&ctx, got.1["media_id"] == json!(f.media_id), "wrong media");
        }
        let ctx = format!("{role} of {co:?} GET media file of A's {creator}");
        let res = w
            .app
            .req(Method::GET, &format!("/api/media/{}/file", f.media_id), t)
            .send()
            .await
            .unwrap();
        if exp == Y {
            r.fact(
                &ctx,
                res.status() == StatusCode::FOUND,
                format!("status {}", res.status()),
            );
            let Some(loc) = res
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
            else {
                r.fact(&ctx, false, "no Location header");
                continue;
            };
            // The signed URL is the credential: no token.
            let file = w.app.client.get(&loc).send().await.unwrap();
            let status = file.status();
            let bytes = file.bytes().await.unwrap();
            r.fact(
                &ctx,
                status == StatusCode::OK,
                format!("GET {loc}: {status} {}", String::from_utf8_lossy(&bytes)),
            );
            r.fact(
                &ctx,
                bytes.as_ref() == f.bytes.as_slice(),
                "file bytes differ from the upload",
            );
        } else {
            let got = common::read(res).await;
            r.check(&ctx, &got, exp, 302);
        }
    }
    r.finish();
}

#[tokio::test]
async fn edit_folder_meta_data() {
    let w = World::new().await;
    let mut r = Report::default();
    for (i, (role, co, creator, exp)) in folder_cases(&WRITE).into_iter().enumerate() {
        let f = &w.folders_a[creator];
        let ctx = format!("{role} of {co:?} PATCH meta_data of folder of A's {creator}");
        let before = w.folder_snapshot(&f.id).await;
        let path = format!("/api/folders/{}/meta_data", f.id);
        let got = w
            .app
            .json(
                Method::PATCH,
                &path,
                &w.actor(role, co).token,
                Some(json!({"edited": i})),
            )
            .await;
        let after = w.folder_snapshot(&f.id).await;
        if r.check(&ctx, &got, exp, 200) {
            r.same(&ctx, &before, &after);
        } else {
            r.fact(
                &ctx,
                after["meta"]["edited"] == json!(i),
                format!("meta_data not saved: {after}"),
            );
        }
    }
    r.finish();
}

#[tokio::test]
async fn delete_folder() {
    let w = World::new().await;
    let mut r = Report::default();
    for (role, co, creator, exp) in folder_cases(&DELETE) {
        let f = w.new_folder(creator).await;
        let ctx = format!("{role} of {co:?} DELETE folder of A's {creator}");
        let before = w.folder_snapshot(&f.id).await;
        let (_, m) = w
            .app
            .json(
                Method::GET,
                &format!("/api/media/{}", f.media_id),
                &w.admin,
                None,
            )
            .await;
        let file_url = m["original_url"].as_str().unwrap().to_string();
        let got = w
            .app
            .json(
                Method::DELETE,
                &format!("/api/folders/{}", f.id),
                &w.actor(role, co).token,
                None,
            )
            .await;
        let after = w.folder_snapshot(&f.id).await;
        let file = w.app.client.get(&file_url).send().await.unwrap().status();
        if r.check(&ctx, &got, exp, 204) {
            r.same(&ctx, &before, &after);
            r.fact(
                &ctx,
                file == StatusCode::OK,
                format!("file of a kept folder answers {file}"),
            );
        } else {
            r.fact(
                &ctx,
                after == json!({"status": 404}),
                format!("folder still readable: {after}"),
            );
            r.fact(
                &ctx,
                file == StatusCode::NOT_FOUND,
                format!("file of a deleted folder answers {file}"),
            );
        }
    }
    r.finish();
}

#[tokio::test]
async fn read_and_list_companies() {
    let w = World::new().await;
    let mut r = Report::default();
    // role, own company A, company A when the caller is in B
    let table = [
        ("ADMIN", Y, Y),
        ("OPERATOR", Y, Y),
        ("CLIENT", Y, N),
        ("CLIENT ADMIN", Y, N),
        ("CLIENT OPERATOR", Y, N),
        ("CLIENT SERVICE", Y, N),
    ];
    for (role, own, other) in table {
        for (co, exp) in [(Co::A, own), (Co::B, other)] {
            let t = &w.actor(role, co).token;
            let ctx = format!("{role} of {co:?} GET company A");
            let got = w
                .app
                .json(Method::GET, &format!("/api/companies/{}", w.a), t, None)
                .await;
            if !r.check(&ctx, &got, exp, 200) {
                r.fact(&ctx, got.1["company_id"] == json!(w.a), "wrong company");
            }
            let ctx = format!("{role} of {co:?} GET /api/companies/");
            let (s, b) = w.app.json(Method::GET, "/api/companies/", t, None).await;
            r.fact(&ctx, s == StatusCode::OK, format!("status {s} {b}"));
            let got: BTreeSet<&str> = b["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["company_id"].as_str())
                .collect();
            let own_co = if co == Co::A {
                w.a.as_str()
            } else {
                w.b.as_str()
            };
            let want: BTreeSet<&str> = if role == "ADMIN" || role == "OPERATOR" {
                [w.default_company.as_str(), w.a.as_str(), w.b.as_str()].into()
            } else {
                [own_co].into()
            };
            r.fact(
                &ctx,
                got == want,
                format!("visible {got:?}, expected {want:?}"),
            );
        }
    }
    r.finish();
}

#[tokio::test]
async fn create_and_patch_company() {
    let w = World::new().await;
    let mut r = Report::default();
    // role, create (anywhere), patch A from A, patch A from B
    let table = [
        ("ADMIN", Y, Y, Y),
        ("OPERATOR", F, F, F),
        ("CLIENT", F, F, N),
        ("CLIENT ADMIN", F, F, N),
        ("CLIENT OPERATOR", F, F, N),
        ("CLIENT SERVICE", F, F, N),
    ];
    for (role, create, patch_own, patch_other) in table {
        for (co, patch) in [(Co::A, patch_own), (Co::B, patch_other)] {
            let t = &w.actor(role, co).token;
            let ctx = format!("{role} of {co:?} POST /api/companies/");
            let before = w.snapshot("/api/companies/?limit=1000").await;
            let name = format!("New by {role} of {co:?}");
            let got = w
                .app
                .json(
                    Method::POST,
                    "/api/companies/",
                    t,
                    Some(json!({"name": name})),
                )
                .await;
            let after = w.snapshot("/api/companies/?limit=1000").await;
            if r.check(&ctx, &got, create, 201) {
                r.same(&ctx, &before, &after);
            } else {
                r.fact(
                    &ctx,
                    after["body"]["total_count"]
                        == json!(before["body"]["total_count"].as_u64().unwrap() + 1),
                    "not listed",
                );
            }

            let ctx = format!("{role} of {co:?} PATCH company A");
            let path = format!("/api/companies/{}", w.a);
            let before = w.snapshot(&path).await;
            let got = w
                .app
                .json(
                    Method::PATCH,
                    &path,
                    t,
                    Some(json!({"name": format!("A renamed by {role}")})),
                )
                .await;
            let after = w.snapshot(&path).await;
            if r.check(&ctx, &got, patch, 200) {
                r.same(&ctx, &before, &after);
            } else {
                let (s, _) = w
                    .app
                    .json(
                        Method::PATCH,
                        &path,
                        &w.admin,
                        Some(json!({"name": "Company A"})),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK);
            }
        }
    }
    r.finish();
}

/// Creating users: `user_type` in the body, target company = the caller's own or the other one.
async fn create_user_cases(target_role: &str, table: [(&'static str, Exp, Exp); 6]) {
    let w = World::new().await;
    let mut r = Report::default();
    for (n, (role, own, other)) in table.into_iter().enumerate() {
        // own: a user of A creates in A; other: a user of B creates in A.
        for (co, exp) in [(Co::A, own), (Co::B, other)] {
            let ctx = format!("{role} of {co:?} POST /api/users/ {target_role} in A");
            let list = format!("/api/users/?company_id={}&limit=1000", w.a);
            let before = w.snapshot(&list).await;
            let email =
                format!("new-{}-{n}-{co:?}@a.example.com", slug(target_role)).to_lowercase();
            let body = json!({"email": email, "password": PASSWORD, "user_type": target_role, "company_id": w.a});
            let got = w
                .app
                .json(
                    Method::POST,
                    "/api/users/",
                    &w.actor(role, co).token,
                    Some(body),
                )
                .await;
            let after = w.snapshot(&list).await;
            let login = w.app.login(&email, PASSWORD).await.status();
            if r.check(&ctx, &got, exp, 201) {
                r.same(&ctx, &before, &after);
                r.fact(
                    &ctx,
                    login == StatusCode::UNAUTHORIZED,
                    format!("refused user can log in: {login}"),
                );
            } else {
                r.fact(
                    &ctx,
                    got.1["user_type"] == json!(target_role),
                    format!("user_type {}", got.1["user_type"]),
                );
                r.fact(&ctx, got.1["company_id"] == json!(w.a), "wrong company");
                r.fact(
                    &ctx,
                    login == StatusCode::OK,
                    format!("new user cannot log in: {login}"),
                );
            }
        }
    }
    r.finish();
}

// CONTRACT DEVIATION (see report): a user of company B naming company A in `company_id` gets
// 403 code 9 from non-admin roles, because `App::create_user` (shared/src/app/users.rs) checks the
// role before the company's visibility. oz-api.md §6: another company's objects answer 404 code
// 10, never 403. The `N` in the "other" column of CLIENT, CLIENT OPERATOR and CLIENT SERVICE
// asserts the contract and fails until `get_company` runs before `require_user_admin`.
#[tokio::test]
async fn create_client_user() {
    create_user_cases(
        "CLIENT",
        [
            ("ADMIN", Y, Y),
            ("OPERATOR", F, F),
            ("CLIENT", F, N),
            ("CLIENT ADMIN", Y, N),
            ("CLIENT OPERATOR", F, N),
            ("CLIENT SERVICE", F, N),
        ],
    )
    .await;
}

// Same CONTRACT DEVIATION as `create_client_user` for the "other" column of CLIENT,
// CLIENT OPERATOR and CLIENT SERVICE.
#[tokio::test]
async fn create_admin_user() {
    create_user_cases(
        "ADMIN",
        [
            ("ADMIN", Y, Y),
            ("OPERATOR", F, F),
            ("CLIENT", F, N),
            ("CLIENT ADMIN", F, N),
            ("CLIENT OPERATOR", F, N),
            ("CLIENT SERVICE", F, N),
        ],
    )
    .await;
}

/// Acting on another user of A (a CLIENT or an ADMIN): read, patch names, delete.
async fn other_user_cases(
    victim_role: &str,
    read: [(&str, Exp, Exp); 6],
    write: [(&str, Exp, Exp); 6],
) {
    let w = World::new().await;
    let mut r = Report::default();
    let shared_victim = w.victim(victim_role, 0).await;
    let path = format!("/api/users/{}", shared_victim.user_id);
    let mut n = 0;
    for ((role, own, other), (_, wown, wother)) in read.into_iter().zip(write) {
        for (co, exp, wexp) in [(Co::A, own, wown), (Co::B, other, wother)] {
            let t = &w.actor(role, co).token;
            let ctx = format!("{role} of {co:?} GET {victim_role} user of A");
            let got = w.app.json(Method::GET, &path, t, None).await;
            if !r.check(&ctx, &got, exp, 200) {
                r.fact(
                    &ctx,
                    got.1["user_id"] == json!(shared_victim.user_id),
                    "wrong user",
                );
                r.fact(
                    &ctx,
                    got.1.get("password_hash").is_none() && got.1.get("password").is_none(),
                    "password shown",
                );
            }

            let ctx = format!("{role} of {co:?} PATCH {victim_role} user of A");
            let before = w.snapshot(&path).await;
            let name = format!("{role} {co:?}");
            let got = w
                .app
                .json(Method::PATCH, &path, t, Some(json!({"first_name": name})))
                .await;
            let after = w.snapshot(&path).await;
            if r.check(&ctx, &got, wexp, 200) {
                r.same(&ctx, &before, &after);
            } else {
                r.fact(
                    &ctx,
                    after["body"]["first_name"] == json!(name),
                    format!("not saved: {after}"),
                );
            }

            n += 1;
            let victim = w.victim(victim_role, n).await;
            let vpath = format!("/api/users/{}", victim.user_id);
            let ctx = format!("{role} of {co:?} DELETE {victim_role} user of A");
            let before = w.snapshot(&vpath).await;
            let got = w.app.json(Method::DELETE, &vpath, t, None).await;
            let after = w.snapshot(&vpath).await;
            let victim_call = w
                .app
                .json(Method::GET, "/api/folders/", &victim.token, None)
                .await;
            if r.check(&ctx, &got, wexp, 204) {
                r.same(&ctx, &before, &after);
                r.fact(
                    &ctx,
                    victim_call.0 == StatusCode::OK,
                    format!("kept user's token: {}", victim_call.0),
                );
            } else {
                r.fact(
                    &ctx,
                    after["status"] == json!(404),
                    format!("deleted user still readable: {after}"),
                );
                r.fact(
                    &ctx,
                    victim_call.0 == StatusCode::UNAUTHORIZED,
                    format!("deleted user's token: {}", victim_call.0),
                );
            }
        }
    }
    r.finish();
}

#[tokio::test]
async fn read_patch_delete_another_client_user() {
    other_user_cases(
        "CLIENT",
        [
            ("ADMIN", Y, Y),
            ("OPERATOR", Y, Y),
            ("CLIENT", N, N),
            ("CLIENT ADMIN", Y, N),
            ("CLIENT OPERATOR", Y, N),
            ("CLIENT SERVICE", N, N),
        ],
        [
            ("ADMIN", Y, Y),
            ("OPERATOR", F, F),
            ("CLIENT", N, N),
            ("CLIENT ADMIN", Y, N),
            ("CLIENT OPERATOR", F, N),
            ("CLIENT SERVICE", N, N),
        ],
    )
    .await;
}

#[tokio::test]
async fn read_patch_delete_another_admin_user() {
    other_user_cases(
        "ADMIN",
        [
            ("ADMIN", Y, Y),
            ("OPERATOR", Y, Y),
            ("CLIENT", N, N),
            ("CLIENT ADMIN", Y, N),
            ("CLIENT OPERATOR", Y, N),
            ("CLIENT SERVICE", N, N),
        ],
        [
            ("ADMIN", Y, Y),
            ("OPERATOR", F, F),
            ("CLIENT", N, N),
            ("CLIENT ADMIN", F, N),
            ("CLIENT OPERATOR", F, N),
            ("CLIENT SERVICE", N, N),
        ],
    )
    .await;
}

#[tokio::test]
async fn read_and_patch_own_user() {
    let w = World::new().await;
    let mut r = Report::default();
    for role in ROLES {
        for co in [Co::A, Co::B] {
            let me = w.actor(role, co);
            let path = format!("/api/users/{}", me.user_id);
            let ctx = format!("{role} of {co:?} GET own user");
            let got = w.app.json(Method::GET, &path, &me.token, None).await;
            if !r.check(&ctx, &got, Y, 200) {
                r.fact(
                    &ctx,
                    got.1["user_type"] == json!(role),
                    format!("user_type {}", got.1["user_type"]),
                );
            }
            let ctx = format!("{role} of {co:?} PATCH own names");
            let got = w
                .app
                .json(
                    Method::PATCH,
                    &path,
                    &me.token,
                    Some(json!({"first_name": "Me", "last_name": role})),
                )
                .await;
            r.check(&ctx, &got, Y, 200);
            let after = w.snapshot(&path).await;
            r.fact(
                &ctx,
                after["body"]["first_name"] == json!("Me"),
                format!("not saved: {after}"),
            );

            // Changing one's own role is a user-admin act: only ADMIN may make someone ADMIN.
            let ctx = format!("{role} of {co:?} PATCH own user_type to ADMIN");
            let before = w.snapshot(&path).await;
            let got = w
                .app
                .json(
                    Method::PATCH,
                    &path,
                    &me.token,
                    Some(json!({"user_type": "ADMIN"})),
                )
                .await;
            let after = w.snapshot(&path).await;
            if r.check(&ctx, &got, if role == "ADMIN" { Y } else { F }, 200) {
                r.same(&ctx, &before, &after);
            }
            // The session still works after these edits.
            let (s, _) = w
                .app
                .json(Method::GET, "/api/folders/", &me.token, None)
                .await;
            r.fact(
                &ctx,
                s == StatusCode::OK,
                format!("session broken after own patch: {s}"),
            );
        }
    }
    r.finish();
}

#[tokio::test]
async fn client_admin_cannot_grant_global_roles() {
    let w = World::new().await;
    let mut r = Report::default();
    let ca = &w.users_a["CLIENT ADMIN"].token;
    let victim = w.victim("CLIENT", 1).await;
    let path = format!("/api/users/{}", victim.user_id);
    for role in ["ADMIN", "OPERATOR"] {
        let ctx = format!("A's CLIENT ADMIN PATCH a CLIENT to {role}");
        let before = w.snapshot(&path).await;
        let got = w
            .app
            .json(Method::PATCH, &path, ca, Some(json!({"user_type": role})))
            .await;
        r.check(&ctx, &got, F, 200);
        r.same(&ctx, &before, &w.snapshot(&path).await);
    }
    for role in [
        "CLIENT ADMIN",
        "CLIENT OPERATOR",
        "CLIENT SERVICE",
        "CLIENT",
    ] {
        let ctx = format!("A's CLIENT ADMIN PATCH a CLIENT to {role}");
        let got = w
            .app
            .json(Method::PATCH, &path, ca, Some(json!({"user_type": role})))
            .await;
        if !r.check(&ctx, &got, Y, 200) {
            r.fact(
                &ctx,
                got.1["user_type"] == json!(role),
                format!("user_type {}", got.1["user_type"]),
            );
        }
    }
    // Nor may it move a user of its own company into another one (no such field), or act on B.
    let got = w
        .app
        .json(Method::PATCH, &path, ca, Some(json!({"company_id": w.b})))
        .await;
    r.fact(
        "PATCH company_id",
        got.0 == StatusCode::BAD_REQUEST && got.1["error_code"] == json!(3),
        format!("{got:?}"),
    );
    let b_client = format!("/api/users/{}", w.users_b["CLIENT"].user_id);
    let got = w
        .app
        .json(
            Method::PATCH,
            &b_client,
            ca,
            Some(json!({"first_name": "x"})),
        )
        .await;
    r.check("A's CLIENT ADMIN PATCH B's CLIENT", &got, N, 200);
    r.finish();
}

#[tokio::test]
async fn client_service_session_is_long_lived() {
    let w = World::new().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut r = Report::default();
    for (email, long) in [
        ("client-service@a.example.com", true),
        ("client-service@b.example.com", true),
        ("client@a.example.com", false),
        ("client-admin@a.example.com", false),
    ] {
        let res = w.app.login(email, PASSWORD).await;
        let (s, b) = common::read(res).await;
        r.fact(email, s == StatusCode::OK, format!("login {s} {b}"));
        let exp = b["expire_date"].as_i64().unwrap_or(0);
        if long {
            r.fact(
                email,
                exp >= now + 4 * 365 * 24 * 3600,
                format!("expire_date {exp} is not ≥ now + 4 years"),
            );
            r.fact(
                email,
                b["user"]["user_type"] == json!("CLIENT SERVICE"),
                "user_type",
            );
        } else {
            r.fact(
                email,
                exp > now && exp <= now + 3600,
                format!("expire_date {exp} is not a short session"),
            );
        }
        r.fact(
            email,
            b.get("password_hash").is_none() && b["user"].get("password_hash").is_none(),
            "password hash shown",
        );
    }
    r.finish();
}
